"""Stage 1, Selection: the cheap prefilter, then LLM tags validated against the fixed label sets."""

from __future__ import annotations

from typing import Any

from ..item import SynthItem
from ..labels import labels
from ..prefilter import prefilter_score
from ..records import Tags
from .base import LLMStage, Stage, StageDrop

__all__ = ["Prefilter", "Selector"]


class Prefilter(Stage):
    """The cheap non-LLM filter: StageDrop('prefilter', 'not_procedural') below ``threshold``."""

    name = "prefilter"

    def __init__(self, threshold: float = 3.0):
        self.threshold = threshold

    def check(self, text: str) -> None:
        """Raise StageDrop('prefilter', 'not_procedural') when ``text`` fails the prefilter."""
        res = prefilter_score(text, self.threshold)
        if not res.passed:
            raise StageDrop(self.name, "not_procedural", [f"score {res.score:.2f} < {self.threshold}"])

    async def run(self, item: SynthItem) -> None:
        """Drop the item when its text fails the prefilter."""
        self.check(item.segment.text)


class Selector(LLMStage):
    """Fills ``item.tags``; raises StageDrop (select) for bad labels or a text that is not multi-step."""

    name = "select"
    prompt_name = "select"

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the source text and the allowed labels."""
        lab = labels()
        return {
            "text": item.segment.text,
            "domains": ", ".join(lab.domains),
            "tasks": ", ".join(lab.tasks),
            "platforms": ", ".join(lab.platforms),
        }

    def parse(self, data: dict[str, Any], item: SynthItem) -> Tags:
        """Strict tags: multi_step a boolean; labels exactly from the sets (near-misses repaired, recorded)."""
        rec = item.records
        ms = data.get("multi_step")
        if isinstance(ms, str) and ms.strip().lower() in ("true", "false"):
            rec.add_repairs(self.name, [f"multi_step {ms!r} read as a boolean"])
            ms = ms.strip().lower() == "true"
        if not isinstance(ms, bool):
            raise StageDrop(self.name, "parse", [f"multi_step must be true or false, got {ms!r}"])
        if not ms:
            return Tags(multi_step=False)
        out: dict[str, Any] = {"multi_step": True}
        bad = []
        for kind in ("domain", "platform", "task"):
            raw = data.get(kind)
            label = labels().normalize(kind, raw)
            if label is None:
                bad.append(f"{kind} {str(raw)[:60]!r} is not a label")
            elif label != raw:
                rec.add_repairs(self.name, [f"{kind} {raw!r} -> {label!r}"])
            out[kind] = label
        summary = data.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            bad.append("summary is missing")
        elif summary.strip().startswith("<") and summary.strip().endswith(">"):
            bad.append(f"summary {summary.strip()[:60]!r} copies the prompt's placeholder")
        if bad or not isinstance(summary, str):
            raise StageDrop(self.name, "bad_label", bad)
        out["summary"] = summary.strip()
        return Tags(**out)

    async def run(self, item: SynthItem) -> None:
        """Tag the item (``item.tags``); drop a text that is not multi-step."""
        item.tags = self.parse(await self.ask(item), item)
        if not item.tags.multi_step:
            raise StageDrop(self.name, "not_multi_step")
