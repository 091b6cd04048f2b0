"""Rollouts: the Python API, corpus rows, the CLI command, and LLM agents (scripted and over loopback HTTP)."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import typer
from typer.testing import CliRunner

from gem_env.agents import LLMAgent, OracleAgent, make_agent, turn_seed
from gem_env.cli.rollout import register
from gem_env.env import ToolUseEnv
from gem_env.llm.testing import LoopbackOpenAIServer, ScriptedBackend
from gem_env.rollout import arollout, rollout, run_episode
from tools_registry.errors import BackendError, ConfigError
from tools_registry.records import Trajectory


def oracle_responder(tasks):
    """An OpenAI-compatible responder that answers like the reference of the task in the request."""
    by_opening = {next(m.content for m in t.reference if m.role == "user"): t for t in tasks}

    def respond(body):
        msgs = body["messages"]
        task = by_opening[next(m["content"] for m in msgs if m["role"] == "user")]
        k = sum(1 for m in msgs if m["role"] == "assistant")
        ref = [m.to_dict(arguments_as="json") for m in task.reference if m.role == "assistant"]
        return ref[k] if k < len(ref) else {"role": "assistant", "content": ""}

    return respond


def test_rollout_writes_corpus_rows(tiny_domain, tmp_path):
    out = tmp_path / "out.jsonl"
    tids = tiny_domain.task_ids()
    recs = rollout(lambda: ToolUseEnv(tiny_domain), "oracle", 6, concurrency=3, seed=100, task_ids=tids, output=out)
    assert [r.task_id for r in recs] == tids * 2 and [r.seed for r in recs] == list(range(100, 106))
    assert all(r.reward == 1.0 for r in recs)
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(rows) == 6
    row = rows[0]
    assert set(row) == {"messages", "tools", "meta"}
    assert row["tools"][0]["type"] == "function"
    extra = row["meta"]["extra"]
    assert extra["reward"] == 1.0 and extra["env_id"] == "gem/tiny-shop-v0" and extra["agent"] == "oracle"
    assert {"task_id", "seed", "breakdown"} <= set(extra)
    assert row["meta"]["provenance"]["pipeline"] == "rollout" and row["meta"]["stats"]["tool_calls"] >= 1
    assert any(isinstance(c["function"]["arguments"], dict) for m in row["messages"] for c in m.get("tool_calls") or [])
    Trajectory.model_validate(row)  # a valid corpus row


def test_unparsed_arguments_still_make_a_valid_row(tiny_domain):
    class Sloppy(OracleAgent):
        async def act(self, obs):
            if len(obs["messages"]) < 3:
                return {"role": "assistant", "tool_calls": [{"function": {"name": "get_item", "arguments": "{oops"}}]}
            return {"role": "assistant", "content": "bye"}

    rec = run_episode(ToolUseEnv(tiny_domain), Sloppy(), task_id="chair-price")
    row = rec.to_row()
    Trajectory.model_validate(row)
    assert row["messages"][2]["tool_calls"][0]["function"]["arguments"] == {"_unparsed_arguments": "{oops"}
    assert rec.errors == 1 and rec.reward == 0.0


def test_llm_agent_on_scripted_backend_with_raw_text(tiny_domain):
    llm = ScriptedBackend(
        [
            '<think>look it up</think><tool_call>{"name": "get_item", "arguments": {"item_id": "I-2"}}</tool_call>',
            "The chair is $80.",
        ]
    )
    rec = run_episode(
        ToolUseEnv(tiny_domain), LLMAgent(llm, sampling={"temperature": 0.0}), task_id="chair-price", seed=4
    )
    assert rec.reward == 1.0 and rec.agent == "scripted:scripted"
    assert rec.messages[2]["reasoning_content"] == "look it up"
    first = llm.calls[0]
    seed = turn_seed(4, "chair-price", 0)
    assert first["caller"] == "agent" and first["sampling"] == {"temperature": 0.0, "seed": seed, "max_tokens": 1024}
    assert first["tools"][0]["type"] == "function"


def test_llm_agent_samples_each_turn_and_task_with_its_own_seed(tiny_domain):
    """One seed for every call would replay the same random numbers at each turn and on each task."""
    replies = [
        '<tool_call>{"name": "get_item", "arguments": {"item_id": "I-2"}}</tool_call>',
        "The chair is $80.",
    ]

    def seeds(task_id, seed):
        llm = ScriptedBackend(replies * 4)
        run_episode(ToolUseEnv(tiny_domain), LLMAgent(llm, sampling={"temperature": 1.0}), task_id=task_id, seed=seed)
        return [c["sampling"]["seed"] for c in llm.calls]

    first = seeds("chair-price", 4)
    assert len(first) == 2 and first[0] != first[1]  # the two turns draw from different streams
    assert seeds("chair-price", 4) == first  # reproducible
    assert seeds("chair-price", 5)[0] != first[0]
    other = next(t.id for t in ToolUseEnv(tiny_domain).tasks if t.id != "chair-price")
    assert seeds(other, 4)[0] != first[0]  # same episode seed, another task: another stream


def test_llm_agent_over_loopback_http(tiny_domain):
    async def main():
        async with LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks), latency_s=0.01, max_concurrency=4) as srv:
            from gem_env.llm import make_backend

            backend = make_backend("openai:loopback", base_url=srv.url)
            try:
                return await arollout(
                    lambda: ToolUseEnv(tiny_domain),
                    LLMAgent(backend),
                    9,
                    concurrency=4,
                    task_ids=tiny_domain.task_ids(),
                )
            finally:
                await backend.aclose()

    recs = asyncio.run(main())
    assert [r.reward for r in recs] == [1.0] * 9


def test_agent_errors_end_the_episode_marked(tiny_domain):
    def down(messages, tools, response_format, sampling):
        raise BackendError("server gone after 5 attempts", reason="connection", attempts=5)

    rec = run_episode(ToolUseEnv(tiny_domain), LLMAgent(ScriptedBackend(down)), task_id="chair-price")
    assert rec.error and "server gone" in rec.error and rec.truncated and rec.reward == 0.0


def test_configuration_mistakes_stop_the_run(tiny_domain):
    llm = ScriptedBackend([])  # runs out at once: a ConfigError (the script is wrong), not a model failure
    with pytest.raises(ConfigError, match="ran out"):
        run_episode(ToolUseEnv(tiny_domain), LLMAgent(llm), task_id="chair-price")


def test_make_agent():
    assert make_agent("oracle").name == "oracle" and make_agent("random").name == "random"
    with pytest.raises(ConfigError, match="unknown agent"):
        make_agent("gpt")


def test_cli_rollout(tiny_domain, tmp_path, monkeypatch):
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer's subcommand layout
        pass

    out = tmp_path / "rows.jsonl"
    folder = str(tiny_domain.path)
    res = CliRunner().invoke(
        app,
        [
            "rollout",
            folder,
            "--agent",
            "oracle",
            "-n",
            "4",
            "--concurrency",
            "2",
            "--tasks",
            "all",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "4 episodes, mean reward 1.000" in res.output
    assert len(out.read_bytes().splitlines()) == 4
    res = CliRunner().invoke(
        app, ["rollout", folder, "--agent", "random", "-n", "3", "--tools", "replay", "--no-progress"]
    )
    assert res.exit_code == 0 and "mean reward 0.000" in res.output
    res = CliRunner().invoke(app, ["rollout", folder, "--tasks", "nope", "--no-progress"])
    assert res.exit_code != 0 and "no task 'nope'" in str(res.exception)


def test_user_model_failure_at_reset_is_a_marked_episode(tiny_domain):
    from tools_registry.errors import BackendError

    llm = ScriptedBackend([BackendError("server down", reason="server_error")])
    env = ToolUseEnv(tiny_domain, user="llm", user_model=llm)
    rec = asyncio.run(arollout(lambda: env, "oracle", 1))[0]
    assert rec.error.startswith("BackendError") and rec.truncated and rec.reward == 0.0


class _CountingOracle(OracleAgent):
    episodes = 0

    def reset(self, task=None, seed=None):
        type(self).episodes += 1
        super().reset(task, seed)

    def clone(self):
        return _CountingOracle()


def test_resume_skips_finished_episodes_and_cuts_a_torn_line(tmp_path):
    out = tmp_path / "rows.jsonl"
    rollout("gem/photo-framing-v0", OracleAgent(), 8, concurrency=4, seed=10, output=str(out))
    lines = out.read_bytes().splitlines(keepends=True)
    assert len(lines) == 8
    by_seed = sorted(lines, key=lambda b: orjson.loads(b)["meta"]["extra"]["seed"])
    out.write_bytes(b"".join(by_seed[:5]) + by_seed[5][:40])  # a run killed mid-write after 5 episodes
    _CountingOracle.episodes = 0
    recs = rollout("gem/photo-framing-v0", _CountingOracle(), 8, concurrency=4, seed=10, output=str(out), resume=True)
    assert _CountingOracle.episodes == 3 and sorted(r.seed for r in recs) == [15, 16, 17]
    rows = [orjson.loads(b) for b in out.read_bytes().splitlines()]
    assert sorted(r["meta"]["extra"]["seed"] for r in rows) == list(range(10, 18))  # no loss, no duplicate
    # a resume with nothing left runs nothing; another env's rows do not count as finished
    assert rollout("gem/photo-framing-v0", OracleAgent(), 8, seed=10, output=str(out), resume=True) == []
    assert len(rollout("gem/pharmacy-refill-v0", OracleAgent(), 2, seed=10, output=str(out), resume=True)) == 2
