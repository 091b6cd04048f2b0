"""What a new user meets first: reruns of `gem rollout`, per-role sampling and tool_choice, how a row
says an episode ended, and actions written as JSON messages."""

from __future__ import annotations

import orjson
import pytest
import typer
from typer.testing import CliRunner

from gem_env.agents import LLMAgent
from gem_env.cli.rollout import register
from gem_env.env import ToolUseEnv
from gem_env.llm.testing import LoopbackOpenAIServer, ScriptedBackend
from gem_env.role_sampling import ROLE_DEFAULTS, parse_sampling, role_sampling
from gem_env.rollout import run_episode
from gem_env.simulated import SimulatedToolBackend
from gem_env.users import LLMUser
from tools_registry.errors import BackendError, ConfigError


@pytest.fixture
def gem_app():
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer's subcommand layout
        pass

    return app


def _rows(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_rollout_refuses_an_existing_output(gem_app, tiny_domain, tmp_path):
    out = tmp_path / "rows.jsonl"
    base = ["rollout", str(tiny_domain.path), "--agent", "oracle", "--tasks", "all", "-o", str(out), "--no-progress"]
    run = CliRunner().invoke
    assert run(gem_app, [*base, "-n", "2"]).exit_code == 0
    again = run(gem_app, [*base, "-n", "2"])
    assert again.exit_code != 0 and "--resume" in str(again.exception) and "--overwrite" in str(again.exception)
    assert len(_rows(out)) == 2, "the refused rerun appended nothing"
    res = run(gem_app, [*base, "-n", "3", "--resume"])
    assert res.exit_code == 0 and "2 finished earlier" in res.output
    assert [r["meta"]["extra"]["seed"] for r in _rows(out)] == [0, 1, 2], "resume adds only the missing episode"
    res = run(gem_app, [*base, "-n", "1", "--overwrite"])
    assert res.exit_code == 0 and len(_rows(out)) == 1
    both = run(gem_app, [*base, "-n", "1", "--overwrite", "--resume"])
    assert both.exit_code != 0 and "exclude each other" in str(both.exception)


def test_json_message_action_is_that_message(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "chair-price"})
    text = orjson.dumps({"role": "assistant", "content": None, "tool_calls": [
        {"id": "x", "type": "function", "function": {"name": "get_item", "arguments": '{"item_id": "I-2"}'}}]}).decode()
    obs, _, terminated, truncated, info = env.step(text)
    assert obs["messages"][-2]["tool_calls"][0]["function"] == {"name": "get_item", "arguments": {"item_id": "I-2"}}
    assert obs["messages"][-1]["role"] == "tool" and "80" in obs["messages"][-1]["content"]
    assert not (terminated or truncated) and not info["errors"]


def test_json_message_of_another_role_is_an_error_observation(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "chair-price"})
    obs, _, _, _, info = env.step('{"role": "user", "content": "hi"}')
    assert info["errors"][0]["kind"] == "parse" and "role 'user'" in obs["messages"][-1]["content"]


def test_backend_error_counts_and_the_row_says_how_it_ended(tiny_domain):
    calls = []

    def flaky(messages, tools, response_format, sampling):
        calls.append(1)
        if len(calls) == 1:
            return {"role": "assistant", "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "get_item", "arguments": {"item_id": "I-2"}}}]}
        raise BackendError("server gone after 5 attempts", reason="connection", attempts=5)

    rec = run_episode(ToolUseEnv(tiny_domain), LLMAgent(ScriptedBackend(flaky)), task_id="chair-price")
    extra = rec.to_row()["meta"]["extra"]
    assert extra["errors"] == 1 and extra["ended_by"] == "error:BackendError" and "server gone" in extra["error"]
    ok = run_episode(ToolUseEnv(tiny_domain), LLMAgent(ScriptedBackend(
        ['<tool_call>{"name": "get_item", "arguments": {"item_id": "I-2"}}</tool_call>', "It is $80."])),
        task_id="chair-price")
    assert ok.to_row()["meta"]["extra"]["ended_by"] == "terminated" and ok.errors == 0


def test_role_defaults_and_overrides(tmp_path):
    user = LLMUser(ScriptedBackend(["hi"]))
    assert user.sampling == ROLE_DEFAULTS["user"] and user.sampling["max_tokens"] == 256
    sim = SimulatedToolBackend(ScriptedBackend([], default_sampling={"max_tokens": 64, "temperature": 0.3}))
    assert sim.sampling == {"temperature": 0.3, "max_tokens": 64}, "the backend's default_sampling beats the defaults"
    assert role_sampling("judge", None, {"max_tokens": 9})["max_tokens"] == 9, "explicit options win"
    from gem_env.llm import make_backend

    cached = make_backend("scripted:x", default_sampling={"max_tokens": 7}, cache=tmp_path / "c.sqlite")
    assert role_sampling("user", cached) == {"temperature": 0.0, "max_tokens": 7}, "seen through the reply cache"

    class Budgeted(ScriptedBackend):
        max_tokens = 48  # a backend with a token budget of its own (hf:, vllm:)

    assert "max_tokens" not in LLMAgent(Budgeted([])).sampling
    assert parse_sampling(["user.max_tokens=128", "tools.temperature=0.2", "agent.stop=[\"x\"]", "judge.x=a b"]) == {
        "user": {"max_tokens": 128}, "tools": {"temperature": 0.2}, "agent": {"stop": ["x"]}, "judge": {"x": "a b"}}
    for bad in ("user=3", "critic.max_tokens=3", "user.max_tokens"):
        with pytest.raises(ConfigError):
            parse_sampling([bad])


def test_llm_user_sends_its_budget_and_rows_record_sampling_per_role(tiny_domain):
    user_llm = ScriptedBackend(["Hi, how much is the chair I-2?", "Thanks. ###STOP###"])
    agent_llm = ScriptedBackend(['<tool_call>{"name": "get_item", "arguments": {"item_id": "I-2"}}</tool_call>',
                                 "It is $80.", "Bye."])
    env = ToolUseEnv(tiny_domain, user="llm", user_model=user_llm)
    rec = run_episode(env, LLMAgent(agent_llm, sampling={"temperature": 0.5}, tool_choice="auto"),
                      task_id="chair-price", seed=3)
    assert user_llm.calls[0]["sampling"] == {"temperature": 0.0, "max_tokens": 256}
    sampling = rec.to_row()["meta"]["provenance"]["sampling"]
    assert sampling["agent"] == {"max_tokens": 1024, "temperature": 0.5, "tool_choice": "auto"}
    assert sampling["user"] == {"temperature": 0.0, "max_tokens": 256}


def test_tool_choice_is_sent_only_with_tools():
    llm = ScriptedBackend(["a", "b"])
    agent = LLMAgent(llm, tool_choice="required")
    import asyncio

    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    asyncio.run(agent.act({"messages": [{"role": "user", "content": "x"}], "tools": tools}))
    asyncio.run(agent.act({"messages": [{"role": "user", "content": "x"}], "tools": []}))
    assert llm.calls[0]["sampling"]["tool_choice"] == "required" and "tool_choice" not in llm.calls[1]["sampling"]
    with pytest.raises(ConfigError, match="tool_choice"):
        LLMAgent(llm, tool_choice="always")


def test_cli_sends_tool_choice_and_role_sampling_to_the_server(gem_app, tiny_domain, tmp_path):
    bodies = []

    def respond(body):
        bodies.append(body)
        if sum(m["role"] == "assistant" for m in body["messages"]) == 0:
            return {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
                "name": "get_item", "arguments": '{"item_id": "I-2"}'}}]}
        return {"role": "assistant", "content": "It is $80."}

    out = tmp_path / "rows.jsonl"
    with LoopbackOpenAIServer(respond) as srv:
        res = CliRunner().invoke(gem_app, [
            "rollout", str(tiny_domain.path), "--agent", "openai:loopback", "--base-url", srv.url, "-n", "1",
            "--tasks", "chair-price", "--tool-choice", "required", "--sampling", "agent.max_tokens=77",
            "--sampling", "agent.top_p=0.5", "-o", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert bodies[0]["tool_choice"] == "required" and bodies[0]["max_tokens"] == 77 and bodies[0]["top_p"] == 0.5
    sampling = _rows(out)[0]["meta"]["provenance"]["sampling"]
    assert sampling["agent"] == {"max_tokens": 77, "top_p": 0.5, "tool_choice": "required"}
