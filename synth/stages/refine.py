"""Stage 4, Refinement: a harder rewrite plus the database schema and initial state that make it executable.

Checks beyond Generation's: one call per assistant turn; the state schema is a valid JSON Schema
of type object; the initial state validates against it; database keys are unique; no placeholders
in the state. Agreement of tool outputs with the state is Validation's (``consistency.py``).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson

from tools_registry.errors import ParseError
from tools_registry.records import Trajectory

from ..convert import compact_messages, tools_from_json, trajectory_from_compact
from ..item import SynthItem
from ..labels import PATTERNS
from ..records import EnvSpec
from ..rules import PLACEHOLDER_RE, pattern_problems, trajectory_problems
from .base import LLMStage, StageDrop, raise_problems
from .generate import dumps_indented

__all__ = ["Refiner", "duplicate_keys", "env_problems"]


def duplicate_keys(state: Any, path: str = "") -> list[str]:
    """Lists of records whose first id field repeats a value."""
    out: list[str] = []
    if isinstance(state, dict):
        for k, v in state.items():
            out += duplicate_keys(v, f"{path}/{k}")
    elif isinstance(state, list):
        seen: dict[tuple[str, Any], int] = {}
        for i, rec in enumerate(state):
            if isinstance(rec, dict):
                key = next(((k, v) for k, v in rec.items() if k == "id" or k.endswith("_id")), None)
                if key is not None and isinstance(key[1], (str, int)):
                    if key in seen:
                        out.append(f"[state-keys] {path}: {key[0]}={key[1]!r} repeats (items {seen[key]} and {i})")
                    seen.setdefault(key, i)
            out += duplicate_keys(rec, f"{path}/{i}")
    return out


def env_problems(env: EnvSpec) -> list[str]:
    """Problems of an env spec: a bad state schema, an initial state it rejects, duplicates, placeholders."""
    problems: list[str] = []
    schema = env.state_schema
    if schema.get("type") != "object":
        problems.append("[state-schema] state_schema.type must be 'object'")
    meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    errs = list(meta.iter_errors(schema))
    problems += [f"[state-schema] {'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errs[:5]]
    if not errs:
        for e in list(jsonschema.Draft202012Validator(schema).iter_errors(env.initial_state))[:5]:
            problems.append(f"[state-valid] initial_state/{'/'.join(map(str, e.path))}: {e.message[:200]}")
    problems += duplicate_keys(env.initial_state)
    blob = orjson.dumps(env.initial_state).decode()
    m = PLACEHOLDER_RE.search(blob)
    if m:
        problems.append(f"[placeholder] initial_state holds {m.group(0)!r}")
    return problems


class Refiner(LLMStage):
    """Replaces ``item.trajectory`` and ``item.patterns``, fills ``item.env``; StageDrop(refine, ...) otherwise."""

    name = "refine"
    prompt_name = "refine"

    def parse(self, data: dict[str, Any], old_tools: list[Any], item: SynthItem) -> tuple[Trajectory, EnvSpec]:
        """The refined trajectory and env spec in a reply; tools the rewrite left out are kept.

        Raises:
            StageDrop: The tools, state or conversation cannot be parsed.
        """
        repairs: list[str] = []
        try:
            tools = tools_from_json(data["tools"], repairs) if isinstance(data.get("tools"), list) else list(old_tools)
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None
        names = {t.name for t in tools}
        kept = [t for t in old_tools if t.name not in names]
        if kept:
            repairs.append(f"kept {len(kept)} tools the rewrite left out: {', '.join(t.name for t in kept)}")
        schema, state = data.get("state_schema"), data.get("initial_state")
        if not isinstance(schema, dict) or not isinstance(state, dict):
            raise StageDrop(self.name, "parse", ["state_schema and initial_state must be JSON objects"])
        try:
            traj = trajectory_from_compact(data, tools + kept)
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None
        item.records.add_repairs(self.name, repairs)
        return traj, EnvSpec(state_schema=schema, initial_state=state)

    def check(self, traj: Trajectory, patterns: Any, env: EnvSpec) -> list[str]:
        """Problems of a refined trajectory, its claimed patterns and its env spec."""
        return trajectory_problems(traj, refined=True) + pattern_problems(patterns, traj) + env_problems(env)

    def values(self, item: SynthItem) -> dict[str, Any]:
        """Prompt values: the source text, the patterns, the current tools and the conversation."""
        traj = item.trajectory
        assert traj is not None, "refinement runs after generation"
        return {
            "text": item.segment.text,
            "patterns": ", ".join(PATTERNS),
            "tools": dumps_indented([t.to_mcp() | {"mutates": t.mutates} for t in traj.tools]),
            "conversation": dumps_indented(compact_messages(traj)),
        }

    async def run(self, item: SynthItem) -> None:
        """Refine the item's trajectory and add its env spec (``item.env``)."""
        data = await self.ask(item)
        assert item.trajectory is not None
        new, env = self.parse(data, list(item.trajectory.tools), item)
        patterns = data.get("patterns")
        item.records.sizes["refined"] = new.compute_stats()
        raise_problems(self.name, self.check(new, patterns, env))
        item.trajectory, item.patterns, item.env, item.refined = new, patterns, env, True
