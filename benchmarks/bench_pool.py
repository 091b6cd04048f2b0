"""Endpoint pools: rollouts on one server against two behind one pool, and sticky against least-loaded routing.

Each loopback server runs in its own process and answers like the task's reference (an oracle over
HTTP) after ``--latency`` seconds, at most ``--slots`` requests at once. Two figures, each beside
its baseline measured in the same run:

1. Throughput: the same rollout (``--episodes``) on one server, then on two servers behind one
   ``EndpointPool``; the ratio should approach 2.
2. Prefix cache: ``--prefix-servers`` servers with the prefix-cache model on (``--prefill`` seconds per prompt token
   the server has not seen as the prefix of an earlier request); the rollout with episode-sticky
   routing, then with least-loaded routing. The servers report how many prompt tokens they had to
   prefill; the model's implied time is ``(requests x latency + prefill x uncached tokens) /
   (servers x slots)``, printed beside the measured wall time. The more servers, the more of a
   conversation least-loaded routing scatters away from the cache that holds its prefix. Two loads:
   saturated (more episodes in flight than slots: the server that just answered an episode has a
   free slot, so least-loaded routing mostly sends it back there) and light (half the slots busy:
   ties between idle servers go round-robin and scatter each conversation); at light load the
   model's implied time is the service time over the episodes in flight.

    python benchmarks/bench_pool.py [--episodes 400] [--latency 0.5] [--slots 16] [--prefill 0.0005] [--prefix-servers 4]

Replies carry their episode's seed (``OracleResponder(per_episode=True)``), so two episodes of one
task share only the task's opening, as sampled conversations do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_rollout import OracleResponder, run  # noqa: E402 - the benchmark folder is not a package


def _stats(url: str) -> dict:
    with urllib.request.urlopen(url + "/stats", timeout=10) as resp:
        return json.loads(resp.read())


def _rollout(urls: list[str], args, routing: str | None) -> tuple[float, int, list]:
    records, seconds, requests, _ = asyncio.run(
        run(
            urls if len(urls) > 1 else urls[0],
            args.domain,
            args.episodes,
            args.concurrency * len(urls),
            args.http,
            routing=routing,
        )
    )
    assert all(r.reward == 1.0 for r in records), [r.breakdown for r in records if r.reward != 1.0][:1]
    return seconds, requests, records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="photo-framing")
    ap.add_argument("--episodes", type=int, default=400)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--slots", type=int, default=16, help="per server")
    ap.add_argument("--concurrency", type=int, default=24, help="episodes in flight per server")
    ap.add_argument("--prefill", type=float, default=0.0005, help="seconds per uncached prompt token (prefix model)")
    ap.add_argument(
        "--prefix-servers",
        type=int,
        default=4,
        help="servers in the prefix-cache comparison (slots/server scaled so the total stays 2 x --slots)",
    )
    ap.add_argument(
        "--light-episodes",
        type=int,
        default=160,
        help="episodes of the prefix comparison at light load (half the slots busy)",
    )
    ap.add_argument("--http", default="direct")
    args = ap.parse_args()
    from gem_env.llm.testing.loopback import loopback_server_process

    server = {
        "responder": OracleResponder(args.domain, per_episode=True),
        "latency_s": args.latency,
        "max_concurrency": args.slots,
    }
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(loopback_server_process(**server))
        b = stack.enter_context(loopback_server_process(**server))
        one_s, one_req, _ = _rollout([a], args, None)
        two_s, two_req, _ = _rollout([a, b], args, "sticky")
    print(
        f"domain={args.domain} episodes={args.episodes} latency={args.latency}s slots={args.slots}/server "
        f"concurrency={args.concurrency}/server http={args.http} load1={os.getloadavg()[0]:.2f}"
    )
    one_rps, two_rps = one_req / one_s, two_req / two_s
    print(
        f"one server:           {one_rps:7.1f} requests/s ({one_req * args.latency / args.slots / one_s:.1%} of ideal)"
    )
    print(
        f"two servers, 1 pool:  {two_rps:7.1f} requests/s ({two_req * args.latency / args.slots / 2 / two_s:.1%} "
        f"of ideal) -> {two_rps / one_rps:.2f}x one server"
    )

    k = args.prefix_servers
    slots = max(1, 2 * args.slots // k)
    cached = {**server, "prefill_s_per_token": args.prefill, "max_concurrency": slots}
    scenarios = [
        ("saturated", 2 * args.concurrency // k, args.episodes),
        ("light", max(1, slots // 2), args.light_episodes),
    ]
    for load, per_server, episodes in scenarios:
        figures = {}
        for routing in ("sticky", "least-loaded"):  # fresh servers (empty caches) for each routing
            with contextlib.ExitStack() as stack:
                urls = [stack.enter_context(loopback_server_process(**cached)) for _ in range(k)]
                seconds, requests, _ = _rollout(
                    urls, argparse.Namespace(**{**vars(args), "concurrency": per_server, "episodes": episodes}), routing
                )
                stats = [_stats(u) for u in urls]
            uncached = sum(s.get("uncached_tokens", 0) for s in stats)
            prompt = sum(s.get("prompt_tokens", 0) for s in stats)
            # busy slot-seconds over the slots that can be busy at once (all of them when saturated,
            # one per episode in flight when not)
            implied = (requests * args.latency + args.prefill * uncached) / min(k * slots, k * per_server)
            figures[routing] = (seconds, implied)
            print(
                f"prefix model, {k} servers, {load:<9} ({per_server} episodes/server, {slots} slots), {routing:<12} "
                f"wall {seconds:6.2f}s, model-implied {implied:6.2f}s; "
                f"{uncached}/{prompt} prompt tokens prefilled ({uncached / max(prompt, 1):.1%})"
            )
        (s_wall, s_implied), (l_wall, l_implied) = figures["sticky"], figures["least-loaded"]
        print(
            f"{load}: sticky vs least-loaded: {l_wall / s_wall:.2f}x faster measured, {l_implied / s_implied:.2f}x "
            f"implied by the prefix model"
        )


if __name__ == "__main__":
    main()
