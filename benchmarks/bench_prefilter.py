"""Prefilter recall and reduction on a labelled set, beside the score-only rule as baseline.

The labelled set (``tests/data/prefilter/labelled.jsonl``) was written for this project: 208 short
step lists in many layouts (numbered, bulleted, one imperative sentence per step with no numbering,
comma-chained commands, second-person prose, conditional steps) over household, cooking, computing,
vehicle, health, garden, office and travel tasks, and 215 short non-procedural texts (news,
descriptions, reviews, narrative, definitions, technical prose, plus look-alikes: shopping lists,
feature lists, tables of contents, slogans, ads). wikiHow articles (``../shared/data``, when present)
and the non-procedural texts of ``bench_synth.py`` (licence paragraphs, stdlib docstrings) are
reported too, as sources the rules were not written against.

Run: ``python benchmarks/bench_prefilter.py`` (add ``--misses`` to list what each side gets wrong).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "data" / "prefilter" / "labelled.jsonl"
WIKIHOW = REPO.parent / "shared" / "data" / "wikihow" / "wikihow_fg_articles.plaintext.jsonl"


def load_labelled(path: Path = LABELLED) -> tuple[list[str], list[str]]:
    """``(procedures, other texts)`` of the labelled set."""
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return ([r["text"] for r in rows if r["label"] == "procedure"],
            [r["text"] for r in rows if r["label"] == "other"])


def rates(texts: list[str], rule) -> tuple[int, int]:
    return sum(1 for t in texts if rule(t)), len(texts)


def main() -> None:
    from synth.prefilter import prefilter_score

    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true", help="Print the texts each rule gets wrong.")
    args = ap.parse_args()
    rules = {
        "prefilter (score or mostly commands)": lambda t: prefilter_score(t).passed,
        "baseline: score >= 3 alone": lambda t: prefilter_score(t).score >= 3.0,
    }
    pos, neg = load_labelled()
    print(f"labelled set: {len(pos)} procedures, {len(neg)} non-procedural texts ({LABELLED.relative_to(REPO)})")
    for name, rule in rules.items():
        t0 = time.perf_counter()
        kp, n_p = rates(pos, rule)
        kn, n_n = rates(neg, rule)
        dt = time.perf_counter() - t0
        print(f"  {name:<38} recall {kp}/{n_p} = {kp / n_p:.1%}   reduction {1 - kn / n_n:.1%} "
              f"({kn}/{n_n} pass)   {(n_p + n_n) / dt:,.0f} texts/s")
        if args.misses:
            for t in pos:
                if not rule(t):
                    print("    missed:", t[:110].replace("\n", " | "))
            for t in neg:
                if rule(t):
                    print("    passed:", t[:110].replace("\n", " | "))
    if WIKIHOW.is_file():
        rows = [orjson.loads(x) for x in WIKIHOW.read_bytes().splitlines() if x.strip()]
        wh = [r["title"] + "\n" + "\n".join(r["steps"]) for r in rows]
        for name, rule in rules.items():
            k, n = rates(wh, rule)
            print(f"wikiHow articles, {name}: recall {k}/{n} = {k / n:.1%}")
    else:
        print(f"wikiHow: {WIKIHOW} missing, skipped")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_synth import negatives

    other = negatives()
    for name, rule in rules.items():
        k, n = rates(other, rule)
        print(f"bench_synth non-procedural texts (notes, licences, stdlib docstrings), {name}: "
              f"reduction {1 - k / n:.1%} ({k}/{n} pass)")


if __name__ == "__main__":
    main()
