"""Rollout throughput through an OpenAI-compatible server: 1,000 episodes, 100 ms latency, 64 slots.

Baseline in the same run: the bare LLM client (``backend.chat``, no env, no agent) sends the same
requests the rollout sent (every episode's conversation up to each assistant turn) against the
same server, under the same young-generation GC threshold; the rollout's client CPU per request
is printed beside it, with the ratio. The rollout's CPU is split too: what the envs' ``areset``
and ``astep`` ran (tools, tool state, replayed user, reward: the domain's simulation, timed per
resumption by ``EnvCpu``) and the rest, the rollout loop itself (agent, LLM client, records,
scheduling), each beside the bare client's; and the envs' part once more, into building and
serialising the tool state (the backend's ``reset`` and ``state_json``) and the rest. The
rollout and the bare client run ``--repeats`` times in pairs, alternating which goes first (on a
shared machine the speed drifts by tens of percent within minutes); each pair is printed, then
the median and range of the ratios.

A loopback server (``gem_env.llm.testing.LoopbackOpenAIServer``, in its own process via
``loopback_server_process``) answers
every agent request like the task's reference (an oracle over HTTP) after ``--latency`` seconds,
serving at most ``--slots`` requests at once. The client is ``gem rollout``'s Python API:
``arollout`` with an ``LLMAgent`` on the ``openai:`` backend, python tools, replayed users.
The server's ideal time is ``requests x latency / slots``; the figure printed is ideal / actual,
with peak memory (RSS) of the client process. Every episode must score 1.0.

    python benchmarks/bench_rollout.py [--episodes 1000] [--latency 0.1] [--slots 64] [--concurrency 192]
        [--http direct] [--gc-threshold N] [--paced-delay 0.01] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from typing import Any

from gem_env.agents import OracleAgent


class OracleResponder:
    """Answers each request with the next reference assistant message of its task (OpenAI wire format).

    Picklable (only the domain name travels): the server process loads the tasks on first use.
    ``per_episode`` marks each reply with the request's seed (the episode's), so conversations of
    the same task differ as sampled ones would (what a prefix cache sees).
    """

    def __init__(self, domain: str, per_episode: bool = False):
        self.domain = domain
        self.per_episode = per_episode
        self._by_opening: dict | None = None

    def __getstate__(self) -> dict:
        return {"domain": self.domain, "per_episode": self.per_episode, "_by_opening": None}

    def _load(self) -> dict:
        from gem_env.resolution import resolve_domain

        out = {}
        for t in resolve_domain(self.domain).tasks:
            opening = next(m.content for m in t.reference if m.role == "user")
            out[opening] = [m.to_dict(arguments_as="json") for m in t.reference if m.role == "assistant"]
        return out

    def __call__(self, body: dict) -> dict:
        if self._by_opening is None:
            self._by_opening = self._load()
        msgs = body["messages"]
        ref = self._by_opening[next(m["content"] for m in msgs if m["role"] == "user")]
        k = sum(1 for m in msgs if m["role"] == "assistant")
        reply = ref[k] if k < len(ref) else {"role": "assistant", "content": ""}
        if self.per_episode:
            reply = {**reply, "content": f"{reply.get('content') or ''} (episode {body.get('seed')})"}
        return reply


class PacedOracle(OracleAgent):
    """The oracle agent, waiting ``delay`` seconds before each reply as an agent behind a server does.

    Unpaced, an in-process oracle episode runs from reset to reward without yielding to the event
    loop; paced, the episodes in flight interleave and the loop idles between turns, as in a
    rollout against a server, with no HTTP work at all.
    """

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    def clone(self) -> PacedOracle:
        return PacedOracle(self.delay)

    async def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(self.delay)
        return await super().act(observation)


class EnvCpu:
    """Thread CPU spent inside the envs' ``areset`` and ``astep`` during a rollout (tools, state, user, reward).

    :meth:`wrap` times an env's two coroutines only while they run (each resumption is timed, a
    suspension is not), so what the event loop does for other episodes in between is not counted.
    The rollout's client CPU less this is what the rollout loop itself costs (agent, LLM client,
    records, scheduling); the collector's pauses are charged to whichever side triggered them.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.state_seconds = 0.0  # the part of ``seconds`` spent building and serialising tool states

    def wrap(self, env: Any) -> Any:
        """``env`` with its ``areset`` and ``astep`` timed (instance attributes; the class is untouched).

        The tool backend's ``reset`` (build the episode's tool state) and ``state_json`` (serialise
        it for the reward) are timed apart as well, into :attr:`state_seconds`; they run inside
        ``areset`` and ``astep``, so that time is also in :attr:`seconds`.
        """
        for name in ("areset", "astep"):
            method = getattr(env, name)

            async def timed(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                return await _Timed(_method(*args, **kwargs), self)

            setattr(env, name, timed)
        backend = getattr(env, "backend", None)
        for name in ("reset", "state_json"):
            method = getattr(backend, name, None)
            if method is None:
                continue

            def timed_sync(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                t0 = time.thread_time()
                try:
                    return _method(*args, **kwargs)
                finally:
                    self.state_seconds += time.thread_time() - t0

            setattr(backend, name, timed_sync)
        return env


class _Timed:
    """Awaits a coroutine, adding the thread CPU of each of its resumptions to ``meter.seconds``."""

    def __init__(self, coro: Any, meter: EnvCpu):
        self.coro, self.meter = coro, meter

    def __await__(self) -> Any:
        coro, meter, clock = self.coro, self.meter, time.thread_time
        value: Any = None
        error: BaseException | None = None
        while True:
            t0 = clock()
            try:
                step = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as done:  # re-raising it would be a RuntimeError in a generator
                return done.value
            finally:
                meter.seconds += clock() - t0
            try:
                value, error = (yield step), None
            except BaseException as exc:  # a cancellation goes into the coroutine
                value, error = None, exc


async def run(
    url: str | list[str],
    domain: str,
    episodes: int,
    concurrency: int,
    http: str,
    routing: str | None = None,
    gc_threshold: int | None = None,
    env_cpu: EnvCpu | None = None,
) -> tuple[list, float, int, float]:
    """Roll out ``episodes`` against the server(s); return (records, wall s, requests, client CPU s).

    Several URLs (or a ``routing``) put the agent on an endpoint pool; ``env_cpu`` times the envs.
    """
    from gem_env.agents import LLMAgent
    from gem_env.llm import make_backend
    from gem_env.registration import make_env
    from gem_env.rollout import YOUNG_GC_THRESHOLD, arollout

    opts = {"base_url": url, "concurrency": concurrency, "http": http, "max_retries": 0}
    if isinstance(url, list) or routing:
        opts = {
            **opts,
            "base_url": list(url) if isinstance(url, list) else [url],
            "routing": routing or "sticky",
            "max_retries": 2,
        }
    backend = make_backend("openai:loopback", **opts)
    env = make_env(domain, tools="python")
    task_ids = [t.id for t in env.tasks]
    await backend.chat([{"role": "user", "content": next(m.content for m in env.tasks[0].reference)}])  # warm-up
    meter = env_cpu.wrap if env_cpu is not None else (lambda e: e)
    calls_before = backend.usage.total.calls
    started = time.perf_counter()
    cpu0 = time.process_time()
    try:
        records = await arollout(
            lambda: meter(make_env(env.loaded, tools="python")),
            LLMAgent(backend),
            episodes,
            concurrency=concurrency,
            task_ids=task_ids,
            gc_threshold=YOUNG_GC_THRESHOLD if gc_threshold is None else gc_threshold,
        )
    finally:
        await backend.aclose()
    return records, time.perf_counter() - started, backend.usage.total.calls - calls_before, time.process_time() - cpu0


async def send_bare(
    url: str, requests: list, concurrency: int, http: str, gc_threshold: int | None = None
) -> tuple[int, float, float]:
    """The bare LLM client sends ``(messages, tools)`` requests; return (requests, wall s, client CPU s).

    It runs under the rollout's young-generation GC threshold (``gc_threshold``; None: arollout's
    default, 0: Python's own), so the two are compared under the same collector settings.
    """
    from gem_env.llm import make_backend
    from gem_env.rollout import YOUNG_GC_THRESHOLD, young_gc_threshold

    backend = make_backend("openai:loopback", base_url=url, concurrency=concurrency, http=http, max_retries=0)
    await backend.chat(requests[0][0], tools=requests[0][1])  # warm-up
    queue = iter(requests)

    async def worker() -> None:
        for msgs, tools in queue:
            await backend.chat(msgs, tools=tools, caller="bare")

    with young_gc_threshold(YOUNG_GC_THRESHOLD if gc_threshold is None else gc_threshold):  # never lowers it
        cpu0, t0 = time.process_time(), time.perf_counter()
        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await backend.aclose()
        return len(requests), time.perf_counter() - t0, time.process_time() - cpu0


async def bare(
    url: str, records: list, concurrency: int, http: str, gc_threshold: int | None = None
) -> tuple[int, float, float]:
    """The bare LLM client sends the rollout's requests again; return (requests, wall s, client CPU s)."""
    requests = [
        (r.messages[:j], r.tools) for r in records for j, m in enumerate(r.messages) if m["role"] == "assistant"
    ]
    return await send_bare(url, requests, concurrency, http, gc_threshold)


def pair_figures(pair: dict[str, Any], latency: float, slots: int) -> dict[str, float]:
    """One rollout/bare pair's figures: CPU in ms per request, the ratios to the bare client, share of ideal."""
    ours, theirs = pair["rollout"], pair["bare"]
    n = ours["requests"]
    rollout_ms, bare_ms = ours["cpu"] / n * 1000, theirs["cpu"] / theirs["requests"] * 1000
    env_ms, state_ms = ours["env"].seconds / n * 1000, ours["env"].state_seconds / n * 1000
    return {
        "rollout": rollout_ms,
        "bare": bare_ms,
        "env": env_ms,
        "state": state_ms,
        "loop": rollout_ms - env_ms,
        "ratio": rollout_ms / bare_ms,
        "loop_ratio": (rollout_ms - env_ms) / bare_ms,
        "free_state_ratio": (rollout_ms - state_ms) / bare_ms,
        "share": n * latency / slots / ours["seconds"],
    }


def zero_overhead_share(turns: list[int], concurrency: int, slots: int, latency: float) -> float:
    """The share of the ideal a client with no overhead at all would reach on the same episodes.

    A closed loop: ``concurrency`` workers take episodes in order (episode ``i`` makes ``turns[i]``
    requests, one after another), the server serves ``slots`` requests at once for ``latency``
    each, first come first served. What is lost is the run's drain: at the end fewer episodes are
    left in flight than there are slots.
    """
    import heapq

    queue = iter(turns)
    waiting: list[tuple[float, int, int]] = []  # (time the request arrives, seq, requests left)
    seq = 0
    for _ in range(concurrency):
        n = next(queue, None)
        if n:
            waiting.append((0.0, seq, n))
            seq += 1
    heapq.heapify(waiting)
    free = [0.0] * slots  # when each slot is free
    end = 0.0
    while waiting:
        arrive, _, left = heapq.heappop(waiting)
        start = max(arrive, heapq.heappop(free))
        done = start + latency
        heapq.heappush(free, done)
        end = max(end, done)
        nxt = left - 1 or next(queue, 0)  # the episode's next request, or the worker's next episode
        if nxt:
            heapq.heappush(waiting, (done, seq, nxt))
            seq += 1
    return sum(turns) * latency / slots / end if end else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="photo-framing")
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument(
        "--concurrency",
        type=int,
        default=192,
        help="episodes in flight; three times the slot count, so a slot never waits on the client between an "
        "episode's requests and the run's drain (fewer episodes left than slots) starts late",
    )
    ap.add_argument(
        "--http", default="direct", help="openai backend transport: direct, aiohttp, httpx (see OpenAIBackend)"
    )
    ap.add_argument(
        "--paced-delay",
        type=float,
        default=0.01,
        help="seconds each oracle turn waits in the paced in-process run (episodes interleave, the loop idles)",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="rollout/bare pairs, alternating which runs first; the ratios' median and range are printed",
    )
    ap.add_argument(
        "--gc-threshold",
        type=int,
        default=None,
        help="young-generation GC threshold during the rollout (default: arollout's; 0: Python's own)",
    )
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    from gem_env.llm.testing import loopback_server_process

    pairs: list[dict[str, Any]] = []
    with loopback_server_process(
        responder=OracleResponder(args.domain), latency_s=args.latency, max_concurrency=args.slots
    ) as url:

        def rollout_once() -> dict[str, Any]:
            meter = EnvCpu()
            out = asyncio.run(
                run(
                    url,
                    args.domain,
                    args.episodes,
                    args.concurrency,
                    args.http,
                    gc_threshold=args.gc_threshold,
                    env_cpu=meter,
                )
            )
            return dict(zip(("records", "seconds", "requests", "cpu"), out, strict=True), env=meter)

        def bare_once(records: list) -> dict[str, Any]:
            out = asyncio.run(bare(url, records, args.concurrency, args.http, args.gc_threshold))
            return dict(zip(("requests", "seconds", "cpu"), out, strict=True))

        for i in range(args.repeats):  # pairs alternate their order, so a drift of the machine hits both sides
            if i % 2 == 0:  # the first pair must start with a rollout: the bare client replays its requests
                ours = rollout_once()
                theirs = bare_once(pairs[0]["rollout"]["records"] if pairs else ours["records"])
            else:
                theirs = bare_once(pairs[0]["rollout"]["records"])
                ours = rollout_once()
            pairs.append({"rollout": ours, "bare": theirs})
    first = pairs[0]["rollout"]
    records, seconds, requests, client_cpu = first["records"], first["seconds"], first["requests"], first["cpu"]
    env_cpu = first["env"]
    bare_n, bare_s, bare_cpu = (pairs[0]["bare"][k] for k in ("requests", "seconds", "cpu"))
    from gem_env.registration import make_env
    from gem_env.rollout import rollout

    env = make_env(args.domain, tools="python")
    tight, paced = EnvCpu(), EnvCpu()
    t0 = time.perf_counter()
    offline = rollout(
        lambda: tight.wrap(make_env(env.loaded, tools="python")),
        "oracle",
        args.episodes,
        concurrency=args.concurrency,
        task_ids=[t.id for t in env.tasks],
    )
    offline_s = time.perf_counter() - t0
    paced_run = rollout(
        lambda: paced.wrap(make_env(env.loaded, tools="python")),
        PacedOracle(args.paced_delay),
        args.episodes,
        concurrency=args.concurrency,
        task_ids=[t.id for t in env.tasks],
    )
    ideal = requests * args.latency / args.slots
    rewards = [r.reward for r in records]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"domain={args.domain} episodes={len(records)} requests={requests} latency={args.latency}s "
        f"slots={args.slots} concurrency={args.concurrency} http={args.http} gc_threshold={args.gc_threshold} "
        f"load1={os.getloadavg()[0]:.2f}"
    )
    print(
        f"wall {seconds:.2f}s, ideal {ideal:.2f}s -> {ideal / seconds:.1%} of the server's ideal throughput; "
        f"{len(records) / seconds:.1f} episodes/s, {requests / seconds:.0f} requests/s"
    )
    floor = zero_overhead_share([r.turns for r in records], args.concurrency, args.slots, args.latency)
    print(
        f"baseline, a client with zero overhead on the same episodes (simulated): {floor:.1%} of ideal "
        f"(the rest is the run's drain) -> this client reached {ideal / seconds / floor:.1%} of that"
    )
    print(
        f"mean reward {sum(rewards) / len(rewards):.3f}; failed episodes {sum(1 for r in records if r.error)}; "
        f"peak RSS {peak_mb:.0f} MiB (client process)"
    )
    per, bare_per = client_cpu / requests * 1000, bare_cpu / bare_n * 1000
    print(
        f"client CPU {client_cpu:.1f}s = {per:.3f} ms per request "
        f"(HTTP client + env + agent); the ideal rate needs <= {args.latency / args.slots * 1000:.2f} ms per request "
        f"on one core"
    )
    print(
        f"baseline, bare LLM client sending the same {bare_n} requests (same GC threshold): {bare_per:.3f} ms per request "
        f"({bare_n * args.latency / args.slots / bare_s:.1%} of ideal) -> rollout/bare CPU = {per / bare_per:.2f}x"
    )
    env_per = env_cpu.seconds / requests * 1000
    print(
        f"of which the envs' own work (areset/astep: tools, tool state, user, reward; thread CPU): {env_per:.3f} ms "
        f"per request; the rollout loop without it (agent, LLM client, records, scheduling): {per - env_per:.3f} ms "
        f"= {(per - env_per) / bare_per:.2f}x the bare client's"
    )
    state_per = env_cpu.state_seconds / requests * 1000
    print(
        f"  the envs' work split: tool state (built for each episode, serialised for its reward) {state_per:.3f} ms "
        f"per request; the rest (tools, user, reward, bookkeeping) {env_per - state_per:.3f} ms; a free tool state "
        f"would leave rollout/bare at {(per - state_per) / bare_per:.2f}x"
    )
    if len(pairs) > 1:
        rows = [pair_figures(p, args.latency, args.slots) for p in pairs]
        print(
            f"{len(rows)} rollout/bare pairs, alternating which ran first (ms per request; the throughput above is "
            f"pair 1's, a fresh process's as a user's run is):"
        )
        for i, r in enumerate(rows, 1):
            print(
                f"  pair {i}: rollout {r['rollout']:.3f} (envs {r['env']:.3f}, of which tool state {r['state']:.3f}; "
                f"loop {r['loop']:.3f}), bare {r['bare']:.3f} -> {r['ratio']:.2f}x, loop {r['loop_ratio']:.2f}x, "
                f"free state {r['free_state_ratio']:.2f}x; {r['share']:.1%} of ideal"
            )
        for key, what in (
            ("ratio", "rollout/bare CPU"),
            ("loop_ratio", "rollout loop without the envs / bare"),
            ("free_state_ratio", "rollout less the tool state / bare"),
        ):
            values = [r[key] for r in rows]
            fmt = "{:.2f}x"
            print(
                f"median {what}: {fmt.format(statistics.median(values))} "
                f"(range {fmt.format(min(values))}-{fmt.format(max(values))})"
            )
    steps = sum(r.turns for r in offline)
    print(
        f"framework alone (oracle agent in process, no server): {len(offline) / offline_s:.0f} episodes/s, "
        f"{offline_s / steps * 1e6:.0f} us per agent turn incl. reset, user and reward; the envs' own work "
        f"{tight.seconds / steps * 1e6:.0f} us per turn"
    )
    paced_steps = sum(r.turns for r in paced_run)
    print(
        f"the same, paced (each oracle turn first waits {args.paced_delay * 1000:g} ms, as an agent behind a server "
        f"does; no HTTP): the envs' own work {paced.seconds / paced_steps * 1e6:.0f} us per turn "
        f"({paced.seconds / paced_steps / (tight.seconds / steps):.2f}x unpaced)"
    )


if __name__ == "__main__":
    main()
