"""One prompt loader for gem_env's and synth's templates (``gem_env.prompts``), one spelling: prompts_dir."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gem_env.prompts as gp
import synth.prompts as sp
from tools_registry.errors import ConfigError


def test_both_packages_load_through_one_loader():
    runtime, stage = gp.load_prompt("judge"), sp.load_prompt("judge")
    assert type(runtime) is type(stage) is gp.Prompt
    assert runtime.path.parent == gp.BUNDLED_DIR and stage.path.parent == sp.PROMPTS_DIR
    assert stage.version.startswith("v1-") and runtime.placeholders and stage.placeholders
    assert sp.PLACEHOLDER is gp.PLACEHOLDER


def test_env_folder_overrides_runtime_templates_only(tmp_path, monkeypatch):
    (tmp_path / "judge.md").write_text("env {{policy}} {{conversation}} {{rubric}}")
    (tmp_path / "judge.v9.md").write_text("env stage {{tools}}\n---user---\n{{transcript}}")
    monkeypatch.setenv(gp.PROMPTS_ENV, str(tmp_path))
    assert gp.load_prompt("judge").text.startswith("env {{policy}}")
    assert sp.load_prompt("judge").version.startswith("v1-")  # synth reads only --prompts-dir
    assert sp.load_prompt("judge", prompts_dir=tmp_path).version.startswith("v9-")


def test_a_folder_override_needs_the_right_kind_of_file(tmp_path):
    (tmp_path / "select.md").write_text("unversioned {{text}}")
    assert sp.load_prompt("select", prompts_dir=tmp_path).path.parent == sp.PROMPTS_DIR
    with pytest.raises(ConfigError, match="no version 3"):
        sp.load_prompt("select", version=3)


@pytest.mark.parametrize("loader", [gp.load_prompt, sp.load_prompt])
def test_names_are_checked(loader):
    for bad in ("../etc", "Judge", "", "a/b"):
        with pytest.raises(ConfigError, match="invalid prompt name"):
            loader(bad)


def test_fill_is_one_pass_and_strict():
    p = gp.load_prompt("judge")
    values = {k: "{{rubric}}" for k in p.placeholders}
    assert "{{rubric}}" in p.render(**values)
    with pytest.raises(ConfigError, match="missing"):
        p.render(policy="x")
    with pytest.raises(ConfigError, match="unknown placeholders"):
        gp.fill("{{a}}", a=1, b=2)
    with pytest.raises(ConfigError, match="---user---"):
        p.fill(**values)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=120) | st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_an_override_template_of_any_bytes_loads_or_is_a_config_error(tmp_path, content):
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    (folder / "judge.md").write_bytes(content)
    gp._read.cache_clear()
    try:
        prompt = gp.load_prompt("judge", prompts_dir=folder)
    except ConfigError as exc:
        assert "judge.md" in str(exc)
        return
    assert prompt.path.parent == folder and prompt.text == content.decode("utf-8")


def test_a_chat_template_file_that_is_not_text_is_a_config_error(tmp_path):
    from trainers.templates import known_template

    f = tmp_path / "t.jinja"
    f.write_bytes(b"{{ messages }}\xff")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        known_template(str(f))
