"""The stage objects under one driver loop: order from one place, one SynthItem, a stage can slot in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from synth.config import SynthConfig
from synth.corpus import read_corpus
from synth.item import StageDrop, SynthItem
from synth.pipeline import Pipeline
from synth.records import STAGES, Segment
from synth.stages import Stage, build_stages
from synth.testing import fake_backend

CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus" / "procedural.jsonl"
TEXT = next(s for s in read_corpus(CORPUS) if not s.id.startswith("note-"))


def _names(cfg: SynthConfig) -> list[str]:
    return [s.name for s in build_stages(lambda role: fake_backend(), cfg)]


@pytest.mark.parametrize(
    "cfg, names",
    [
        (
            SynthConfig(),
            ["prefilter", "select", "extract", "generate", "refine", "rules", "consistency", "judge", "compile"],
        ),
        (
            SynthConfig(refine=False, judge=False, prefilter=False, compile=False),
            ["select", "extract", "generate", "rules", "consistency"],
        ),
        (
            SynthConfig(mode="synthesizer", consistency=False),
            ["prefilter", "synthesizer", "rules", "judge", "compile"],
        ),
    ],
)
def test_stage_lists_follow_the_one_order(cfg, names):
    got = _names(cfg)
    assert got == names
    assert [STAGES.index(n) for n in got] == sorted(STAGES.index(n) for n in got)


def test_one_item_is_filled_stage_by_stage():
    pipe = Pipeline({"teacher": fake_backend()}, SynthConfig())
    item = SynthItem(segment=TEXT)
    seen = []
    for stage in pipe.stages:
        asyncio.run(stage.run(item))
        seen.append((stage.name, item.tags is not None, item.blueprint is not None, item.env is not None))
    assert seen[1] == ("select", True, False, False) and seen[2] == ("extract", True, True, False)
    assert seen[4] == ("refine", True, True, True)
    assert item.refined and item.verdict is not None and item.verdict.passed and item.drop is None
    assert set(item.records.prompts) == {"select", "extract", "generate", "refine", "judge", "compile"}
    assert item.records.ledger.calls == 6 and set(item.records.sizes) == {"generated", "refined"}
    assert item.compiled is not None and item.compiled.compiled and item.compiled.certified
    assert item.replay_state is None  # no oracle: the replay did not run


class _Certify(Stage):
    """A stand-in for a later stage (a compiler, say): reads the item, may drop it."""

    name = "compile"

    def __init__(self, keep: bool):
        self.keep = keep

    async def run(self, item: SynthItem) -> None:
        assert item.env is not None and item.trajectory is not None
        if not self.keep:
            raise StageDrop(self.name, "uncertified", ["oracle scored 0"])


@pytest.mark.parametrize("keep", [True, False])
def test_a_new_stage_slots_in(keep):
    pipe = Pipeline({"teacher": fake_backend()}, SynthConfig(compile=False))
    pipe.stages.insert([s.name for s in pipe.stages].index("judge"), _Certify(keep))
    events = []
    pipe.on_event = lambda kind, sid, detail: events.append((kind, detail.get("stage")))
    row, drop = asyncio.run(pipe.process(TEXT))
    if keep:
        assert drop is None and row["meta"]["extra"]["ledger"]["by_stage"]["judge"] == 1
        assert ("stage", "compile") in events
    else:
        assert row is None and (drop.stage, drop.reason, drop.details) == (
            "compile",
            "uncertified",
            ["oracle scored 0"],
        )
        assert drop.stats["refined"]["messages"] > 0 and drop.tags["multi_step"] is True


def test_a_drop_keeps_what_the_item_had():
    pipe = Pipeline({"teacher": fake_backend()}, SynthConfig())
    row, drop = asyncio.run(pipe.process(Segment(id="x", text="Just one line with no procedure at all.")))
    assert row is None and drop.stage == "prefilter" and drop.ledger.calls == 0 and drop.tags == {}
