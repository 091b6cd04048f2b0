"""Fixtures for synth tests: the example corpus, a pipeline run on the FakeTeacher, output readers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from synth.corpus import read_corpus
from synth.pipeline import Pipeline, SynthConfig
from synth.store import iter_rows
from synth.testing import fake_backend

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "corpus" / "procedural.jsonl"
WIKIHOW = REPO.parent / "shared" / "data" / "wikihow" / "wikihow_fg_articles.plaintext.jsonl"


def run_pipeline(out: Path, backends=None, config: SynthConfig | None = None, corpus=EXAMPLE, *, resume=False, **kw):
    backends = backends or {"teacher": fake_backend()}
    pipe = Pipeline(backends, config or SynthConfig(concurrency=4), **kw)
    report = asyncio.run(pipe.run(read_corpus(corpus), out, resume=resume))
    return report, list(iter_rows(out / "corpus")), list(iter_rows(out / "drops"))


@pytest.fixture
def example_corpus() -> Path:
    return EXAMPLE


@pytest.fixture
def wikihow() -> Path:
    return WIKIHOW


@pytest.fixture
def synth_run():
    """The helper ``run_pipeline(out, backends=None, config=None, corpus=EXAMPLE, **pipeline_kw)``."""
    return run_pipeline


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "out"
    report, kept, drops = run_pipeline(out)
    return out, report, kept, drops
