"""Rollout throughput through an OpenAI-compatible server: 1,000 episodes, 100 ms latency, 64 slots.

A loopback server (``gem_env.llm.testing.LoopbackOpenAIServer``, in its own process via
``loopback_server_process``) answers
every agent request like the task's reference (an oracle over HTTP) after ``--latency`` seconds,
serving at most ``--slots`` requests at once. The client is ``gem rollout``'s Python API:
``arollout`` with an ``LLMAgent`` on the ``openai:`` backend, python tools, replayed users.
The server's ideal time is ``requests x latency / slots``; the figure printed is ideal / actual,
with peak memory (RSS) of the client process. Every episode must score 1.0.

    python benchmarks/bench_rollout.py [--episodes 1000] [--latency 0.1] [--slots 64] [--concurrency 64] [--http direct]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time


class OracleResponder:
    """Answers each request with the next reference assistant message of its task (OpenAI wire format).

    Picklable (only the domain name travels): the server process loads the tasks on first use.
    """

    def __init__(self, domain: str):
        self.domain = domain
        self._by_opening: dict | None = None

    def __getstate__(self) -> dict:
        return {"domain": self.domain, "_by_opening": None}

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
        return ref[k] if k < len(ref) else {"role": "assistant", "content": ""}


async def run(url: str, domain: str, episodes: int, concurrency: int, http: str) -> tuple[list, float, int, float]:
    """Roll out ``episodes`` against the server; return (records, wall s, requests, client CPU s)."""
    from gem_env.agents import LLMAgent
    from gem_env.llm import make_backend
    from gem_env.registration import make_env
    from gem_env.rollout import arollout

    backend = make_backend("openai:loopback", base_url=url, concurrency=concurrency, http=http, max_retries=0)
    env = make_env(domain, tools="python")
    task_ids = [t.id for t in env.tasks]
    await backend.chat([{"role": "user", "content": next(m.content for m in env.tasks[0].reference)}])  # warm-up
    calls_before = backend.usage.total.calls
    started = time.perf_counter()
    cpu0 = time.process_time()
    try:
        records = await arollout(lambda: make_env(domain, tools="python"), LLMAgent(backend), episodes,
                                 concurrency=concurrency, task_ids=task_ids)
    finally:
        await backend.aclose()
    return records, time.perf_counter() - started, backend.usage.total.calls - calls_before, time.process_time() - cpu0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="photo-framing")
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=96,
                    help="episodes in flight; above the slot count so a slot never waits on the client between an episode's requests")
    ap.add_argument("--http", default="direct", help="openai backend transport: direct, aiohttp, httpx (see OpenAIBackend)")
    args = ap.parse_args()
    from gem_env.llm.testing import loopback_server_process

    with loopback_server_process(responder=OracleResponder(args.domain), latency_s=args.latency,
                                 max_concurrency=args.slots) as url:
        records, seconds, requests, client_cpu = asyncio.run(
            run(url, args.domain, args.episodes, args.concurrency, args.http))
    from gem_env.registration import make_env
    from gem_env.rollout import rollout

    env = make_env(args.domain, tools="python")
    t0 = time.perf_counter()
    offline = rollout(lambda: make_env(args.domain, tools="python"), "oracle", args.episodes,
                      concurrency=args.concurrency, task_ids=[t.id for t in env.tasks])
    offline_s = time.perf_counter() - t0
    ideal = requests * args.latency / args.slots
    rewards = [r.reward for r in records]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"domain={args.domain} episodes={len(records)} requests={requests} latency={args.latency}s "
          f"slots={args.slots} concurrency={args.concurrency} http={args.http} load1={os.getloadavg()[0]:.2f}")
    print(f"wall {seconds:.2f}s, ideal {ideal:.2f}s -> {ideal / seconds:.1%} of the server's ideal throughput; "
          f"{len(records) / seconds:.1f} episodes/s, {requests / seconds:.0f} requests/s")
    print(f"mean reward {sum(rewards) / len(rewards):.3f}; failed episodes {sum(1 for r in records if r.error)}; "
          f"peak RSS {peak_mb:.0f} MiB (client process)")
    print(f"client CPU {client_cpu:.1f}s = {client_cpu / requests * 1000:.2f} ms per request "
          f"(HTTP client + env + agent); the ideal rate needs <= {args.latency / args.slots * 1000:.2f} ms per request "
          f"on one core")
    steps = sum(r.turns for r in offline)
    print(f"framework alone (oracle agent in process, no server): {len(offline) / offline_s:.0f} episodes/s, "
          f"{offline_s / steps * 1e6:.0f} us per agent turn incl. reset, user and reward")


if __name__ == "__main__":
    main()
