"""Kill a synth run with SIGKILL at random points, many times, under CPU load; resume each time.

Each round starts a fresh output folder and runs the pipeline (fake teacher, reply cache,
``concurrency`` items in flight) on a small corpus, killing it after a random delay and resuming
until one run finishes. The fake teacher logs every call it answers by the key its reply is cached
under. Checked after every kill and at the end of each round:

- no call made by a resumed run was already stored in the cache (a finished call is never redone);
- calls answered twice are only those in flight at a kill (answered, reply not yet stored);
- every corpus item is finished exactly once (a kept row or a drop), no torn line is left.

Busy processes (``--load``, one per core by default) keep the CPU loaded throughout.

    python benchmarks/resume_stress.py                 # 12 rounds, about 3 kills each
    python benchmarks/resume_stress.py --rounds 40 --load 4
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from synth.store import iter_rows

RUNNER = r"""
import asyncio, sys
from pathlib import Path
from gem_env.llm.testing.scripted import ScriptedBackend
from gem_env.llm.cache import request_key
from synth.corpus import read_corpus
from synth.pipeline import Pipeline, SynthConfig, with_cache
from synth.testing import FakeTeacher

corpus, out, log, resume, delay, conc = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", float(sys.argv[5]), int(sys.argv[6])
teacher = FakeTeacher(delay_s=delay)

async def logged(messages, tools, response_format, sampling):
    text = await teacher(messages, tools, response_format, sampling)
    with open(log, "a") as fh:
        fh.write(request_key("scripted", "fake", messages, tools, response_format, sampling) + "\n")
    return text

backends = with_cache({"teacher": ScriptedBackend(logged, model="fake")}, out / "cache.sqlite")
report = asyncio.run(Pipeline(backends, SynthConfig(concurrency=conc)).run(read_corpus(corpus), out, resume=resume))
print(report.kept, report.skipped, report.errors)
"""


def spin() -> None:
    while True:
        pass


def make_corpus(path: Path, n: int) -> None:
    verbs = ["Open", "Check", "Select", "Enter", "Remove", "Install", "Restart", "Clean"]
    with open(path, "wb") as fh:
        for i in range(n):
            steps = "\n".join(
                f"{j + 1}. {verbs[(i + j) % 8]} the part number {i * 10 + j} carefully." for j in range(4)
            )
            fh.write(orjson.dumps({"id": f"t{i:03d}", "text": f"How to service unit {i}\n{steps}"}) + b"\n")


def stored_keys(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    con = sqlite3.connect(path)
    try:
        return {k for (k,) in con.execute("SELECT key FROM replies")}
    finally:
        con.close()


def log_lines(path: Path) -> list[str]:
    return path.read_text().split() if path.is_file() else []


def one_round(tmp: Path, rng: random.Random, args: argparse.Namespace, totals: dict[str, int]) -> None:
    corpus, out, log = tmp / "c.jsonl", tmp / "out", tmp / "calls.log"
    make_corpus(corpus, args.items)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    resume = "0"
    for attempt in range(args.max_kills + 1):
        stored_before = stored_keys(out / "cache.sqlite")
        seen_before = len(log_lines(log))
        cmd = [
            sys.executable,
            "-c",
            RUNNER,
            str(corpus),
            str(out),
            str(log),
            resume,
            str(args.delay),
            str(args.concurrency),
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = False
        if attempt < args.max_kills:
            while proc.poll() is None and len(log_lines(log)) == seen_before:
                time.sleep(0.005)  # wait for the first answered call: the kill lands in the item loop
            try:
                proc.wait(timeout=rng.uniform(0.0, args.max_kill_s))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed = True
        stdout, stderr = proc.communicate()
        made = log_lines(log)[seen_before:]
        totals["calls"] += len(made)
        totals["stored_redone"] += len(set(made) & stored_before)
        if killed:
            totals["kills"] += 1
            stored = stored_keys(out / "cache.sqlite")
            answered = set(log_lines(log))
            totals["answered_not_stored"] += len(answered - stored)
            totals["max_in_flight"] = max(totals["max_in_flight"], len(answered - stored))
            resume = "1"
            continue
        if proc.returncode != 0:
            raise SystemExit(f"the run failed:\n{stderr.decode()[-2000:]}")
        break
    ids = [row["meta"]["provenance"]["source_id"] for row in iter_rows(out / "corpus")]
    ids += [d["id"] for d in iter_rows(out / "drops")]
    want = [f"t{i:03d}" for i in range(args.items)]
    totals["items_lost"] += len(set(want) - set(ids))
    totals["items_duplicated"] += len(ids) - len(set(ids))
    totals["torn_files"] += sum(1 for p in (out / "corpus").glob("*.jsonl") if not p.read_bytes().endswith(b"\n"))
    totals["rounds"] += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--delay", type=float, default=0.02, help="seconds the fake teacher takes per call")
    ap.add_argument("--max-kills", type=int, default=3, help="kills per round before a run may finish")
    ap.add_argument("--max-kill-s", type=float, default=1.5, help="latest kill, seconds after a run's first call")
    ap.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes beside the runs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    busy = [mp.Process(target=spin, daemon=True) for _ in range(args.load)]
    for p in busy:
        p.start()
    totals = dict.fromkeys(
        (
            "rounds",
            "kills",
            "calls",
            "stored_redone",
            "answered_not_stored",
            "max_in_flight",
            "items_lost",
            "items_duplicated",
            "torn_files",
        ),
        0,
    )
    started = time.perf_counter()
    try:
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                one_round(Path(tmp), rng, args, totals)
    finally:
        for p in busy:
            p.kill()
    print(
        f"{totals['rounds']} rounds, {totals['kills']} SIGKILLs at random points, {args.load} busy processes, "
        f"{time.perf_counter() - started:.0f}s"
    )
    print(f"LLM calls made: {totals['calls']}")
    print(f"finished (stored) calls redone on resume: {totals['stored_redone']}   (must be 0)")
    print(
        f"calls in flight at a kill (answered, not yet stored; made again): {totals['answered_not_stored']}, "
        f"at most {totals['max_in_flight']} at one kill (concurrency {args.concurrency})"
    )
    print(
        f"items lost: {totals['items_lost']}, duplicated: {totals['items_duplicated']}, "
        f"files with a torn last line: {totals['torn_files']}"
    )
    bad = totals["stored_redone"] or totals["items_lost"] or totals["items_duplicated"] or totals["torn_files"]
    raise SystemExit(1 if bad or totals["max_in_flight"] > args.concurrency else 0)


if __name__ == "__main__":
    main()
