"""Kept rows carry a typed SynthMeta; output folders written in the older row format still load.

``fixtures/old_format_out`` is a `gem synth run` folder (fake teacher, three kept items, one drop)
written before the env spec was stored as objects: its ``meta.extra.env`` fields are JSON text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


from synth.convert import load_trajectory
from synth.export import export_domains
from synth.item import SynthMeta
from synth.records import EnvSpec
from synth.stats import collect
from synth.store import iter_rows
from synth.synthesizer import build_pairs

HERE = Path(__file__).parent
OLD = HERE / "fixtures" / "old_format_out"


def test_new_rows_store_the_env_as_objects(fake_run):
    for row in fake_run[2]:
        env = row["meta"]["extra"]["env"]
        assert isinstance(env["state_schema"], dict) and isinstance(env["initial_state"], dict)
        meta = SynthMeta.read(row["meta"]["extra"])
        assert meta.env == EnvSpec(**env) and meta.tags.domain and meta.ledger.calls == 6
        assert meta.compile is not None and meta.compile.compiled and isinstance(meta.compile.programs, dict)


def test_old_rows_read_typed():
    rows = list(iter_rows(OLD / "corpus"))
    assert len(rows) == 3
    for row in rows:
        assert isinstance(row["meta"]["extra"]["env"]["initial_state"], str)  # the old format indeed
        meta = SynthMeta.of(load_trajectory(row))
        assert meta.env is not None and meta.env.initial_state and meta.env.state_schema["type"] == "object"
        assert meta.before_refine is not None and meta.verdict is not None and meta.verdict.passed
        assert "compile" not in row["meta"]["extra"] and meta.compile is None  # written before compile existed


def _domain_hashes(folder: Path, names: list[str]) -> dict[str, str]:
    return {
        f"{name}/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest()[:16]
        for name in names
        for f in sorted((folder / name).iterdir())
    }


def test_old_folder_exports_the_same_domains(tmp_path, fake_run):
    """Old rows (no compile record) export what a new row exports without its compile result."""
    got = _domain_hashes(tmp_path / "old", export_domains(iter_rows(OLD / "corpus"), tmp_path / "old"))
    uncompiled = []
    for row in fake_run[2]:
        extra = {k: v for k, v in row["meta"]["extra"].items() if k != "compile"}
        uncompiled.append({**row, "meta": {**row["meta"], "extra": extra}})
    want = _domain_hashes(tmp_path / "new", export_domains(uncompiled, tmp_path / "new"))
    assert len(got) == 6 and all(want[k] == v for k, v in got.items())
    compiled = _domain_hashes(tmp_path / "c", export_domains(fake_run[2], tmp_path / "c"))
    assert all(compiled[k] != v for k, v in got.items())  # the compile result changes domain and task


def test_old_folder_stats_and_pairs(fake_run):
    s = collect([OLD])["pipeline"]
    assert s["kept"] == 3 and dict(s["drops"]) == {"prefilter": 1} and s["size"]["before"]["messages"]["n"] == 3
    old = {p["meta"]["source_id"]: p for p in build_pairs(iter_rows(OLD / "corpus"))}
    new = {p["meta"]["source_id"]: p for p in build_pairs(fake_run[2]) if p["meta"]["source_id"] in old}
    assert len(old) == 3 and new == old
