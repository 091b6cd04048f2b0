"""Stage 3, Generation: the teacher writes the whole conversation; turn grammar and pattern quotas checked."""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.errors import ParseError
from tools_registry.records import Trajectory

from ..convert import trajectory_from_compact
from ..labels import PATTERNS
from ..records import Blueprint
from ..rules import pattern_problems, trajectory_problems
from .base import ItemContext, StageBase, StageDrop, ask_json

__all__ = ["Generator", "first_rule"]


def first_rule(problems: list[str]) -> str:
    p = problems[0]
    return p[1 : p.index("]")] if p.startswith("[") and "]" in p else "check"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


class Generator(StageBase):
    """``await generator.run(ctx, blueprint) -> (Trajectory, patterns)``; StageDrop(generate, ...) otherwise."""

    name = "generate"
    prompt_name = "generate"

    def parse(self, data: dict[str, Any], tools: list[Any]) -> Trajectory:
        try:
            return trajectory_from_compact(data, tools)
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None

    def check(self, traj: Trajectory, patterns: Any, *, refined: bool = False) -> list[str]:
        return trajectory_problems(traj, refined=refined) + pattern_problems(patterns, traj)

    async def run(self, ctx: ItemContext, bp: Blueprint) -> tuple[Trajectory, list[Any]]:
        values = {
            "text": ctx.segment.text,
            "patterns": ", ".join(PATTERNS),
            "tools": _dumps([t.to_mcp() | {"mutates": t.mutates} for t in bp.tools]),
            "workflows": _dumps([w.model_dump() for w in bp.workflows]),
        }
        data = await ask_json(
            self.backend,
            self.prompt,
            values,
            ctx,
            stage=self.name,
            sampling=self.sampling,
            structured=self.structured,
        )
        traj = self.parse(data, list(bp.tools))
        patterns = data.get("patterns")
        ctx.stats["generated"] = traj.compute_stats().model_dump()
        problems = self.check(traj, patterns)
        if problems:
            raise StageDrop(self.name, f"rule:{first_rule(problems)}", problems)
        return traj, patterns
