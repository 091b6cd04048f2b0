"""Reply cache: keys, rw and replay modes, in-flight sharing, many tasks, several processes."""

from __future__ import annotations

import asyncio
import multiprocessing as mp

import pytest

from gem_env.llm import CachedBackend, request_key
from gem_env.llm.cache import ReplyCache
from gem_env.llm.testing import ScriptedBackend
from tools_registry.errors import CacheMissError, ConfigError

USER = [{"role": "user", "content": "q"}]


def _counting_backend():
    state = {"n": 0}

    async def fn(messages, tools, response_format, sampling):
        state["n"] += 1
        await asyncio.sleep(0.01)
        return f"reply to {messages[-1]['content']} #{state['n']}"

    return ScriptedBackend(fn), state


def test_key_covers_every_part_and_normalizes_arguments():
    base = ("openai", "m", USER, None, None, {"seed": 1})
    k = request_key(*base)
    assert k == request_key(*base)
    assert k != request_key("hf", *base[1:])
    assert k != request_key("openai", "m2", *base[2:])
    assert k != request_key("openai", "m", [{"role": "user", "content": "r"}], None, None, {"seed": 1})
    assert k != request_key("openai", "m", USER, [{"type": "function", "function": {"name": "f"}}], None, {"seed": 1})
    assert k != request_key("openai", "m", USER, None, {"type": "json_object"}, {"seed": 1})
    assert k != request_key("openai", "m", USER, None, None, {"seed": 2})
    assert k != request_key("openai", "m", USER, None, None, {"seed": 1, "temperature": 0.7})
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
    }
    as_str = {**call, "tool_calls": [{**call["tool_calls"][0], "function": {"name": "f", "arguments": '{"a": 1}'}}]}
    assert request_key("x", "m", [call], None, None, {}) == request_key("x", "m", [as_str], None, None, {})


def test_rw_then_replay(tmp_path):
    inner, state = _counting_backend()
    cached = CachedBackend(inner, tmp_path / "c.sqlite", mode="rw")
    first = cached.chat_sync(USER, seed=1)
    again = cached.chat_sync(USER, seed=1, caller="judge")
    assert not first.cached and again.cached and again.content == first.content and state["n"] == 1
    assert cached.usage.callers["judge"].cache_hits == 1
    other = cached.chat_sync(USER, seed=2)
    assert other.content != first.content and state["n"] == 2
    replay = CachedBackend(ScriptedBackend([]), tmp_path / "c.sqlite", mode="replay-only")
    assert replay.chat_sync(USER, seed=1).content == first.content
    with pytest.raises(CacheMissError):
        replay.chat_sync(USER, seed=3)
    off = CachedBackend(inner, tmp_path / "c.sqlite", mode="off")
    assert not off.chat_sync(USER, seed=1).cached and state["n"] == 3
    with pytest.raises(ConfigError):
        CachedBackend(inner, tmp_path / "c.sqlite", mode="sometimes")


def test_many_concurrent_tasks_share_in_flight_calls(tmp_path):
    inner, state = _counting_backend()
    cached = CachedBackend(inner, tmp_path / "c.sqlite")

    async def run():
        prompts = [[{"role": "user", "content": f"q{i % 20}"}] for i in range(200)]
        return await asyncio.gather(*(cached.chat(p) for p in prompts))

    replies = asyncio.run(run())
    assert state["n"] == 20  # one real call per distinct request
    for i, r in enumerate(replies):
        assert r.content.startswith(f"reply to q{i % 20} #")
    assert len(cached.cache) == 20
    assert cached.usage.total.calls == 200 and cached.usage.total.cache_hits == 180


def test_inflight_failure_reaches_every_waiter(tmp_path):
    async def boom(messages, tools, response_format, sampling):
        await asyncio.sleep(0.01)
        raise ConfigError("scripted failure")

    cached = CachedBackend(ScriptedBackend(boom), tmp_path / "c.sqlite")

    async def run():
        return await asyncio.gather(*(cached.chat(USER) for _ in range(5)), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, ConfigError) for r in results)
    assert len(cached.cache) == 0


def _writer(path: str, worker: int, n: int) -> None:
    cache = ReplyCache(path)
    for i in range(n):
        key = f"k{i}"  # every worker writes the same keys: first writer wins, none fail
        cache.put(key, "scripted", "m", {"message": {"role": "assistant", "content": f"w{worker}-{i}"}})
        assert cache.get(key) is not None
        cache.put(f"own{worker}-{i}", "scripted", "m", {"message": {"role": "assistant", "content": "x"}})


def test_several_processes(tmp_path):
    path = str(tmp_path / "mp.sqlite")
    ReplyCache(path)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 60)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    cache = ReplyCache(path)
    assert len(cache) == 60 + 4 * 60
    assert cache.get("k0")["message"]["content"].startswith("w")


def test_openai_run_replays_exactly_without_the_server(tmp_path):
    from gem_env.llm import make_backend
    from gem_env.llm.testing import LoopbackOpenAIServer

    path = tmp_path / "run.sqlite"
    prompts = [[{"role": "user", "content": f"item {i}"}] for i in range(8)]

    async def run(backend):
        out = await asyncio.gather(*(backend.chat(p, seed=0, caller="stage") for p in prompts))
        await backend.aclose()
        return out

    with LoopbackOpenAIServer() as srv:
        first = asyncio.run(run(make_backend("openai:m", base_url=srv.url, cache=path)))
        url = srv.url
    replay = make_backend("openai:m", base_url=url, cache=path, cache_mode="replay", max_retries=0)
    again = asyncio.run(run(replay))
    assert [r.message for r in again] == [r.message for r in first]
    assert all(r.cached for r in again) and replay.usage.callers["stage"].cache_hits == 8
    with pytest.raises(CacheMissError):
        replay.chat_sync([{"role": "user", "content": "never asked"}], seed=0)
    other_model = make_backend("openai:m2", base_url=url, cache=path, cache_mode="replay")
    with pytest.raises(CacheMissError):
        other_model.chat_sync(prompts[0], seed=0)


def test_unusable_cache_file_is_a_typed_error(tmp_path):
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(ConfigError, match="cannot open reply cache"):
        CachedBackend(ScriptedBackend(["x"]), bad)


def _open_new_at_once(path: str, barrier, worker: int) -> None:
    barrier.wait()
    cache = ReplyCache(path)
    cache.put(f"w{worker}", "scripted", "m", {"message": {"role": "assistant", "content": "x"}})


def test_processes_opening_a_new_cache_file_at_once(tmp_path):
    """Switching a new file to WAL takes a lock SQLite does not wait for: openers must retry."""
    ctx = mp.get_context("fork")
    for round_ in range(5):
        path = str(tmp_path / f"new{round_}.sqlite")
        barrier = ctx.Barrier(6)
        procs = [ctx.Process(target=_open_new_at_once, args=(path, barrier, w)) for w in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 6, f"round {round_}"
        assert len(ReplyCache(path)) == 6
