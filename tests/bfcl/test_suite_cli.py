"""The bfcl-multi-turn suite table and the ``gem bfcl`` commands."""

from __future__ import annotations

import json

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gem_env.bfcl import ENV_IDS
from gem_env.bfcl.cli import register
from gem_env.bfcl.suite import COLUMNS, SUITE_ENV_IDS, render_paper_table, render_suite_table, suite_rows
from tools_registry.errors import ConfigError

pytestmark = pytest.mark.bfcl


def _json_children(children):
    return st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3)


def _summary(values):
    return {"k": 4, "envs": {e: {"avg@k": a, "pass@k": p, "pass^k": 0.0} for e, (a, p) in zip(ENV_IDS, values)}}


def test_suite_ids():
    assert SUITE_ENV_IDS == {"bfcl-multi-turn": list(ENV_IDS)}


def test_paper_table_layout():
    s = _summary([(0.10, 0.20), (0.05, 0.10), (0.15, 0.25), (0.30, 0.40)])
    rows = suite_rows(s)
    assert rows["Overall"]["avg@k"] == pytest.approx(0.15) and rows["Overall"]["pass@k"] == pytest.approx(0.2375)
    table = render_suite_table("bfcl-multi-turn", s, model="Qwen3-8B")
    head, sub, _, row = table.splitlines()
    assert [c.strip() for c in head.split("|")[1:]] == list(COLUMNS)
    assert sub.split() == ["|", "Avg@4", "Pass@4"] + ["|", "Avg@4", "Pass@4"] * 4
    assert row.split() == [
        "Qwen3-8B",
        "|",
        "10.00",
        "20.00",
        "|",
        "5.00",
        "10.00",
        "|",
        "15.00",
        "25.00",
        "|",
        "30.00",
        "40.00",
        "|",
        "15.00",
        "23.75",
    ]
    partial = {"k": 4, "envs": {ENV_IDS[0]: {"avg@k": 0.5, "pass@k": 0.5}}}
    two = render_paper_table({"a": s, "b": partial}).splitlines()
    assert len(two) == 5 and two[-1].split()[-2:] == ["-", "-"]
    with pytest.raises(ConfigError):
        render_suite_table("nope", s)


@pytest.fixture
def app():
    app = typer.Typer()

    @app.command()
    def noop() -> None:  # a second command keeps typer in group mode
        pass

    register(app)
    return app


def test_cli_replay(app, tmp_path):
    out = tmp_path / "fid.json"
    r = CliRunner().invoke(app, ["bfcl", "replay", "-c", "miss_func", "--limit", "3", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "miss_func" in r.output and "BFCL v4" in r.output
    rep = json.loads(out.read_text())
    assert rep["categories"][0]["env_passes"] == 3 and rep["categories"][0]["bfcl_accepts"] == 3


def test_cli_score(app, tmp_path):
    from recorded import recorded_result

    from gem_env.bfcl.data import load_entries

    entries = load_entries("base")[:4]
    path = tmp_path / "r.json"
    path.write_text(
        "\n".join(
            json.dumps(recorded_result(e, c)) for e, c in zip(entries, ["none", "drop_call", "none", "text_only"])
        )
    )
    r = CliRunner().invoke(app, ["bfcl", "score", str(path), "-c", "base"])
    assert r.exit_code == 0, r.output
    assert "gem env:   2/4" in r.output and "bfcl-eval: 2/4" in r.output and "differ: none" in r.output


def test_cli_score_names_a_bad_result_file(app, tmp_path):
    path = tmp_path / "r.json"
    for content, why in [
        ('{"id": "multi_turn_base_0", "result": []}\nnot json\n', "line 2: not JSON"),
        ('{"id": 7, "result": []}\n', "row 1 is not a BFCL result line"),
        ("\n\n", "no result lines"),
        (b"\xff\xfe", "not JSON"),
    ]:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        r = CliRunner().invoke(app, ["bfcl", "score", str(path), "-c", "base", "--no-official"])
        assert r.exit_code != 0 and why in str(r.exception or r.output), (content, r.output, r.exception)
        assert isinstance(r.exception, (ConfigError, SystemExit)), r.exception


@settings(max_examples=300, deadline=None)
@given(
    result=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8), _json_children, max_leaves=12)
)
def test_the_result_replay_agent_plays_any_json_result_without_raising(result):
    import asyncio

    from gem_env.bfcl.results import ResultReplayAgent

    class Task:
        id = "t"

    agent = ResultReplayAgent({"t": result})
    agent.reset(Task())
    messages = [{"role": "user", "content": "go"}]
    for _ in range(6):
        reply = asyncio.run(agent.act({"messages": messages}))
        assert reply["role"] == "assistant" and (isinstance(reply.get("content"), str) or reply.get("tool_calls"))
        messages += [reply, {"role": "user", "content": "next"}]
