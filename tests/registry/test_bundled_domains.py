"""The bundled domains: well-formed, rich enough, and every task's reference replays to its expected state."""

import pytest

from tools_registry.checks import domain_problems
from tools_registry.domains import bundled_dir, discover_domains, load_domain
from tools_registry.reference import canonical_state, expected_final_state, replay_calls

BUNDLED = sorted(p.name for p in bundled_dir().iterdir() if (p / "domain.json").is_file())


def test_at_least_three_domains_including_the_paper_case_study():
    assert len(BUNDLED) >= 3, BUNDLED
    assert "photo-framing" in BUNDLED
    assert set(BUNDLED) <= set(discover_domains())


@pytest.fixture(scope="module", params=BUNDLED)
def domain(request):
    return load_domain(bundled_dir() / request.param)


def test_domain_validates(domain):
    assert domain_problems(domain) == []


def test_domain_is_rich(domain):
    tools = domain.domain.tools
    assert domain.toolkit is not None, "bundled domains have Python tools"
    assert len(tools) >= 8
    assert any(t.mutates for t in tools) and any(not t.mutates for t in tools)
    assert len(domain.tasks) >= 8
    assert domain.domain.policy.strip()


def test_every_task_can_fail_and_has_a_reference(domain):
    for task in domain.tasks:
        c = task.criteria
        assert task.reference, task.id
        assert c.actions or c.communicate, f"{task.id}: a do-nothing agent would pass"
        assert task.user.turns == [m.content for m in task.reference if m.role == "user"], task.id


def test_reference_calls_reproduce_the_expected_final_state(domain):
    for task in domain.tasks:
        initial = task.initial_state if task.initial_state is not None else domain.domain.initial_state
        result = replay_calls(domain.toolkit, initial, task.reference)
        expected = expected_final_state(initial, task.criteria)
        assert expected is not None, f"{task.id}: no expected final state"
        assert canonical_state(result.final_state) == canonical_state(expected), task.id
        recorded = [m.content for m in task.reference if m.role == "tool"]
        assert result.outputs == recorded, task.id


def test_tasks_cover_the_interaction_patterns(domain):
    errors = sum(
        1 for t in domain.tasks if any(m.role == "tool" and (m.content or "").startswith("Error:") for m in t.reference)
    )
    refusals = sum(1 for t in domain.tasks if not t.criteria.actions)
    writes = sum(1 for t in domain.tasks if t.criteria.actions)
    assert errors >= 1 and refusals >= 1 and writes >= 3, (errors, refusals, writes)


@pytest.mark.parametrize("name", BUNDLED)
def test_build_script_reproduces_the_committed_files(name, tmp_path):
    """build.py regenerates domain.json and tasks.jsonl byte for byte, whatever the hash seed."""
    import os
    import shutil
    import subprocess
    import sys

    src = bundled_dir() / name
    dst = tmp_path / name
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("domain.json", "tasks.jsonl"):
        (dst / f).unlink()
    r = subprocess.run(
        [sys.executable, str(dst / "build.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    for f in ("domain.json", "tasks.jsonl"):
        assert (dst / f).read_bytes() == (src / f).read_bytes(), f"{name}/{f} is not what build.py makes"
