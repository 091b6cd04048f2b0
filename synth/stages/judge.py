"""The R1/R2/R3 judge: strict binary JSON, all three must be 1 to keep a trajectory."""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.records import Trajectory

from ..item import SynthItem
from ..records import Verdict
from .base import LLMStage, StageDrop

__all__ = ["Judge", "parse_verdict", "transcript"]


def transcript(traj: Trajectory) -> str:
    """A plain-text rendering of the conversation for the judge."""
    lines = []
    for i, m in enumerate(traj.messages):
        if m.role == "assistant" and m.tool_calls:
            calls = "; ".join(f"{c.function.name}({orjson.dumps(c.function.arguments).decode()})" for c in m.tool_calls)
            lines.append(f"[{i}] assistant: {m.content or ''} <calls: {calls}>".replace(":  <", ": <"))
        else:
            lines.append(f"[{i}] {m.role}: {m.content}")
    return "\n".join(lines)


def parse_verdict(data: Any, repairs: list[str]) -> Verdict:
    """Exactly the keys R1, R2, R3 with values 0/1 (true/false and "0"/"1" repaired, recorded)."""
    if not isinstance(data, dict) or set(data) != {"R1", "R2", "R3"}:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise StageDrop("judge", "parse", [f"judge reply must have exactly R1, R2, R3; got {keys}"])
    out = {}
    for k, v in data.items():
        if isinstance(v, bool) or (isinstance(v, str) and v.strip() in ("0", "1")):
            repairs.append(f"{k}={v!r} read as {int(v) if isinstance(v, bool) else int(v.strip())}")
            v = int(v) if isinstance(v, bool) else int(v.strip())
        if v not in (0, 1) or isinstance(v, float):
            raise StageDrop("judge", "parse", [f"{k} must be 0 or 1, got {v!r}"])
        out[k] = int(v)
    return Verdict.model_validate(out)


class Judge(LLMStage):
    """Fills ``item.verdict``; raises StageDrop(judge, 'R1'/'R2'/'R3' joined by '+', or 'parse')."""

    name = "judge"
    prompt_name = "judge"

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the trajectory's tools and its transcript."""
        traj = item.trajectory
        assert traj is not None, "the judge runs on a trajectory"
        return {
            "tools": orjson.dumps([t.to_openai()["function"] for t in traj.tools]).decode(),
            "transcript": transcript(traj),
        }

    async def run(self, item: SynthItem) -> None:
        """Judge the trajectory into ``item.verdict``; drop it when a criterion is 0."""
        data = await self.ask(item)
        repairs: list[str] = []
        verdict = parse_verdict(data, repairs)
        item.records.add_repairs(self.name, repairs)
        item.verdict = verdict
        if not verdict.passed:
            failed = [k for k in ("R1", "R2", "R3") if getattr(verdict, k) == 0]
            raise StageDrop(self.name, "+".join(failed), [f"{k}=0" for k in failed])
