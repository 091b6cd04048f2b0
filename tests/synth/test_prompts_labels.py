"""Prompt templates fill safely and completely; the label sets are the documented sizes."""

import pytest

from synth.labels import PATTERNS, labels
from synth.prompts import PLACEHOLDER, load_prompt, prompt_names
from tools_registry.errors import ConfigError


@pytest.mark.parametrize("name", sorted(prompt_names()))
def test_every_prompt_fills_with_no_placeholder_left(name):
    p = load_prompt(name)
    assert p.placeholders, f"{name} has no placeholders"
    values = {k: '{"braces": {{not_a_placeholder}}} $x %s {0}' for k in p.placeholders}
    msgs = p.fill(**values)
    assert [m["role"] for m in msgs] == ["system", "user"]
    leftover = [m for m in msgs for x in PLACEHOLDER.findall(m["content"]) if x != "not_a_placeholder"]
    assert not leftover
    assert "{{not_a_placeholder}}" in "".join(m["content"] for m in msgs)  # values are not re-scanned
    assert p.version.startswith("v1-")


def test_missing_and_unknown_values_raise():
    p = load_prompt("judge")
    with pytest.raises(ConfigError, match="no value"):
        p.fill(tools="[]")
    with pytest.raises(ConfigError, match="unknown placeholders"):
        p.fill(tools="[]", transcript="", extra="x")
    with pytest.raises(ConfigError, match="unknown prompt"):
        load_prompt("nope")


def test_prompt_dir_overrides(tmp_path):
    (tmp_path / "judge.v2.md").write_text("custom {{tools}}\n---user---\n{{transcript}}\n")
    p = load_prompt("judge", prompts_dir=tmp_path)
    assert p.version.startswith("v2-") and p.system == "custom {{tools}}"


def test_label_sets():
    lab = labels()
    assert (len(lab.domains), len(lab.tasks), len(lab.platforms)) == (26, 38, 5)
    assert len(set(lab.tasks)) == 38 and len(set(lab.domains)) == 26
    for named in (
        "customer_support",
        "research_data",
        "education",
        "developer_tools",
        "e_commerce",
        "smart_home",
        "databases",
    ):
        assert named in lab.tasks
    assert set(lab.platforms) == {"operator", "computer", "phone", "machine", "other"}
    assert lab.normalize("domain", "Home & Garden") == "home_garden"
    assert lab.normalize("task", "Customer Support") == "customer_support"
    assert lab.normalize("task", "space_travel") is None
    assert len(PATTERNS) == 5
