"""Endpoint pools: least-outstanding routing, episode stickiness, back-off and failover, per-endpoint counts."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gem_env.llm import make_backend
from gem_env.llm.pool import EndpointPool, episode_affinity, read_endpoints
from gem_env.llm.testing import LoopbackOpenAIServer
from tools_registry.errors import BackendError, ConfigError


def _pool(*servers, **kw):
    kw.setdefault("timeout", 10)
    kw.setdefault("backoff_s", 0.05)
    return make_backend("openai:loopback", base_url=[s.url for s in servers], **kw)


def _conversation(name: str, turns: int) -> list[list[dict]]:
    msgs = [{"role": "system", "content": "policy"}, {"role": "user", "content": f"hello from {name}"}]
    out = []
    for t in range(turns):
        out.append(list(msgs))
        msgs += [{"role": "assistant", "content": f"reply {t}"}, {"role": "user", "content": f"more {t}"}]
    return out


def test_make_backend_builds_a_pool_and_reads_url_files(tmp_path):
    b = make_backend("openai:m", base_url=["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"])
    assert isinstance(b, EndpointPool) and b.name == "openai:m" and len(b.base_urls) == 2
    single = make_backend("openai:m", base_url=["http://127.0.0.1:1/v1"])
    assert type(single).__name__ == "OpenAIBackend" and single.base_url == "http://127.0.0.1:1/v1"
    f = tmp_path / "urls.txt"
    f.write_text("# replicas\nhttp://a:8000/v1\n\nhttp://b:8000/v1  # second\n")
    assert read_endpoints(["http://c/v1", str(f), "http://a:8000/v1"]) == [
        "http://c/v1",
        "http://a:8000/v1",
        "http://b:8000/v1",
    ]
    with pytest.raises(ConfigError, match="neither a URL"):
        read_endpoints(["nowhere.txt"])
    (tmp_path / "bad.txt").write_text("localhost:8000\n")
    with pytest.raises(ConfigError, match="not URLs"):
        read_endpoints([str(tmp_path / "bad.txt")])
    with pytest.raises(ConfigError, match="routing"):
        EndpointPool("m", base_urls=["http://x/v1"], routing="random")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.lists(
            st.one_of(st.sampled_from(["http://a:1/v1", "# c", "", "  ", "https://b/v1 # x"]), st.text(max_size=30)),
            max_size=8,
        ).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    ),
    extra=st.lists(st.text(max_size=40), max_size=3),
)
def test_endpoint_files_and_values_give_urls_or_a_config_error(tmp_path, content, extra):
    f = tmp_path / "urls.txt"
    f.write_bytes(content)
    try:
        urls = read_endpoints([str(f), *extra])
    except ConfigError as exc:
        assert str(exc)
        return
    assert urls and all(isinstance(u, str) and "://" in u and u == u.strip() for u in urls)
    assert len(urls) == len(set(urls))


def test_an_endpoint_file_that_is_not_text_or_too_big_is_a_config_error(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"\xff\xfe\x00http://a/v1\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_endpoints([str(f)])
    f.write_bytes(b"http://a/v1\n" * (1 << 17))
    with pytest.raises(ConfigError, match="not a file of URLs"):
        read_endpoints([str(f)])


def test_least_outstanding_spreads_requests_and_counts_them_per_endpoint():
    async def main():
        async with LoopbackOpenAIServer(latency_s=0.05) as a, LoopbackOpenAIServer(latency_s=0.05) as b:
            pool = _pool(a, b)
            try:
                replies = await asyncio.gather(
                    *(pool.chat([{"role": "user", "content": f"q{i}"}], caller="agent") for i in range(40))
                )
            finally:
                await pool.aclose()
            return pool, replies, a.stats["ok"], b.stats["ok"]

    pool, replies, on_a, on_b = asyncio.run(main())
    assert [r.content for r in replies] == [f"echo: q{i}" for i in range(40)]
    assert on_a == on_b == 20, "40 concurrent requests split evenly by outstanding count"
    ends = pool.usage.endpoints
    assert [s.ok for s in ends.values()] == [20, 20] and all(s.failed == 0 for s in ends.values())
    assert pool.usage.callers["agent"].calls == 40
    table = pool.usage.summary()
    assert "agent" in table and all(url in table for url in pool.base_urls)
    assert pool.usage.as_dict()["endpoints"][pool.base_urls[0]]["requests"] == 20


def test_an_episode_sticks_to_its_endpoint_and_least_loaded_does_not():
    async def episode(pool, name):
        seen = []
        with episode_affinity():
            for msgs in _conversation(name, 5):
                await pool.chat(msgs)
                seen.append(pool.usage.endpoints[pool.base_urls[0]].ok)
        return seen

    async def main(routing):
        async with LoopbackOpenAIServer(latency_s=0.01) as a, LoopbackOpenAIServer(latency_s=0.01) as b:
            pool = _pool(a, b, routing=routing)
            served = {a.url: a, b.url: b}
            by_server = {}
            try:
                for i in range(8):  # one episode at a time: which server saw which conversation
                    before = {u: s.stats["ok"] for u, s in served.items()}
                    await episode(pool, f"e{i}")
                    by_server[i] = {u: s.stats["ok"] - before[u] for u, s in served.items()}
            finally:
                await pool.aclose()
            return pool, by_server

    pool, by_server = asyncio.run(main("sticky"))
    assert all(sorted(d.values()) == [0, 5] for d in by_server.values()), by_server
    assert {max(d, key=d.get) for d in by_server.values()} == set(pool.base_urls), "episodes start on both"
    assert sum(s.sticky for s in pool.usage.endpoints.values()) == 8 * 4
    _, by_server = asyncio.run(main("least-loaded"))
    assert any(sorted(d.values()) != [0, 5] for d in by_server.values()), "least-loaded alternates servers"


def test_a_dead_endpoint_is_backed_off_and_retried_later():
    async def main():
        async with LoopbackOpenAIServer() as a:
            b = LoopbackOpenAIServer()
            await b.start()
            port = b.port
            await b.stop()  # nothing listens at b's address now
            pool = _pool(a, b, backoff_s=0.3, max_backoff_s=0.3)
            try:
                first = await asyncio.gather(*(pool.chat([{"role": "user", "content": f"x{i}"}]) for i in range(10)))
                dead = pool.usage.endpoints[b.url]
                assert dead.failed >= 1 and dead.backoffs >= 1 and dead.ok == 0
                assert all(r.content.startswith("echo:") for r in first)
                revived = LoopbackOpenAIServer(port=port)
                await revived.start()
                try:
                    await asyncio.sleep(0.35)  # the back-off runs out: the endpoint is tried again
                    await asyncio.gather(*(pool.chat([{"role": "user", "content": f"y{i}"}]) for i in range(10)))
                    assert revived.stats["ok"] >= 4 and pool.usage.endpoints[b.url].ok >= 4
                finally:
                    await revived.stop()
            finally:
                await pool.aclose()

    asyncio.run(main())


def test_in_flight_requests_move_when_their_endpoint_stops_answering():
    def faults(index, body):  # the first request drops its connection; the rest hang
        return "drop" if index == 0 else "hang"

    async def main():
        async with (
            LoopbackOpenAIServer(latency_s=0.2, faults=faults, hang_s=30) as bad,
            LoopbackOpenAIServer(latency_s=0.05) as good,
        ):
            pool = _pool(bad, good, timeout=20)
            started = time.perf_counter()
            try:
                replies = await asyncio.gather(*(pool.chat([{"role": "user", "content": f"m{i}"}]) for i in range(6)))
            finally:
                await pool.aclose()
            return pool, replies, time.perf_counter() - started, bad, good

    pool, replies, seconds, bad, good = asyncio.run(main())
    assert [r.content for r in replies] == [f"echo: m{i}" for i in range(6)]
    assert seconds < 10, "hanging requests were moved, not left to time out"
    s = pool.usage.endpoints[bad.url]
    assert s.failed >= 1 and s.moved >= 1 and s.ok == 0 and good.stats["ok"] == 6


def test_a_bad_request_is_not_retried_and_giving_up_names_the_pool():
    async def main():
        async with (
            LoopbackOpenAIServer(faults=lambda i, body: "500") as a,
            LoopbackOpenAIServer(faults=lambda i, body: "503") as b,
        ):
            pool = _pool(a, b, max_retries=3, backoff_s=0.01)
            wrong = make_backend("openai:loopback", base_url=[a.url + "/wrong"], routing="sticky")
            try:
                with pytest.raises(BackendError, match="every attempt failed") as err:
                    await pool.chat([{"role": "user", "content": "x"}])
                assert err.value.attempts == 4 and err.value.reason == "server_error"
                assert a.stats["requests"] + b.stats["requests"] == 4
                assert min(a.stats["requests"], b.stats["requests"]) >= 1, "retries went to the other endpoint"
                with pytest.raises(BackendError) as err:
                    await wrong.chat([{"role": "user", "content": "x"}])
                assert err.value.reason == "not_found" and wrong.usage.endpoints[a.url + "/wrong"].requests == 1
            finally:
                await pool.aclose()
                await wrong.aclose()

    asyncio.run(main())


def test_one_pool_serves_the_agent_the_user_and_the_simulated_tools(tmp_path):
    from gem_env.agents import LLMAgent
    from gem_env.registration import make_env
    from gem_env.rollout import arollout

    def responder(body):  # stop as the user at once; otherwise what the default responder says
        from gem_env.llm.testing import default_responder

        if "###STOP###" in str(body["messages"][0].get("content")):  # the user simulator's prompt
            if len(body["messages"]) <= 2:
                return {"role": "assistant", "content": "Hi, I would like a frame for a print."}
            return {"role": "assistant", "content": "Thanks, bye ###STOP###"}
        return default_responder(body)

    async def main():
        async with (
            LoopbackOpenAIServer(responder, latency_s=0.01) as a,
            LoopbackOpenAIServer(responder, latency_s=0.01) as b,
        ):
            pool = _pool(a, b)
            env_kw = {
                "user": "llm",
                "user_model": pool,
                "tools": "simulated",
                "tool_model": pool,
                "judge_model": pool,
                "max_turns": 2,
            }
            try:
                agent = LLMAgent(pool, sampling={"tool_choice": "required"})  # the loopback then calls the first tool
                recs = await arollout(lambda: make_env("photo-framing", **env_kw), agent, 6, concurrency=3)
            finally:
                await pool.aclose()
            return pool, recs, a.stats["ok"], b.stats["ok"]

    pool, recs, on_a, on_b = asyncio.run(main())
    assert len(recs) == 6 and not any(r.error for r in recs), [r.error for r in recs]
    assert {"agent", "user", "tool_simulator"} <= set(pool.usage.callers), pool.usage.callers
    assert on_a > 0 and on_b > 0 and sum(s.ok for s in pool.usage.endpoints.values()) == on_a + on_b


def test_loopback_prefix_cache_model_charges_only_unseen_prompt_tokens():
    import json
    import urllib.request

    srv = LoopbackOpenAIServer(prefill_s_per_token=0.001)
    turns = _conversation("a", 3)
    first = srv.uncached_tokens(turns[0])
    assert first == srv.stats["prompt_tokens"] > 0, "a new conversation is prefilled whole"
    grown = srv.uncached_tokens(turns[1])
    assert 0 < grown < srv.stats["prompt_tokens"] - first, "only the messages added since the last request"
    assert srv.uncached_tokens(turns[1]) == 0, "a repeated prompt is fully cached"
    other = _conversation("b", 1)[0]
    assert 0 < srv.uncached_tokens(other) < first, "another conversation shares only the system prompt"

    async def timed():
        async with LoopbackOpenAIServer(prefill_s_per_token=0.002) as s:
            pool = _pool(s, routing="least-loaded")
            try:
                t0 = time.perf_counter()
                await pool.chat(turns[2])
                cold = time.perf_counter() - t0
                t0 = time.perf_counter()
                await pool.chat(turns[2])
                warm = time.perf_counter() - t0
            finally:
                await pool.aclose()
            stats = await asyncio.to_thread(
                lambda: json.loads(urllib.request.urlopen(s.url + "/stats", timeout=5).read())
            )
            return cold, warm, stats

    cold, warm, stats = asyncio.run(timed())
    assert cold > warm + 0.02 and stats["uncached_tokens"] < stats["prompt_tokens"]


def test_the_judge_goes_through_the_pool_and_fails_over():
    """A rubric judged by a pool: judge requests spread over both endpoints, a 503 is retried elsewhere."""
    import dataclasses

    from gem_env.registration import make_env
    from gem_env.rollout import arollout
    from tools_registry.domains import LoadedDomain

    base = make_env("photo-framing", tools="python").loaded
    tasks = [
        t.model_copy(
            update={
                "criteria": t.criteria.model_copy(
                    update={"rubric": ["The agent is polite."], "reward_basis": [*t.criteria.reward_basis, "judge"]}
                )
            }
        )
        for t in base.tasks[:4]
    ]
    loaded = LoadedDomain(domain=base.domain, tasks=tasks, path=base.path, toolkit=base.toolkit)
    assert dataclasses.is_dataclass(loaded)

    def judge(body):
        return {"role": "assistant", "content": '{"items": [{"item": 1, "met": true, "why": "polite"}]}'}

    async def main():
        async with (
            LoopbackOpenAIServer(judge, latency_s=0.01) as a,
            LoopbackOpenAIServer(judge, latency_s=0.01, faults=["503"] * 2) as b,
        ):
            pool = _pool(a, b, max_retries=3)
            try:
                recs = await arollout(
                    lambda: make_env(loaded, tools="python", judge_model=pool),
                    "oracle",
                    8,
                    concurrency=4,
                    task_ids=[t.id for t in tasks],
                )
            finally:
                await pool.aclose()
            return pool, recs, a.stats, b.stats

    pool, recs, on_a, on_b = asyncio.run(main())
    assert len(recs) == 8 and all(r.reward == 1.0 for r in recs), [(r.reward, r.breakdown) for r in recs]
    assert all(r.breakdown.get("judge") == 1.0 for r in recs), recs[0].breakdown
    judged = pool.usage.callers["judge"]
    assert judged.calls == 8, "one verdict per episode, whichever endpoint gave it"
    assert on_b["503"] == 2 and on_a["ok"] + on_b["ok"] == 8, "both failed attempts were retried on the pool"
    assert on_a["ok"] >= 2, (on_a, on_b)
    eps = pool.usage.as_dict()["endpoints"]
    assert sum(e["failed"] for e in eps.values()) == 2 and sum(e["ok"] for e in eps.values()) == 8


def test_eval_results_report_each_endpoint(tmp_path):
    """gem eval's results.json carries each role's usage, with the pool's per-endpoint counts."""
    import json

    from trainers.evaluate import evaluate

    def oracle_reply(body):
        from gem_env.llm.testing import default_responder

        return default_responder(body)

    with LoopbackOpenAIServer(oracle_reply) as a, LoopbackOpenAIServer(oracle_reply) as b:
        result = evaluate(
            "openai:loopback",
            ["gem/photo-framing-v0"],
            k=2,
            max_tasks=2,
            concurrency=2,
            backend_options={"base_url": [a.url, b.url], "timeout": 10},
            output_dir=tmp_path / "ev",
        )
        served = {a.url: a.stats["ok"], b.url: b.stats["ok"]}
    saved = json.loads((tmp_path / "ev" / "results.json").read_text())
    eps = saved["summary"]["usage"]["agent"]["endpoints"]
    assert set(eps) == set(served)
    assert {u: e["ok"] for u, e in eps.items()} == served and sum(served.values()) >= 4
    assert result.summary["usage"]["agent"]["total"]["calls"] == sum(served.values())
