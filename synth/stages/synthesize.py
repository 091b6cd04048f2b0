"""The one-call Trajectory-Synthesizer stage: tags, tools, env and conversation from one reply.

It stands in for selection, extraction, generation and refinement; its output goes through the
same checks (labels, turn grammar, pattern quotas, env spec) and then the same validation stages.
"""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.errors import ParseError

from ..item import SynthItem, SynthMeta
from ..labels import PATTERNS, labels
from ..records import Tags
from ..rules import pattern_problems, trajectory_problems
from .base import LLMStage, StageDrop, raise_problems
from ..synthesizer import parse
from .refine import env_problems

__all__ = ["SynthesizerStage"]


class SynthesizerStage(LLMStage):
    """Fills tags, trajectory, patterns and env of ``item`` from one gem-synth/v1 reply."""

    name = "synthesizer"
    prompt_name = "synthesizer"

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the source text and the patterns."""
        return {"patterns": ", ".join(PATTERNS), "text": item.segment.text}

    async def run(self, item: SynthItem) -> None:
        """Read a one-call gem-synth/v1 reply into the item's tags, trajectory and env spec."""
        data = await self.ask(item)
        try:
            traj = parse(orjson.dumps(data).decode())
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None
        meta = SynthMeta.of(traj)
        item.records.add_repairs(self.name, meta.repairs)
        found: dict[str, Any] = {"multi_step": True}
        bad = []
        for kind in ("domain", "platform", "task"):
            raw = getattr(meta.tags, kind)
            found[kind] = labels().normalize(kind, raw)
            if found[kind] is None:
                bad.append(f"{kind} {str(raw)[:60]!r} is not a label")
        item.tags = Tags(**found, summary=meta.tags.summary)
        if bad:
            raise StageDrop(self.name, "bad_label", bad)
        env = meta.env
        assert env is not None, "parse always sets an env spec"
        item.records.sizes["refined"] = traj.compute_stats()
        raise_problems(
            self.name,
            trajectory_problems(traj, refined=True) + pattern_problems(meta.patterns, traj) + env_problems(env),
        )
        traj.meta.extra = {}
        item.trajectory, item.patterns, item.env, item.refined = traj, meta.patterns, env, True
