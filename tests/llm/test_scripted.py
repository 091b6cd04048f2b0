"""ScriptedBackend: lists, callables, recorded files, exhaustion, accounting."""

from __future__ import annotations

import asyncio

import pytest

from gem_env.llm import ChatReply, make_backend
from gem_env.llm.testing import ScriptedBackend, record_reply
from tools_registry.errors import BackendError, ConfigError

USER = [{"role": "user", "content": "hello there"}]


def test_list_script_in_order_and_exhaustion():
    b = ScriptedBackend(
        [
            "one",
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"function": {"name": "f", "arguments": '{"a": 1}'}}],
            },
            ChatReply(message={"role": "assistant", "content": "three"}),
            '<think>hm</think><tool_call>{"name": "g", "arguments": {}}</tool_call>',
        ]
    )
    r1 = b.chat_sync(USER, caller="stage")
    assert r1.content == "one" and r1.finish_reason == "stop" and r1.usage.prompt_tokens == 2
    r2 = b.chat_sync(USER)
    assert r2.tool_calls[0]["function"]["arguments"] == {"a": 1} and r2.finish_reason == "tool_calls"
    assert b.chat_sync(USER).content == "three"
    r4 = b.chat_sync(USER)
    assert r4.reasoning == "hm" and r4.tool_calls[0]["function"]["name"] == "g"
    assert b.remaining == 0
    with pytest.raises(ConfigError, match="ran out of replies"):
        b.chat_sync(USER, caller="judge")
    assert b.usage.callers["stage"].calls == 1 and b.usage.callers["judge"].errors == 1
    assert len(b.calls) == 5 and b.calls[0]["caller"] == "stage"


def test_callable_and_async_callable_and_exceptions():
    def fn(messages, tools, response_format, sampling):
        return f"{messages[-1]['content']}|{sampling.get('temperature')}|{bool(tools)}"

    b = ScriptedBackend(fn)
    assert b.chat_sync(USER, temperature=0.5).content == "hello there|0.5|False"

    async def afn(messages, tools, response_format, sampling):
        await asyncio.sleep(0)
        return {"role": "assistant", "content": "async"}

    assert ScriptedBackend(afn).chat_sync(USER).content == "async"
    err = ScriptedBackend([BackendError("boom", reason="server_error", status=500)])
    with pytest.raises(BackendError, match="boom"):
        err.chat_sync(USER)


def test_recorded_file(tmp_path):
    path = tmp_path / "rec.jsonl"
    record_reply(path, USER, "hi back")
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    record_reply(
        path,
        USER,
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f", "arguments": {}}}]},
        tools=tools,
    )
    b = make_backend("scripted:", replies=str(path))
    assert b.chat_sync(USER).content == "hi back"
    assert b.chat_sync(USER, tools).tool_calls[0]["function"]["name"] == "f"
    with pytest.raises(ConfigError, match="no entry"):
        b.chat_sync([{"role": "user", "content": "other"}])
    with pytest.raises(ConfigError):
        ScriptedBackend(tmp_path / "missing.jsonl")
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ConfigError, match="bad.jsonl:1"):
        ScriptedBackend(tmp_path / "bad.jsonl")
