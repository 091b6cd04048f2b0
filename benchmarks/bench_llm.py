"""Benchmark the OpenAI-compatible backend against the loopback server; prints figures.

The server runs in its own process (so the client's CPU time is its own): each request holds one
of ``--slots`` slots for ``--latency`` seconds, so the ideal throughput is slots / latency.

    python benchmarks/bench_llm.py                       # 5,000 requests, 100 ms, 64 slots
    python benchmarks/bench_llm.py --http httpx --requests 2000   # the SDK default transport
    python benchmarks/bench_llm.py --http direct                  # opt-in lean aiohttp transport
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time


async def _client(url: str, args) -> dict:
    from gem_env.llm import make_backend

    backend = make_backend(
        "openai:loopback", base_url=url, concurrency=args.slots, http=args.http, timeout=30, max_retries=3
    )
    msgs = [{"role": "system", "content": "You are a helpful assistant."}]
    # warm up connections (not timed)
    await asyncio.gather(*(backend.chat(msgs + [{"role": "user", "content": "warm"}]) for _ in range(args.slots)))
    cpu0, t0 = time.process_time(), time.perf_counter()
    replies = await asyncio.gather(
        *(
            backend.chat(msgs + [{"role": "user", "content": f"request {i}"}], caller="bench", max_tokens=16)
            for i in range(args.requests)
        )
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await backend.aclose()
    assert [r.content for r in replies] == [f"echo: request {i}" for i in range(args.requests)]
    return {"wall": wall, "cpu": cpu, "usage": backend.usage}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--slots", type=int, default=64)
    p.add_argument("--http", choices=["auto", "httpx", "aiohttp", "direct"], default="auto")
    args = p.parse_args()
    from gem_env.llm.testing import loopback_server_process

    with loopback_server_process(latency_s=args.latency, max_concurrency=args.slots) as url:
        out = asyncio.run(_client(url, args))
    ideal = args.slots / args.latency
    rps = args.requests / out["wall"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024**2)
    print(
        f"requests            {args.requests} ({args.slots} slots, {args.latency * 1000:.0f} ms latency, "
        f"http={args.http})"
    )
    print(f"wall time           {out['wall']:.2f} s")
    print(f"throughput          {rps:.0f} req/s of ideal {ideal:.0f} -> {rps / ideal:.3f} of ideal")
    print(f"client CPU/request  {out['cpu'] / args.requests * 1000:.3f} ms")
    print(f"client peak memory  {peak_mb:.0f} MB (max RSS)")
    print(f"usage               {out['usage']!r}")


if __name__ == "__main__":
    main()
