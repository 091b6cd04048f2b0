"""Kept rows carry a typed SynthMeta; output folders written in the older row format still load.

``fixtures/old_format_out`` is a `gem synth run` folder (fake teacher, three kept items, one drop)
written before the env spec was stored as objects: its ``meta.extra.env`` fields are JSON text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from synth.convert import load_trajectory
from synth.export import export_domains
from synth.item import SynthMeta
from synth.records import EnvSpec
from synth.stats import collect
from synth.store import iter_rows
from synth.synthesizer import build_pairs

HERE = Path(__file__).parent
OLD = HERE / "fixtures" / "old_format_out"
GOLDEN = HERE / "golden" / "corpus_fake.json"


def test_new_rows_store_the_env_as_objects(fake_run):
    for row in fake_run[2]:
        env = row["meta"]["extra"]["env"]
        assert isinstance(env["state_schema"], dict) and isinstance(env["initial_state"], dict)
        meta = SynthMeta.read(row["meta"]["extra"])
        assert meta.env == EnvSpec(**env) and meta.tags.domain and meta.ledger.calls == 5


def test_old_rows_read_typed():
    rows = list(iter_rows(OLD / "corpus"))
    assert len(rows) == 3
    for row in rows:
        assert isinstance(row["meta"]["extra"]["env"]["initial_state"], str)  # the old format indeed
        meta = SynthMeta.of(load_trajectory(row))
        assert meta.env is not None and meta.env.initial_state and meta.env.state_schema["type"] == "object"
        assert meta.before_refine is not None and meta.verdict is not None and meta.verdict.passed


def test_old_folder_exports_the_same_domains(tmp_path):
    names = export_domains(iter_rows(OLD / "corpus"), tmp_path)
    want = orjson.loads(GOLDEN.read_bytes())["pipeline"]["domains"]
    got = {
        f"{name}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()[:16]
        for name in names
        for f in sorted((tmp_path / name).iterdir())
    }
    assert len(got) == 6 and all(want[k] == v for k, v in got.items())


def test_old_folder_stats_and_pairs(fake_run):
    s = collect([OLD])["pipeline"]
    assert s["kept"] == 3 and dict(s["drops"]) == {"prefilter": 1} and s["size"]["before"]["messages"]["n"] == 3
    old = {p["meta"]["source_id"]: p for p in build_pairs(iter_rows(OLD / "corpus"))}
    new = {p["meta"]["source_id"]: p for p in build_pairs(fake_run[2]) if p["meta"]["source_id"] in old}
    assert len(old) == 3 and new == old
