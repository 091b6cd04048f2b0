"""Stage 3, Generation: the teacher writes the whole conversation; turn grammar and pattern quotas checked."""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.errors import ParseError
from tools_registry.records import Trajectory

from ..convert import trajectory_from_compact
from ..item import SynthItem
from ..labels import PATTERNS
from ..rules import pattern_problems, trajectory_problems
from .base import LLMStage, StageDrop, first_rule, raise_problems

__all__ = ["Generator", "dumps_indented", "first_rule"]


def dumps_indented(value: Any) -> str:
    """JSON text with 2-space indents (how tools and workflows are shown to the teacher)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


class Generator(LLMStage):
    """Fills ``item.trajectory`` and ``item.patterns`` from the blueprint; StageDrop(generate, ...) otherwise."""

    name = "generate"
    prompt_name = "generate"

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the source text, the patterns, and the blueprint's tools and workflows."""
        bp = item.blueprint
        assert bp is not None, "generation runs after extraction"
        return {
            "text": item.segment.text,
            "patterns": ", ".join(PATTERNS),
            "tools": dumps_indented([t.to_mcp() | {"mutates": t.mutates} for t in bp.tools]),
            "workflows": dumps_indented([w.model_dump() for w in bp.workflows]),
        }

    def parse(self, data: dict[str, Any], tools: list[Any]) -> Trajectory:
        """The trajectory in a compact reply, over ``tools``.

        Raises:
            StageDrop: The reply cannot be parsed.
        """
        try:
            return trajectory_from_compact(data, tools)
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None

    def check(self, traj: Trajectory, patterns: Any, *, refined: bool = False) -> list[str]:
        """Problems of a trajectory and of the patterns the reply claims for it."""
        return trajectory_problems(traj, refined=refined) + pattern_problems(patterns, traj)

    async def run(self, item: SynthItem) -> None:
        """Generate the item's trajectory from its blueprint into ``item.trajectory``."""
        data = await self.ask(item)
        assert item.blueprint is not None
        traj = self.parse(data, list(item.blueprint.tools))
        patterns = data.get("patterns")
        sizes = traj.compute_stats()
        item.records.sizes["generated"] = sizes
        raise_problems(self.name, self.check(traj, patterns))
        item.trajectory, item.patterns, item.before_refine = traj, patterns, sizes
