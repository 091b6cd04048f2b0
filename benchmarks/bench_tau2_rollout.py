"""τ²-bench rollout throughput with the LLM user: agent and user on one loopback OpenAI server.

The loopback server (``loopback_server_process``: 100 ms latency, 64 slots by default) answers
both sides. Agent requests get the task's gold conversation, one assistant message per request;
user requests - tau2's user simulator prompt, run through gem's ``openai:`` backend - get the
opening ("Task <id>: <reason for call>") and then ``###STOP###`` once the agent has answered.
The client is ``arollout`` over ``gem/tau2-<domain>-v0`` with an ``LLMAgent``; every episode is
scored by tau2's evaluator. The figure is the server's ideal time (requests x latency / slots)
over the wall time, as in ``bench_rollout.py``, beside the share a client with no overhead at all
would reach on the same episodes (their lengths vary, so the run's drain costs more than in
``bench_rollout.py``). Baselines in the same run: the bare LLM client sending the rollout's agent
requests again (no env, no user, no reward), and ``bench_rollout.py``'s replayed-user rollout of a
bundled domain (python tools) with the same settings.

    python benchmarks/bench_tau2_rollout.py [--domain airline] [--episodes 1000] [--latency 0.1] [--slots 64] [--http direct]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time


class Tau2Responder:
    """Plays the gold agent and a scripted customer over HTTP (picklable: loads tasks in the server)."""

    def __init__(self, domain: str):
        self.domain = domain
        self._gold: dict | None = None
        self._scenarios: dict | None = None

    def __getstate__(self) -> dict:
        return {"domain": self.domain, "_gold": None, "_scenarios": None}

    def _load(self) -> None:
        from gem_env.tau2.data import load_tasks
        from gem_env.tau2.fidelity import gold_conversation

        self._gold, self._scenarios = {}, {}
        for t in load_tasks(self.domain):
            wire = []
            for m in gold_conversation(t):
                if m["role"] != "assistant":
                    continue
                calls = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {
                            "name": c["function"]["name"],
                            "arguments": json.dumps(c["function"]["arguments"]),
                        },
                    }
                    for c in m.get("tool_calls") or []
                ]
                wire.append(
                    {"role": "assistant", "content": m.get("content"), **({"tool_calls": calls} if calls else {})}
                )
            self._gold[t.id] = wire
            ins = t.user_scenario.instructions
            self._scenarios[str(t.user_scenario)] = (t.id, ins if isinstance(ins, str) else ins.reason_for_call)

    def __call__(self, body: dict) -> dict:
        if self._gold is None:
            self._load()
        msgs = body["messages"]
        system = msgs[0]["content"] if msgs and msgs[0]["role"] == "system" else ""
        if "<scenario>" in system:  # the user simulator
            scenario = system.split("<scenario>\n", 1)[1].rsplit("\n</scenario>", 1)[0]
            tid, reason = self._scenarios[scenario]
            said = sum(1 for m in msgs if m["role"] == "assistant")
            return {"role": "assistant", "content": f"Task {tid}: {reason}" if said == 0 else "Thanks. ###STOP###"}
        opening = next(m["content"] for m in msgs if m["role"] == "user")
        tid = opening.split(":", 1)[0].removeprefix("Task ")
        k = sum(1 for m in msgs if m["role"] == "assistant") - 1  # tau2's greeting is the first
        gold = self._gold[tid]
        return gold[k] if k < len(gold) else {"role": "assistant", "content": "Is there anything else?"}


async def run(url: str, domain: str, episodes: int, concurrency: int, http: str) -> tuple[list, float, int, float]:
    from gem_env.agents import LLMAgent
    from gem_env.llm import make_backend
    from gem_env.rollout import arollout
    from gem_env.tau2 import make_tau2_env

    backend = make_backend("openai:loopback", base_url=url, concurrency=concurrency * 2, http=http, max_retries=0)
    factory = lambda: make_tau2_env(f"gem/tau2-{domain}-v0", user="llm", user_model=backend)  # noqa: E731
    env = factory()
    task_ids = [t.id for t in env.tasks]
    await env.areset(options={"task_id": task_ids[0]})  # warm-up: DB parsed, tau2 imported, a user request
    calls_before = backend.usage.total.calls
    started = time.perf_counter()
    cpu0 = time.process_time()
    try:
        records = await arollout(factory, LLMAgent(backend), episodes, concurrency=concurrency, task_ids=task_ids)
    finally:
        await backend.aclose()
    return records, time.perf_counter() - started, backend.usage.total.calls - calls_before, time.process_time() - cpu0


def requests_of(record: object) -> int:
    """An episode's requests: each user and assistant message but tau2's fixed greeting came from the server."""
    return sum(1 for m in record.messages if m["role"] in ("assistant", "user")) - 1  # type: ignore[attr-defined]


async def bare(url: str, records: list, concurrency: int, http: str) -> tuple[int, float, float]:
    """The bare LLM client sends the rollout's agent requests again; return (requests, wall s, client CPU s)."""
    from bench_rollout import send_bare

    requests = [
        (r.messages[:j], r.tools)
        for r in records
        for j, m in enumerate(r.messages)
        if m["role"] == "assistant" and j > 1
    ]
    return await send_bare(url, requests, concurrency, http)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="airline")
    ap.add_argument("--episodes", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=96)
    ap.add_argument("--http", default="direct", help="openai backend transport: direct, aiohttp, httpx")
    ap.add_argument(
        "--baseline-domain",
        default="photo-framing",
        help="bundled domain for the replayed-user baseline (bench_rollout.py's run, same settings); '' skips it",
    )
    args = ap.parse_args()
    from gem_env.llm.testing.loopback import loopback_server_process

    with loopback_server_process(
        responder=Tau2Responder(args.domain), latency_s=args.latency, max_concurrency=args.slots
    ) as url:
        records, seconds, requests, cpu = asyncio.run(run(url, args.domain, args.episodes, args.concurrency, args.http))
        bare_n, bare_s, bare_cpu = asyncio.run(bare(url, records, args.concurrency, args.http))
    base = None
    if args.baseline_domain:
        from bench_rollout import OracleResponder
        from bench_rollout import run as run_bundled

        with loopback_server_process(
            responder=OracleResponder(args.baseline_domain), latency_s=args.latency, max_concurrency=args.slots
        ) as url:
            base = asyncio.run(run_bundled(url, args.baseline_domain, args.episodes, args.concurrency, args.http))
    ideal = requests * args.latency / args.slots
    rewards = [r.reward for r in records]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"domain={args.domain} episodes={len(records)} requests={requests} (agent + user) latency={args.latency}s "
        f"slots={args.slots} concurrency={args.concurrency} load1={os.getloadavg()[0]:.2f}"
    )
    print(
        f"wall {seconds:.2f}s, ideal {ideal:.2f}s -> {ideal / seconds:.1%} of the server's ideal throughput; "
        f"{len(records) / seconds:.1f} episodes/s"
    )
    from bench_rollout import zero_overhead_share

    per_episode = [requests_of(r) for r in records]  # agent and user requests, one after another
    if sum(per_episode) == requests:
        floor = zero_overhead_share(per_episode, args.concurrency, args.slots, args.latency)
        print(
            f"baseline, a client with zero overhead on the same episodes (simulated): {floor:.1%} of ideal "
            f"(the rest is the run's drain) -> this client reached {ideal / seconds / floor:.1%} of that"
        )
    print(
        f"mean reward {sum(rewards) / len(rewards):.3f}; failed episodes {sum(1 for r in records if r.error)}; "
        f"client CPU {cpu:.1f}s = {cpu / requests * 1000:.2f} ms per request; peak RSS {peak_mb:.0f} MiB; "
        f"the ideal rate needs <= {args.latency / args.slots * 1000:.2f} ms per request on one core"
    )
    print(
        f"baseline, bare LLM client sending the rollout's {bare_n} agent requests (no env, no user): "
        f"{bare_cpu / bare_n * 1000:.2f} ms per request ({bare_n * args.latency / args.slots / bare_s:.1%} of ideal)"
    )
    if base is not None:
        b_records, b_seconds, b_requests, b_cpu = base
        b_ideal = b_requests * args.latency / args.slots
        print(
            f"baseline, bench_rollout.py's replayed-user rollout ({args.baseline_domain}, python tools, "
            f"{len(b_records)} episodes, {b_requests} requests): {b_ideal / b_seconds:.1%} of ideal, "
            f"client CPU {b_cpu / b_requests * 1000:.2f} ms per request"
        )


if __name__ == "__main__":
    main()
