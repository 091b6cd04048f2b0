"""`gem eval` output folders: an earlier evaluation is refused, continued (--resume) or replaced (--overwrite);
the sampling of every model role is recorded."""

from __future__ import annotations

import json

import orjson
import pytest
from typer.testing import CliRunner

from tools_registry.errors import ConfigError

ENV = "gem/photo-framing-v0"


def _episodes(out):
    return [orjson.loads(line)["meta"]["extra"] for line in (out / "episodes.jsonl").read_bytes().splitlines()]


def test_existing_results_are_refused_resumed_or_replaced(tmp_path):
    from trainers.evaluate import evaluate

    out = tmp_path / "ev"
    first = evaluate("oracle", [ENV], k=1, max_tasks=2, output_dir=out)
    assert first.summary["overall"]["episodes"] == 2
    with pytest.raises(ConfigError, match="--resume .* --overwrite"):
        evaluate("oracle", [ENV], k=1, max_tasks=2, output_dir=out)
    assert len(_episodes(out)) == 2, "the refused run touched nothing"
    # three tasks now: the two finished episodes are kept and count, only the third runs
    more = evaluate("oracle", [ENV], k=1, max_tasks=3, output_dir=out, resume=True)
    assert len(more.episodes) == 1 and more.summary["resumed_episodes"] == 2
    assert more.summary["overall"]["episodes"] == 3 and more.summary["overall"]["avg@k"] == 1.0
    assert [e["seed"] for e in _episodes(out)] == [0, 1, 2]
    again = evaluate("oracle", [ENV], k=1, max_tasks=1, output_dir=out, overwrite=True)
    assert again.summary["overall"]["episodes"] == 1 and len(_episodes(out)) == 1
    assert json.loads((out / "results.json").read_text())["summary"]["overall"]["episodes"] == 1


def test_cli_eval_refuses_then_overwrites(tmp_path):
    import typer

    from trainers.cli import register

    app = typer.Typer()
    register(app)
    out = tmp_path / "ev"
    args = ["eval", "--model", "oracle", "--env", ENV, "-k", "1", "--max-tasks", "1", "-o", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0 and "already holds an evaluation" in str(res.exception)
    assert CliRunner().invoke(app, [*args, "--overwrite"]).exit_code == 0


def test_role_sampling_is_sent_and_recorded(tmp_path):
    from gem_env.llm.testing import ScriptedBackend
    from trainers.evaluate import evaluate

    agent = ScriptedBackend(lambda messages, tools, rf, sampling: {"role": "assistant", "content": "Done."})
    res = evaluate(agent, [ENV], k=1, max_tasks=1, output_dir=tmp_path / "ev", tool_choice="none",
                   role_sampling={"agent": {"temperature": 0.2}, "user": {"max_tokens": 32}})
    cfg = json.loads((tmp_path / "ev" / "results.json").read_text())["config"]
    assert cfg["sampling"]["agent"] == {"max_tokens": 1024, "temperature": 0.2, "tool_choice": "none"}
    assert cfg["sampling"]["user"] == {"max_tokens": 32}
    assert agent.calls[0]["sampling"]["tool_choice"] == "none" and agent.calls[0]["sampling"]["temperature"] == 0.2
    row_sampling = _episodes(tmp_path / "ev") and orjson.loads(
        (tmp_path / "ev" / "episodes.jsonl").read_bytes().splitlines()[0])["meta"]["provenance"]["sampling"]
    assert row_sampling["agent"]["tool_choice"] == "none"
    assert res.summary["overall"]["episodes"] == 1


def test_model_strings_of_env_roles_get_their_role_sampling():
    from gem_env.users import LLMUser
    from trainers.evaluate import _role_backends

    kwargs, opened = _role_backends({"user_model": "scripted:u", "tools": "python"},
                                    {"user": {"max_tokens": 32}}, {"base_url": "http://127.0.0.1:9/v1"})
    assert kwargs["tools"] == "python" and opened == [kwargs["user_model"]]
    assert LLMUser(kwargs["user_model"]).sampling == {"temperature": 0.0, "max_tokens": 32}
