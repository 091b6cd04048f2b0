"""Stage 1, Selection: the cheap prefilter, then LLM tags validated against the fixed label sets."""

from __future__ import annotations

from typing import Any

from ..labels import labels
from ..prefilter import prefilter_score
from ..records import Tags
from .base import ItemContext, StageBase, StageDrop, ask_json

__all__ = ["Selector"]


class Selector(StageBase):
    """``await selector.run(ctx) -> Tags``; raises StageDrop (prefilter / select) otherwise."""

    name = "select"
    prompt_name = "select"

    def __init__(self, backend: Any, *, prefilter: bool = True, threshold: float = 3.0, **kw: Any):
        super().__init__(backend, **kw)
        self.use_prefilter = prefilter
        self.threshold = threshold

    def values(self, text: str) -> dict[str, Any]:
        lab = labels()
        return {
            "text": text,
            "domains": ", ".join(lab.domains),
            "tasks": ", ".join(lab.tasks),
            "platforms": ", ".join(lab.platforms),
        }

    def parse(self, data: dict[str, Any], ctx: ItemContext) -> Tags:
        """Strict tags: multi_step a boolean; labels exactly from the sets (near-misses repaired, recorded)."""
        ms = data.get("multi_step")
        if isinstance(ms, str) and ms.strip().lower() in ("true", "false"):
            ctx.add_repairs(self.name, [f"multi_step {ms!r} read as a boolean"])
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
                ctx.add_repairs(self.name, [f"{kind} {raw!r} -> {label!r}"])
            out[kind] = label
        summary = data.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            bad.append("summary is missing")
        elif summary.strip().startswith("<") and summary.strip().endswith(">"):
            bad.append(f"summary {summary.strip()[:60]!r} copies the prompt's placeholder")
        if bad:
            raise StageDrop(self.name, "bad_label", bad)
        out["summary"] = summary.strip()
        return Tags(**out)

    def check_prefilter(self, text: str) -> None:
        """Raise StageDrop('prefilter', 'not_procedural') when the prefilter is on and ``text`` fails it."""
        if self.use_prefilter:
            res = prefilter_score(text, self.threshold)
            if not res.passed:
                raise StageDrop("prefilter", "not_procedural", [f"score {res.score:.2f} < {self.threshold}"])

    async def run(self, ctx: ItemContext) -> Tags:
        text = ctx.segment.text
        self.check_prefilter(text)
        data = await ask_json(
            self.backend,
            self.prompt,
            self.values(text),
            ctx,
            stage=self.name,
            sampling=self.sampling,
            structured=self.structured,
        )
        tags = self.parse(data, ctx)
        ctx.tags = tags.model_dump(exclude_none=True)
        if not tags.multi_step:
            raise StageDrop(self.name, "not_multi_step")
        return tags
