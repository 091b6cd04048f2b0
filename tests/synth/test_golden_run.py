"""`gem synth run` on examples/corpus with the fake teacher, pinned against a stored snapshot.

The snapshot (``golden/corpus_fake.json``) holds, per mode (the four-stage pipeline, the
``--no-refine`` ablation and the one-call synthesizer): the kept and dropped ids, a hash of each
kept row's messages and tools, its size figures, provenance and synth metadata, each drop's
stage, reason and details, the ``gem synth stats`` text and a hash of every exported domain file.
``golden/damaged_replies.json`` pins, the same way, every damaged-reply case of
``test_damaged_replies.py`` in both modes (each drop path: parse, labels, rules, judge; each
repair path). Both snapshots were written by the code before the SynthItem redesign and
regenerated once when the compile stage joined (its row field, one more call, its stats lines,
programs and certificate in exported domains; ids, drops and messages unchanged). Anything in
a run that is not a function of its input (time stamps, seconds spent, package version) is left
out, so the snapshots are deterministic. Regenerate it, after a change meant to
alter the output, with ``GEM_UPDATE_GOLDEN=1 python -m pytest tests/synth/test_golden_run.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import os
import re
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from synth.cli import register
from synth.config import SynthConfig
from synth.corpus import read_corpus
from synth.pipeline import Pipeline
from synth.stats import collect, format_stats
from synth.store import iter_rows
from synth.testing import fake_backend

GOLDEN = Path(__file__).parent / "golden" / "corpus_fake.json"
DAMAGED = Path(__file__).parent / "golden" / "damaged_replies.json"
CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus" / "procedural.jsonl"
MODES = {
    "pipeline": ["--model", "fake"],
    "no_refine": ["--model", "fake", "--no-refine"],
    "synthesizer": ["--synthesizer", "fake"],
}


def _h(value: object) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _decoded(value: object) -> object:
    """An env field as data, whether a row stores it as an object or (older rows) as JSON text."""
    return orjson.loads(value) if isinstance(value, str) else value


def _synth_meta(extra: dict) -> dict:
    out = dict(extra)
    ledger = dict(out.get("ledger") or {})
    ledger.pop("seconds", None)
    out["ledger"] = ledger
    env = out.get("env")
    if env is not None:
        out["env"] = {k: _decoded(v) for k, v in env.items()}
    out["source_text"] = _h(out.get("source_text"))
    return out


def snapshot(out: Path, *, with_domains: bool = True) -> dict:
    """The deterministic content of one run's output folder."""
    rows = sorted(iter_rows(out / "corpus"), key=lambda r: r["meta"]["provenance"]["source_id"])
    kept = {}
    for row in rows:
        prov = {k: v for k, v in row["meta"]["provenance"].items() if k not in ("created_at", "version")}
        kept[prov["source_id"]] = {
            "messages": _h(row["messages"]),
            "tools": _h(row["tools"]),
            "stats": row["meta"]["stats"],
            "provenance": prov,
            "synth": _h(_synth_meta(row["meta"].get("extra") or {})),
        }
    drops = {
        d["id"]: {
            "stage": d["stage"],
            "reason": d["reason"],
            "details": _h(d["details"]),
            "rest": _h(_synth_meta({k: v for k, v in d.items() if k not in ("stage", "reason", "details")})),
        }
        for d in iter_rows(out / "drops")
    }
    stats = format_stats(collect([out]))
    head, sep, cost = stats.partition("cost per kept trajectory")
    stats = head + sep + re.sub(r"(?m)^(\S+\s+[\d.]+\s+[\d.]+\s+)[\d.]+", r"\1<seconds>", cost)
    domains = {
        f"{d.name}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()[:16]
        for d in sorted((out / "domains").iterdir() if with_domains else [])
        for f in sorted(d.iterdir())
    }
    return {"kept": kept, "drops": drops, "stats": stats.splitlines(), "domains": domains}


def _run(tmp: Path, args: list[str]) -> Path:
    app = typer.Typer()
    register(app)
    out = tmp / "out"
    res = CliRunner().invoke(app, ["synth", "run", str(CORPUS), "-o", str(out), "--quiet", *args])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def golden() -> dict:
    return orjson.loads(GOLDEN.read_bytes()) if GOLDEN.is_file() else {}


@pytest.mark.parametrize("mode", list(MODES))
def test_synth_run_matches_snapshot(mode, tmp_path, golden):
    got = snapshot(_run(tmp_path, MODES[mode]))
    if os.environ.get("GEM_UPDATE_GOLDEN"):
        data = {**golden, mode: got}
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        golden[mode] = got
    want = golden[mode]
    assert sorted(got["kept"]) == sorted(want["kept"])
    assert sorted(got["drops"]) == sorted(want["drops"])
    for sid, row in want["kept"].items():
        assert got["kept"][sid] == row, sid
    assert got["drops"] == want["drops"]
    assert got["stats"] == want["stats"]
    assert got["domains"] == want["domains"]


def _damage_cases() -> dict:
    """The damaged-reply cases of ``test_damaged_replies.py``, each in both modes, plus judge failures."""
    spec = importlib.util.spec_from_file_location("damaged_cases", Path(__file__).parent / "test_damaged_replies.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    four = ("select", "extract", "generate", "refine")
    out = {}
    for name, (stage, fn, _, _) in mod.CASES.items():
        out[name] = ({"damage": mod.only(stage, fn)}, "pipeline", mod.TWO)
        out[f"{name}+synthesizer"] = (
            {"damage": mod.only("synthesizer" if stage in four else stage, fn)},
            "synthesizer",
            mod.TWO,
        )
    out["judge_fails"] = ({"judge": {"R1": 0, "R2": 1, "R3": 0}}, "pipeline", mod.TWO)
    return out


CASES = _damage_cases()


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_replies_match_snapshot(case, tmp_path):
    """Every drop path (parse, labels, rules, judge) and repair path gives what it gave before."""
    kw, mode, rows = CASES[case]
    backend = fake_backend(**kw)
    cfg = SynthConfig(dedup=False, mode=mode, export_domains=False, concurrency=1)
    backends = {"teacher": backend, "synthesizer": backend} if mode == "synthesizer" else {"teacher": backend}
    asyncio.run(Pipeline(backends, cfg).run(read_corpus(rows), tmp_path / "out"))
    got = snapshot(tmp_path / "out", with_domains=False)
    golden = orjson.loads(DAMAGED.read_bytes()) if DAMAGED.is_file() else {}
    if os.environ.get("GEM_UPDATE_GOLDEN"):
        golden[case] = got
        DAMAGED.write_bytes(orjson.dumps(golden, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    assert got == golden[case]
