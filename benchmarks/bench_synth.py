"""Benchmarks of synth (prints figures; not a test).

1. Pipeline overhead per item: the full four stages + rules + consistency + judge against a
   zero-latency scripted backend (the FakeTeacher), one process, one core; with and without the
   SQLite reply cache. Target: >= 50 items/s. The compile step is off here; its cost (teacher
   call, verification, certificate) is measured by ``bench_compile.py``.
2. Rule-validation throughput on 46-message trajectories (refined rules, tool checks cached per
   tool set as in a run, plus the cold case of a new tool set every time). Target: >= 1,000/s.
3. Prefilter recall on ../shared/data/wikihow (read at run time, never copied) and reduction on
   non-procedural text (this project's example notes, the licence texts under ../shared/data,
   and the docstrings of Python's standard library modules).

Usage: python benchmarks/bench_synth.py [--items 400] [--trajectories 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import importlib
import pkgutil
import shutil
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def corpus(n: int) -> list[dict]:
    verbs = ["Open", "Check", "Select", "Enter", "Remove", "Install", "Restart", "Clean", "Confirm", "Update"]
    rows = []
    for i in range(n):
        steps = "\n".join(
            f"{j + 1}. {verbs[(i * 7 + j) % 10]} the component {i}-{j} and note reading {i * 13 + j}." for j in range(5)
        )
        rows.append({"id": f"b{i:05d}", "text": f"How to service machine {i}\n{steps}\nThen log the result."})
    return rows


def bench_pipeline(n: int) -> None:
    from synth.corpus import read_corpus
    from synth.pipeline import Pipeline, SynthConfig, with_cache
    from synth.testing import fake_backend

    rows = corpus(n)
    for cached in (False, True):
        tmp = Path(tempfile.mkdtemp())
        try:
            backends = {"teacher": fake_backend()}
            if cached:
                backends = with_cache(backends, tmp / "cache.sqlite")
            pipe = Pipeline(backends, SynthConfig(concurrency=16, export_domains=False, compile=False))
            t0 = time.perf_counter()
            report = asyncio.run(pipe.run(read_corpus(rows), tmp / "out"))
            dt = time.perf_counter() - t0
            assert report.kept == n, report
            calls = sum(b.usage.total.calls for b in {id(b): b for b in backends.values()}.values())
            print(
                f"pipeline, full 4 stages + validation, zero-latency backend, cache={'rw' if cached else 'off'}: "
                f"{n} items in {dt:.2f}s = {n / dt:.1f} items/s ({dt / n * 1000:.2f} ms/item, {calls} LLM calls)"
            )
            if cached:  # the resume/replay path: every call a cache hit
                backends = with_cache({"teacher": fake_backend()}, tmp / "cache.sqlite")
                pipe = Pipeline(backends, SynthConfig(concurrency=16, export_domains=False, compile=False))
                t0 = time.perf_counter()
                asyncio.run(pipe.run(read_corpus(rows), tmp / "out2"))
                dt = time.perf_counter() - t0
                print(f"pipeline replayed from the cache: {n / dt:.1f} items/s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp())
    try:
        from synth.export import export_domains
        from synth.store import iter_rows

        pipe = Pipeline({"teacher": fake_backend()}, SynthConfig(concurrency=16, export_domains=False, compile=False))
        asyncio.run(pipe.run(read_corpus(rows[:200]), tmp / "out"))
        t0 = time.perf_counter()
        k = len(export_domains(iter_rows(tmp / "out" / "corpus"), tmp / "domains"))
        print(f"domain export: {k / (time.perf_counter() - t0):.0f} domains/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def long_trajectory(k: int):
    """A refined FakeTeacher conversation grown to 46 messages (more lookups), with its tools."""
    from synth.convert import tools_from_json, trajectory_from_compact
    from synth.testing import _conversation, _state, _tools

    text = f"How to handle request {k}\n1. Find it.\n2. Check it.\n3. Close it."
    conv = _conversation("ticket", text, refined=True)
    _, state = _state("ticket", text)
    rec = orjson.dumps(state["tickets"][1]).decode()
    extra = []
    while len(conv["messages"]) + len(extra) < 46:
        extra += [
            {"role": "user", "content": "and what about N-1002 again?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"name": "get_ticket", "arguments": {"ticket_id": "N-1002"}}],
            },
            {"role": "tool", "name": "get_ticket", "content": rec},
            {"role": "assistant", "content": "N-1002 is done."},
        ]
    conv = copy.deepcopy(conv)
    conv["messages"] = conv["messages"] + extra
    conv["messages"] = conv["messages"][:46]
    if conv["messages"][-1]["role"] != "assistant" or conv["messages"][-1].get("tool_calls"):
        conv["messages"] = conv["messages"][:45] + [{"role": "assistant", "content": "Done."}]
    tools = _tools("ticket", mcp=False)
    if k:  # a distinct tool set per trajectory (cold tool checks)
        tools[2]["description"] += f" (variant {k})"
    return trajectory_from_compact(conv, tools_from_json(tools)), conv["patterns"], state


def bench_rules(n: int) -> None:
    from synth.consistency import state_problems
    from synth.rules import pattern_problems, trajectory_problems

    traj, patterns, state = long_trajectory(0)
    body = [m for m in traj.messages if m.role != "system"]
    probs = trajectory_problems(traj, refined=True)
    print(
        f"rule validation: trajectory of {len(body)} messages (+system), {traj.compute_stats().tool_calls} calls; "
        f"problems on the sample: {probs[:2] or 'none'}"
    )
    t0 = time.perf_counter()
    for _ in range(n):
        trajectory_problems(traj, refined=True)
        pattern_problems(patterns, traj)
    dt = time.perf_counter() - t0
    print(f"rule validation (all rules + patterns), warm tool set: {n / dt:,.0f} trajectories/s")
    t0 = time.perf_counter()
    for _ in range(n):
        state_problems(traj, state)
    dt = time.perf_counter() - t0
    print(f"state-consistency check: {n / dt:,.0f} trajectories/s")
    cold = [long_trajectory(k + 1)[0] for k in range(min(n, 300))]
    t0 = time.perf_counter()
    for t in cold:
        trajectory_problems(t, refined=True)
    dt = time.perf_counter() - t0
    print(f"rule validation, new tool set each time (cold tool checks): {len(cold) / dt:,.0f} trajectories/s")


def negatives() -> list[str]:
    out = []
    ex = REPO / "examples" / "corpus" / "procedural.jsonl"
    out += [orjson.loads(x)["text"] for x in ex.read_bytes().splitlines() if b'"note-' in x]
    for lic in sorted(SHARED.rglob("LICENSE*")):
        out += [p.strip() for p in lic.read_text(errors="ignore").split("\n\n") if len(p.strip()) > 300]
    import sys

    for mod in sorted(m.name for m in pkgutil.iter_modules() if m.name in sys.stdlib_module_names):
        if mod.startswith("_") or mod in (
            "antigravity",
            "this",
            "idlelib",
            "tkinter",
            "turtle",
            "turtledemo",
        ):
            continue
        try:
            doc = importlib.import_module(mod).__doc__ or ""
        except Exception:  # noqa: BLE001 - some stdlib modules do not import on this platform
            continue
        if len(doc) > 300:
            out.append(doc)
    return out


def bench_prefilter() -> None:
    from synth.prefilter import passes_prefilter

    wh = SHARED / "wikihow" / "wikihow_fg_articles.plaintext.jsonl"
    if not wh.is_file():
        print("prefilter: ../shared/data/wikihow missing, skipped")
        return
    rows = [orjson.loads(x) for x in wh.read_bytes().splitlines() if x.strip()]
    pos = [r["title"] + "\n" + "\n".join(r["steps"]) for r in rows]
    neg = negatives()
    t0 = time.perf_counter()
    kept_pos = sum(passes_prefilter(t) for t in pos)
    kept_neg = sum(passes_prefilter(t) for t in neg)
    dt = time.perf_counter() - t0
    chars = sum(map(len, pos + neg))
    print(f"prefilter recall on wikiHow: {kept_pos}/{len(pos)} = {kept_pos / len(pos):.1%}")
    print(
        f"prefilter on non-procedural text ({len(neg)} texts: example notes, licence paragraphs, stdlib "
        f"docstrings): passes {kept_neg}/{len(neg)}, reduction {1 - kept_neg / len(neg):.1%}"
    )
    print(f"prefilter speed: {len(pos + neg) / dt:,.0f} texts/s ({chars / dt / 1e6:.1f} MB/s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--trajectories", type=int, default=2000)
    args = ap.parse_args()
    bench_prefilter()
    bench_rules(args.trajectories)
    bench_pipeline(args.items)


if __name__ == "__main__":
    main()
