"""OpenAI-compatible backend against the loopback server: features, faults, retries, typed errors."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from gem_env.llm import make_backend
from gem_env.llm.testing import LoopbackOpenAIServer
from tools_registry.errors import BackendError

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
            },
        },
    }
]


def _backend(srv, **kw):
    kw.setdefault("backoff_s", 0.005)
    kw.setdefault("timeout", 5)
    return make_backend("openai:loopback", base_url=srv.url, **kw)


def test_chat_tools_json_schema_and_usage():
    seen = []

    def responder(body):
        seen.append(body)
        from gem_env.llm.testing import default_responder

        return default_responder(body)

    with LoopbackOpenAIServer(responder) as srv:
        b = _backend(srv, default_sampling={"temperature": 0.0})
        history = [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "X"}}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "user", "content": "and tomorrow?"},
        ]
        r = b.chat_sync(history, caller="sim", max_tokens=7, top_k=5, seed=3)
        assert r.content == "echo: and tomorrow?" and r.finish_reason == "stop" and not r.cached
        sent = seen[-1]
        assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city":"X"}'
        assert sent["max_tokens"] == 7 and sent["seed"] == 3 and sent["temperature"] == 0.0
        assert sent["top_k"] == 5  # non-OpenAI sampling goes through extra_body
        r = b.chat_sync([{"role": "user", "content": "w"}], TOOLS, tool_choice="required")
        assert r.tool_calls[0]["function"] == {"name": "get_weather", "arguments": {"city": "x", "days": 1}}
        assert r.finish_reason == "tool_calls" and seen[-1]["tools"] == TOOLS
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        r = b.chat_sync([{"role": "user", "content": "j"}], response_format=schema)
        assert r.json(schema) == {"ok": True}
        assert seen[-1]["response_format"]["type"] == "json_schema"
        assert b.usage.callers["sim"].calls == 1 and b.usage.total.calls == 3
        assert b.usage.total.prompt_tokens > 0


def test_text_tool_calls_and_reasoning_from_server_are_parsed():
    def responder(body):
        return {
            "role": "assistant",
            "reasoning_content": "thinking",
            "content": '<tool_call>\n{"name": "get_weather", "arguments": {"city": "P", "days": 2}}\n</tool_call>',
        }

    with LoopbackOpenAIServer(responder) as srv:
        r = _backend(srv).chat_sync([{"role": "user", "content": "w"}], TOOLS)
        assert r.reasoning == "thinking" and r.content is None
        assert r.tool_calls[0]["function"]["arguments"] == {"city": "P", "days": 2}


@pytest.mark.parametrize("http", ["httpx", "aiohttp", "direct"])
def test_faults_every_request_succeeds_once_none_lost_none_duplicated(http):
    def responder(body):
        return {"role": "assistant", "content": f"answer {body['messages'][-1]['content']}"}

    faults = {"500": 0.1, "503": 0.05, "429": 0.1, "truncate": 0.05, "drop": 0.05}
    with LoopbackOpenAIServer(
        responder, latency_s=0.002, max_concurrency=16, faults=faults, retry_after_s=0.01, seed=7
    ) as srv:
        b = _backend(srv, concurrency=32, max_retries=12, http=http)

        async def run():
            out = await asyncio.gather(*(b.chat([{"role": "user", "content": f"req-{i}"}]) for i in range(300)))
            await b.aclose()
            return out

        replies = asyncio.run(run())
        assert [r.content for r in replies] == [f"answer req-{i}" for i in range(300)]
        assert srv.stats["ok"] == 300  # each delivered reply was produced exactly once
        assert sum(srv.stats[f] for f in faults) > 30  # the faults really happened
        assert b.usage.total.calls == 300 and b.usage.total.errors == 0


def test_exhausted_retries_raise_typed_error():
    with LoopbackOpenAIServer(faults=lambda i, body: "500") as srv:
        b = _backend(srv, max_retries=3)
        with pytest.raises(BackendError) as info:
            b.chat_sync([{"role": "user", "content": "x"}], caller="stage")
        assert info.value.reason == "server_error" and info.value.status == 500 and info.value.attempts == 4
        assert srv.stats["requests"] == 4 and b.usage.callers["stage"].errors == 1


def test_retry_after_is_honoured():
    with LoopbackOpenAIServer(faults=["429"], retry_after_s=0.4) as srv:
        b = _backend(srv)
        start = time.perf_counter()
        r = b.chat_sync([{"role": "user", "content": "x"}])
        assert r.content == "echo: x" and time.perf_counter() - start >= 0.4
    with LoopbackOpenAIServer(faults=lambda i, body: "429", retry_after_s=0.01) as srv:
        with pytest.raises(BackendError) as info:
            _backend(srv, max_retries=2).chat_sync([{"role": "user", "content": "x"}])
        assert info.value.reason == "rate_limited" and info.value.status == 429


@pytest.mark.parametrize("http", ["httpx", "aiohttp", "direct"])
def test_hang_times_out_then_retries(http):
    with LoopbackOpenAIServer(faults=["hang"], hang_s=3) as srv:
        r = _backend(srv, timeout=0.3, http=http).chat_sync([{"role": "user", "content": "x"}])
        assert r.content == "echo: x" and srv.stats["hang"] == 1
    with LoopbackOpenAIServer(faults=lambda i, body: "hang", hang_s=3) as srv:
        with pytest.raises(BackendError) as info:
            _backend(srv, timeout=0.2, max_retries=1, http=http).chat_sync([{"role": "user", "content": "x"}])
        assert info.value.reason == "timeout" and info.value.attempts == 2


@pytest.mark.parametrize("http", ["httpx", "aiohttp", "direct"])
def test_non_retryable_and_unreachable(http):
    with LoopbackOpenAIServer() as srv:
        b = make_backend("openai:m", base_url=srv.url.replace("/v1", "/nope"), max_retries=5, http=http)
        with pytest.raises(BackendError) as info:
            b.chat_sync([{"role": "user", "content": "x"}])
        assert info.value.reason == "not_found" and info.value.attempts == 1 and srv.stats["requests"] == 0
        port = srv.port
    b = make_backend("openai:m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, backoff_s=0.001, http=http)
    with pytest.raises(BackendError) as info:
        b.chat_sync([{"role": "user", "content": "x"}])
    assert info.value.reason == "connection" and info.value.attempts == 3


def test_concurrency_limit_and_server_slots():
    state = {"now": 0, "peak": 0}

    async def responder(body):
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.02)
        state["now"] -= 1
        return {"role": "assistant", "content": "ok"}

    async def run(limit, slots):
        state["peak"] = 0
        async with LoopbackOpenAIServer(responder, max_concurrency=slots) as srv:
            b = _backend(srv, concurrency=limit)
            await asyncio.gather(*(b.chat([{"role": "user", "content": str(i)}]) for i in range(24)))
            await b.aclose()
        return state["peak"]

    assert asyncio.run(run(4, None)) == 4
    assert asyncio.run(run(32, 6)) == 6


def test_models_endpoint_and_aiohttp_transport():
    import urllib.request

    with LoopbackOpenAIServer(model="tiny") as srv:
        data = orjson.loads(urllib.request.urlopen(srv.url + "/models", timeout=5).read())
        assert data["data"][0]["id"] == "tiny"
        b = _backend(srv, http="aiohttp")

        async def run():
            out = await asyncio.gather(*(b.chat([{"role": "user", "content": str(i)}]) for i in range(10)))
            await b.aclose()
            return out

        assert [r.content for r in asyncio.run(run())] == [f"echo: {i}" for i in range(10)]


def test_server_in_its_own_process():
    from gem_env.llm.testing import loopback_server_process

    with loopback_server_process(latency_s=0.01, max_concurrency=4) as url:
        b = make_backend("openai:loopback", base_url=url)

        async def run():
            out = await asyncio.gather(*(b.chat([{"role": "user", "content": str(i)}]) for i in range(12)))
            await b.aclose()
            return out

        assert [r.content for r in asyncio.run(run())] == [f"echo: {i}" for i in range(12)]


def test_server_slot_time_is_not_charged_with_its_own_loop_lag():
    """A slot frees at its scheduled end even when the server's loop wakes late (a busy front end)."""
    import time as _time
    import urllib.request

    def post(url, text):
        req = urllib.request.Request(
            url + "/chat/completions",
            data=orjson.dumps({"model": "m", "messages": [{"role": "user", "content": text}]}),
            headers={"Content-Type": "application/json"},
        )
        return urllib.request.urlopen(req, timeout=10).read()

    with LoopbackOpenAIServer(latency_s=0.5, max_concurrency=1) as srv:
        t0 = _time.perf_counter()
        done = {}

        def send(name):
            post(srv.url, name)
            done[name] = _time.perf_counter() - t0

        import threading

        first = threading.Thread(target=send, args=("a",))
        first.start()
        _time.sleep(0.05)
        second = threading.Thread(target=send, args=("b",))  # queued behind "a" for the one slot
        second.start()
        _time.sleep(0.15)
        srv._loop.call_soon_threadsafe(_time.sleep, 0.6)  # the server's loop is stuck until ~0.8 s
        first.join()
        second.join()
    # "a" is due at 0.5 s and answered late (~0.8 s); its slot was free at 0.5 s in the schedule, so
    # "b" is due at ~1.0 s. Charging the lag to the slot would make it ~1.3 s.
    assert done["a"] >= 0.75, done
    assert done["b"] < 1.17, done
