"""A rollout against a careless model: wrong-shape replies, deep arguments, malformed tool calls.

Serves :class:`~gem_env.llm.testing.loopback.MalformedReplies` (2% wrong-shape replies, 1% arguments
nested 300 deep, 10% malformed tool calls, the rest well-formed calls and text) from a loopback
OpenAI-compatible server in its own process, and runs ``gem rollout``'s engine (``arollout``,
``-o`` a JSONL file) for ``--episodes`` episodes over the bundled environments. Checks and prints:
the run completes; the file holds exactly one row per episode (no episode lost or duplicated);
every row says how its episode ended (terminated, or ``truncated_by``); rows by reason.

    python benchmarks/fuzz_rollout.py                      # 300 episodes per env
    python benchmarks/fuzz_rollout.py --episodes 50 --env gem/photo-framing-v0
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
import time
from pathlib import Path

import orjson

from gem_env.agents import LLMAgent
from gem_env.llm.testing.loopback import MalformedReplies, loopback_server_process
from gem_env.llm.openai_backend import OpenAIBackend
from gem_env.rollout import arollout

ENVS = ("gem/photo-framing-v0", "gem/pharmacy-refill-v0", "gem/home-maintenance-v0")


def check_rows(path: Path, n: int) -> collections.Counter[str]:
    """Reasons by count; raises AssertionError when a row is missing, doubled or has no reason."""
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    seeds = sorted(r["meta"]["extra"]["seed"] for r in rows)
    assert seeds == list(range(n)), f"{len(rows)} rows for {n} episodes: lost or duplicated"
    reasons: collections.Counter[str] = collections.Counter()
    for r in rows:
        extra = r["meta"]["extra"]
        reason = "terminated" if extra["terminated"] else extra["truncated_by"]
        assert reason, f"episode seed {extra['seed']} ended without a reason: {extra}"
        assert not extra["error"] or extra["truncated_by"] in ("agent_error", "model_error", "user_error"), extra
        reasons[reason] += 1
    return reasons


async def run(env_id: str, url: str, n: int, out: Path, concurrency: int) -> list:
    agent = LLMAgent(OpenAIBackend("careless", base_url=url, max_retries=1, backoff_s=0.01, timeout=60))
    try:
        return await arollout(env_id, agent, n, concurrency=concurrency, output=out)
    finally:
        await agent.aclose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--env", action="append", help="env id (repeatable); default: the three bundled envs")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    responder = MalformedReplies(wrong_shape=0.02, deep=0.01, malformed=0.10)
    failed = False
    with loopback_server_process(responder=responder) as url, tempfile.TemporaryDirectory() as tmp:
        for env_id in args.env or ENVS:
            out = Path(tmp) / f"{env_id.replace('/', '_')}.jsonl"
            started = time.perf_counter()
            records = asyncio.run(run(env_id, url, args.episodes, out, args.concurrency))
            secs = time.perf_counter() - started
            try:
                reasons = check_rows(out, args.episodes)
            except AssertionError as exc:
                print(f"{env_id}: FAILED: {exc}")
                failed = True
                continue
            errors = collections.Counter(r.error.split(":")[0] for r in records if r.error)
            print(
                f"{env_id}: {args.episodes} episodes in {secs:.1f}s, {len(records)} records, one row each; "
                f"agent messages with errors reported: {sum(r.errors for r in records)}"
            )
            print("  ended by: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
            print("  episode errors (typed): " + (", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none"))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
