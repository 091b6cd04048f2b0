"""A careless model never stops a run: wrong-shape replies are typed errors recorded on their episode.

Against the loopback server: each wrong shape is a ``ParseError`` for that request; an arguments
string that is not JSON reaches the agent as an error tool message (as for a dict action); an
episode a model failure ends says so in ``truncated_by``; a rollout with 2% wrong-shape replies,
1% deep arguments and 10% malformed calls records every episode once, each with its reason
(``benchmarks/fuzz_rollout.py`` runs 300 episodes per env).
"""

from __future__ import annotations

import asyncio

import orjson
import pytest

from gem_env.agents import LLMAgent
from gem_env.llm.testing.loopback import LoopbackOpenAIServer, MalformedReplies
from gem_env.llm.openai_backend import OpenAIBackend
from gem_env.registration import make_env
from gem_env.rollout import arollout, arun_episode
from tools_registry.errors import ConfigError, ParseError

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look up.",
            "parameters": {
                "type": "object",
                "properties": {"q": {"type": "string", "description": "Query."}},
                "required": ["q"],
            },
        },
    }
]

WRONG_SHAPES = {
    "tool_calls a string": {"role": "assistant", "content": None, "tool_calls": "call lookup"},
    "a call that is a string": {"role": "assistant", "content": None, "tool_calls": ["lookup"]},
    "function a string": {"role": "assistant", "content": None, "tool_calls": [{"function": "lookup"}]},
    "function without a name": {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"arguments": "{}"}}],
    },
    "arguments a number": {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "a", "type": "function", "function": {"name": "lookup", "arguments": 5}}],
    },
    "content a list": {"role": "assistant", "content": [{"type": "text", "text": "hi"}]},
    "message a string": {"choices": [{"index": 0, "message": "hello", "finish_reason": "stop"}]},
    "choices a string": {"choices": "none"},
    "choice a list": {"choices": [["x"]]},
}


def backend(url, **kw):
    return OpenAIBackend("careless", base_url=url, max_retries=0, timeout=10, **kw)


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_wrong_shape_reply_is_a_parse_error(case):
    with LoopbackOpenAIServer(lambda body: WRONG_SHAPES[case]) as srv:
        with pytest.raises(ParseError):
            backend(srv.url).chat_sync([{"role": "user", "content": "hi"}], TOOLS)


def deep_call(depth):
    args = '{"q": ' + "[" * depth + '"x"' + "]" * depth + "}"
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "a", "type": "function", "function": {"name": "lookup", "arguments": args}}],
    }


@pytest.mark.parametrize("arguments", ["email=a@b.c", "not json", "[1, 2]", "DEEP"])
def test_unusable_arguments_string_reaches_the_agent_as_a_tool_message(arguments):
    """Both paths agree: the model's unusable arguments are an error tool message; the episode goes on."""
    reply = (
        deep_call(300)
        if arguments == "DEEP"
        else {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "find_customer", "arguments": arguments}}
            ],
        }
    )
    with LoopbackOpenAIServer(lambda body: reply) as srv:
        msg = backend(srv.url).chat_sync([{"role": "user", "content": "hi"}], TOOLS).message
    assert isinstance(msg["tool_calls"][0]["function"]["arguments"], str)
    env = make_env("gem/photo-framing-v0")
    env.reset(seed=0)
    obs, _, terminated, truncated, info = env.step(msg)
    assert not (terminated or truncated)
    assert obs["messages"][-1]["role"] == "tool" and obs["messages"][-1]["content"].startswith("Error:")
    assert [e["kind"] for e in info["errors"]] == ["arguments"]
    orjson.dumps(obs["messages"])


def test_an_episode_a_model_failure_ends_records_why():
    replies = iter([{"role": "assistant", "content": "Let me check."}])

    def responder(body):
        return next(replies, WRONG_SHAPES["tool_calls a string"])

    env = make_env("gem/photo-framing-v0")
    with LoopbackOpenAIServer(responder) as srv:

        async def go():
            agent = LLMAgent(backend(srv.url))
            try:
                return await arun_episode(env, agent, seed=0)
            finally:
                await agent.aclose()

        rec = asyncio.run(go())
    assert rec.truncated and rec.truncated_by == "agent_error"
    assert rec.error.startswith("ParseError") and "tool_calls" in rec.error
    row = rec.to_row()
    assert row["meta"]["extra"]["truncated_by"] == "agent_error"
    orjson.dumps(row)


def test_rollout_against_a_careless_model_records_every_episode(tmp_path):
    n = 40
    out = tmp_path / "rows.jsonl"
    responder = MalformedReplies(wrong_shape=0.05, deep=0.05, malformed=0.2, seed=3)
    with LoopbackOpenAIServer(responder) as srv:

        async def go():
            agent = LLMAgent(backend(srv.url))
            try:
                return await arollout("gem/photo-framing-v0", agent, n, concurrency=8, output=out)
            finally:
                await agent.aclose()

        records = asyncio.run(go())
    assert {"wrong_shape", "deep", "malformed", "ok"} <= set(responder.counts)
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(r["meta"]["extra"]["seed"] for r in rows) == list(range(n)), "an episode lost or duplicated"
    assert len(records) == n
    for r in rows:
        extra = r["meta"]["extra"]
        assert extra["terminated"] or extra["truncated_by"], extra
        if extra["error"]:
            assert extra["truncated_by"] == "agent_error" and extra["error"].startswith("ParseError"), extra
    assert any(r["meta"]["extra"]["error"] for r in rows), "the wrong shapes should end some episodes"
    assert sum(r.errors for r in records) > 0, "malformed calls should be reported to the agent"


@pytest.mark.parametrize(
    "url", ["http://user:s3cret@127.0.0.1:9/v1", "https://:s3cret@example.com/v1", "http://tok3n_s3cret@127.0.0.1:9/v1"]
)
def test_base_url_with_credentials_is_a_config_error_that_hides_them(url):
    with pytest.raises(ConfigError) as info:
        OpenAIBackend("m", base_url=url)
    assert "s3cret" not in str(info.value) and "credentials" in str(info.value)


def test_base_url_with_credentials_from_the_cli(tmp_path):
    import os
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gem_env.cli",
            "rollout",
            "gem/photo-framing-v0",
            "--agent",
            "openai:m",
            "--base-url",
            "http://user:s3cret@127.0.0.1:9/v1",
            "-n",
            "1",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "GEM_DEBUG"},
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out and "s3cret" not in out, out[-2000:]
    assert "credentials" in out


@pytest.mark.parametrize(
    "reply",
    [
        {"role": "assistant", "tool_calls": "x"},
        {"role": "assistant", "tool_calls": [5]},
        {"role": "assistant", "tool_calls": [{"function": "f"}]},
    ],
)
def test_scripted_and_cached_replies_of_the_wrong_shape_are_parse_errors(reply):
    from gem_env.llm.testing.scripted import ScriptedBackend

    with pytest.raises(ParseError):
        ScriptedBackend([reply]).chat_sync([{"role": "user", "content": "hi"}])
