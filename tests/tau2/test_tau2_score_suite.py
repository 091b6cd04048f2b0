"""``gem score`` on every kind of gem env, and the tau2 suite table and eval wiring."""

from __future__ import annotations

import json

import orjson
import pytest
from typer.testing import CliRunner

from gem_env.cli import app
from gem_env.registration import resolve_domain
from gem_env.score import score_rows
from gem_env.tau2 import env_id_for
from gem_env.tau2.data import load_tasks
from gem_env.tau2.fidelity import gold_conversation
from gem_env.tau2.suite import SUITE_ENV_IDS, render_paper_table, suite_rows
from tools_registry.errors import ConfigError
from trainers.evaluate import expand_envs

pytestmark = pytest.mark.tau2


def _write(path, rows):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return str(path)


def test_score_cli_json_and_table(tmp_path):
    tasks = {t.id: t for t in load_tasks("mock", None)}
    gold = gold_conversation(tasks["update_task_1"])
    for m in gold:  # arguments as JSON strings, as other frameworks write them
        for c in m.get("tool_calls") or []:
            c["function"]["arguments"] = json.dumps(c["function"]["arguments"])
    rows = [
        {"task_id": "update_task_1", "messages": gold},
        {"task_id": "update_task_1", "messages": [gold[0], {"role": "assistant", "content": "done"}]},
    ]
    path = _write(tmp_path / "rows.jsonl", rows)
    r = CliRunner().invoke(app, ["score", "gem/tau2-mock-v0", path, "--json", "--task-split", "base"])
    assert r.exit_code == 0, r.output
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(o["task_id"], o["reward"]) for o in out] == [("update_task_1", 1.0), ("update_task_1", 0.0)]
    assert out[0]["breakdown"]["db"] == 1.0 and out[1]["breakdown"]["db"] == 0.0
    r = CliRunner().invoke(app, ["score", "gem/tau2-mock-v0", path])
    assert r.exit_code == 0 and "2 rows scored on gem/tau2-mock-v0: mean reward 0.5000, 1/2 with reward 1" in r.stdout


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"messages": []}], "row 0: missing task_id"),
        (
            [{"task_id": "update_task_1", "messages": [{"role": "user", "content": "x"}]}, ["not", "a", "row"]],
            "row 1: expected an object",
        ),
        (
            [{"task_id": "update_task_9", "messages": [{"role": "user", "content": "x"}]}],
            "row 0 \\(task_id 'update_task_9'\\): no such task.*did you mean 'update_task_1'",
        ),
        (
            [{"task_id": "update_task_1", "messages": [{"role": "robot", "content": "x"}]}],
            "row 0 .* message 0: not an OpenAI",
        ),
        (
            [{"task_id": "update_task_1", "messages": [{"role": "assistant", "tool_calls": 1.5}]}],
            "row 0 .* message 0: tool_calls must be a list, got float",
        ),
    ],
)
def test_bad_rows_name_the_row(rows, message):
    with pytest.raises(ConfigError, match=message):
        score_rows("gem/tau2-mock-v0", rows)


def test_score_cli_bad_row_exit_code(tmp_path):
    path = _write(tmp_path / "bad.jsonl", [{"task_id": "nope", "messages": [{"role": "user", "content": "x"}]}])
    r = CliRunner().invoke(app, ["score", "gem/tau2-mock-v0", path, "--json"])
    assert r.exit_code != 0 and r.stdout == ""


def test_score_cli_bad_row_names_the_file(tmp_path):
    path = _write(tmp_path / "bad.jsonl", [{"task_id": "update_task_1", "messages": [{"role": "robot"}]}])
    r = CliRunner().invoke(app, ["score", "gem/tau2-mock-v0", path])
    assert r.exit_code != 0 and isinstance(r.exception, ConfigError)
    assert str(r.exception).startswith(f"{path}: row 0 ")


def test_score_bundled_domain_references():
    loaded = resolve_domain("photo-framing")
    rows = [
        {"task_id": t.id, "messages": [m.to_dict(arguments_as="json") for m in t.reference]} for t in loaded.tasks[:3]
    ]
    res = score_rows("gem/photo-framing-v0", rows)
    assert [r.reward for r in res] == [1.0, 1.0, 1.0]
    writing = next(t for t in loaded.tasks if t.criteria.actions)
    talk = [m.to_dict() for m in writing.reference if not m.tool_calls and m.role != "tool"]
    assert score_rows("gem/photo-framing-v0", [{"task_id": writing.id, "messages": talk}])[0].reward == 0.0


@pytest.mark.bfcl
def test_score_bfcl_ground_truth():
    from gem_env.bfcl import make_bfcl_env
    from gem_env.bfcl.env import reference_messages

    env = make_bfcl_env("gem/bfcl-multi-turn-base-v0", task_ids=["multi_turn_base_0", "multi_turn_base_1"])
    rows = [
        {"task_id": t.id, "messages": [m.to_dict() for m in reference_messages(env.entries[t.id], t)]}
        for t in env.tasks
    ]
    assert [r.reward for r in score_rows("gem/bfcl-multi-turn-base-v0", rows)] == [1.0, 1.0]


def test_suite_ids_table_and_eval_wiring():
    assert SUITE_ENV_IDS == {"tau2": [env_id_for(d) for d in ("airline", "retail", "telecom")]}
    summary = {
        "k": 4,
        "envs": {
            env_id_for("airline"): {"avg@k": 0.355, "pass@k": 0.56, "pass^k": 0.1},
            env_id_for("retail"): {"avg@k": 0.5548, "pass@k": 0.8684, "pass^k": 0.3},
        },
    }
    rows = suite_rows(summary)
    assert rows["Telecom"]["avg@k"] is None
    assert rows["Overall"]["avg@k"] == pytest.approx((0.355 + 0.5548) / 2)
    table = render_paper_table({"GEM-32B": summary})
    lines = table.splitlines()
    assert "Airline" in lines[0] and "Overall" in lines[0] and "Avg@4" in lines[1] and "pass^4" in lines[1]
    assert "35.50" in lines[3] and "56.00" in lines[3] and "86.84" in lines[3]
    ids, mod = expand_envs([], "tau2")
    assert ids == SUITE_ENV_IDS["tau2"] and mod.render_suite_table("tau2", summary, model="m").startswith("Model")


def test_gem_eval_runs_tau2_episodes_with_an_llm_user(tmp_path):
    from gem_env.llm.testing.scripted import ScriptedBackend
    from trainers.evaluate import evaluate

    agent = ScriptedBackend(lambda messages, tools, rf, sampling: {"role": "assistant", "content": "Done."})
    said = "Please mark task_1 as completed."
    user = ScriptedBackend(
        lambda messages, tools, rf, sampling: {
            "role": "assistant",
            "content": said if len(messages) <= 2 else "Thanks. ###STOP###",
        }
    )
    res = evaluate(
        agent,
        ["gem/tau2-mock-v0"],
        k=2,
        output_dir=tmp_path,
        max_tasks=3,
        env_kwargs={"user_model": user, "task_split": None},
    )
    assert res.summary["envs"]["gem/tau2-mock-v0"]["episodes"] == 6
    rows = [json.loads(line) for line in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(r["messages"][2]["content"] == said for r in rows)
    assert json.loads((tmp_path / "results.json").read_text())["summary"]["k"] == 2


def test_gem_eval_judges_nl_assertions_with_the_judge_model(tmp_path):
    """``gem eval --judge-model``: NL assertions judged by gem's judge backend; a task whose reward
    basis holds NL_ASSERTION passes or fails on the judge's verdict."""
    from gem_env.llm.testing.scripted import ScriptedBackend
    from trainers.evaluate import evaluate

    task = next(t for t in load_tasks("mock", None) if t.id == "create_task_1_nl_eval")
    rec = orjson.loads(task.model_dump_json())
    rec["evaluation_criteria"]["reward_basis"] = ["DB", "NL_ASSERTION"]
    path = tmp_path / "tasks.json"
    path.write_bytes(orjson.dumps([rec]))
    n = len(task.evaluation_criteria.nl_assertions)
    agent = ScriptedBackend(lambda messages, tools, rf, sampling: {"role": "assistant", "content": "Done."})
    user = ScriptedBackend(
        lambda messages, tools, rf, sampling: {
            "role": "assistant",
            "content": "Create a task." if len(messages) <= 2 else "Thanks. ###STOP###",
        }
    )
    rewards = {}
    for met in (True, False):
        verdict = {"results": [{"expectedOutcome": f"a{i}", "reasoning": "r", "metExpectation": met} for i in range(n)]}
        judge = ScriptedBackend([{"role": "assistant", "content": json.dumps(verdict)}] * 2)
        out = tmp_path / f"eval-{met}"
        evaluate(
            agent,
            ["gem/tau2-mock-v0"],
            k=2,
            output_dir=out,
            env_kwargs={"user_model": user, "judge_model": judge, "task_split": None, "tasks_path": str(path)},
        )
        rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
        bds = [r["meta"]["extra"]["breakdown"] for r in rows]
        assert len(judge.calls) == 2 and all(len(b["details"]["nl_assertions"]) == n for b in bds)
        assert all(b["nl_assertion"] == float(met) for b in bds)
        rewards[met] = [r["meta"]["extra"]["reward"] for r in rows]
    assert rewards == {True: [1.0, 1.0], False: [0.0, 0.0]}


def test_gem_eval_cli_passes_the_judge_model(monkeypatch, tmp_path):
    import trainers.evaluate

    seen = {}

    class Result:  # what the CLI reads of an EvalResult
        table = "table"
        summary: dict = {}

    def fake(model, envs, **kwargs):
        seen.update(kwargs, model=model)
        return Result()

    monkeypatch.setattr(trainers.evaluate, "evaluate", fake)
    args = ["eval", "--suite", "tau2", "--model", "scripted:", "--user-model", "openai:u", "--judge-model", "openai:j"]
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    assert seen["suite"] == "tau2" and seen["env_kwargs"] == {"user_model": "openai:u", "judge_model": "openai:j"}
