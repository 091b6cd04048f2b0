"""Trajectory Synthesizer: training pairs from a validated corpus, its serialisation, and the one-call mode.

Serialisation ``gem-synth/v1`` (what a synthesizer model emits; one JSON object):
    {"format": "gem-synth/v1",
     "tags": {"summary", "domain", "platform", "task"},
     "tools": [{"name", "description", "mutates", "parameters"}],
     "state_schema": {...}, "initial_state": {...},
     "system": "...",
     "messages": [{"role": "user", "content"}, {"role": "assistant", "content", "tool_calls": [{"name",
                  "arguments"}]}, {"role": "tool", "name", "content"}, ...],
     "patterns": [{"pattern", "turn"}]}
Call ids are not serialised: a tool message answers the oldest open call, ids are ``call_1..``.
``parse(serialize(t))`` gives back ``t``'s tools and messages (with canonical ids).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from gem_env.llm.parsing import parse_json
from tools_registry.errors import ParseError
from tools_registry.records import Trajectory

from .convert import (
    canonical_ids,
    compact_messages,
    load_trajectory,
    tools_from_json,
    trajectory_from_compact,
)
from .stages.generate import first_rule
from .labels import PATTERNS, labels
from .prompts import load_prompt
from .records import EnvSpec
from .stages.refine import env_problems
from .rules import pattern_problems, trajectory_problems
from .stages.base import ItemContext, StageBase, StageDrop, ask_json

__all__ = ["FORMAT", "SynthesizerStage", "build_pairs", "instruction", "parse", "serialize"]

FORMAT = "gem-synth/v1"


def instruction(prompts_dir: str | None = None) -> str:
    """The fixed instruction (system message) of every pair and of every synthesizer call."""
    return load_prompt("synthesizer", directory=prompts_dir).fill(patterns=", ".join(PATTERNS), text="")[0][
        "content"
    ]


def _env(traj: Trajectory) -> dict[str, Any]:
    env = traj.meta.extra.get("env") or {}
    out = {}
    for key in ("state_schema", "initial_state"):
        v = env.get(key)
        out[key] = (
            orjson.loads(v)
            if isinstance(v, str)
            else (v if v is not None else ({"type": "object"} if key == "state_schema" else {}))
        )
    return out


def serialize(traj: Trajectory) -> str:
    """The gem-synth/v1 text of a trajectory (tags, env and patterns read from ``meta.extra``)."""
    compact = compact_messages(traj)
    tags = traj.meta.extra.get("tags") or {}
    doc = {
        "format": FORMAT,
        "tags": {k: tags.get(k) for k in ("summary", "domain", "platform", "task")},
        "tools": [
            {"name": t.name, "description": t.description, "mutates": t.mutates, "parameters": t.parameters}
            for t in traj.tools
        ],
        **_env(traj),
        "system": compact["system"] or "",
        "messages": compact["messages"],
        "patterns": traj.meta.extra.get("patterns") or [],
    }
    return orjson.dumps(doc).decode()


def parse(text: str) -> Trajectory:
    """Strict parse of a gem-synth/v1 text; repairs (fences, trailing text, damaged JSON) go to
    ``meta.extra["repairs"]``. Raises ParseError when the text cannot be read as one."""
    data, repairs = parse_json(text)
    if not isinstance(data, dict):
        raise ParseError(f"synthesizer output must be a JSON object, got {type(data).__name__}")
    fmt = data.get("format")
    if fmt is None:
        repairs.append("format: missing, read as gem-synth/v1")
    elif fmt != FORMAT:
        raise ParseError(f"unknown serialisation format {fmt!r} (expected {FORMAT})")
    for key in ("tools", "messages"):
        if not isinstance(data.get(key), list):
            raise ParseError(f"synthesizer output needs a '{key}' list")
    tools = tools_from_json(data["tools"], repairs)
    traj = trajectory_from_compact({"system": data.get("system"), "messages": data["messages"]}, tools)
    env = {k: data.get(k) for k in ("state_schema", "initial_state")}
    for k, v in env.items():
        if v is not None and not isinstance(v, dict):
            raise ParseError(f"{k} must be a JSON object")
    tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
    traj.meta.extra = {
        "tags": {k: tags.get(k) for k in ("summary", "domain", "platform", "task")},
        "env": {
            "state_schema": orjson.dumps(env["state_schema"] or {"type": "object"}).decode(),
            "initial_state": orjson.dumps(env["initial_state"] or {}).decode(),
        },
        "patterns": data.get("patterns") if isinstance(data.get("patterns"), list) else [],
        "repairs": repairs,
    }
    return traj


def build_pairs(
    corpus_rows: Iterable[dict[str, Any]],
    texts: dict[str, str] | None = None,
    *,
    prompts_dir: str | None = None,
) -> list[dict[str, Any]]:
    """Chat rows ``{"messages": [system: instruction, user: source text, assistant: serialisation], "meta"}``.

    The source text comes from ``texts[source_id]`` or the row's ``meta.extra.source_text``; rows
    with neither are skipped. Call ids are made canonical before serialising.
    """
    system = instruction(prompts_dir)
    out = []
    for row in corpus_rows:
        traj = load_trajectory(row)
        sid = traj.meta.provenance.source_id
        text = (texts or {}).get(sid or "") or traj.meta.extra.get("source_text")
        if not text:
            continue
        traj = canonical_ids(traj)
        out.append(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": serialize(traj)},
                ],
                "meta": {
                    "source_id": sid,
                    "source_hash": traj.meta.provenance.source_hash,
                    "format": FORMAT,
                    "pipeline": traj.meta.provenance.pipeline,
                },
            }
        )
    return out


class SynthesizerStage(StageBase):
    """One call per segment in place of the four stages; output checked by the same validators."""

    name = "synthesizer"
    prompt_name = "synthesizer"

    async def run(self, ctx: ItemContext) -> tuple[Trajectory, list[Any], EnvSpec, None]:
        data = await ask_json(
            self.backend,
            self.prompt,
            {"patterns": ", ".join(PATTERNS), "text": ctx.segment.text},
            ctx,
            stage=self.name,
            sampling=self.sampling,
            structured=self.structured,
        )
        try:
            traj = parse(orjson.dumps(data).decode())
        except ParseError as exc:
            raise StageDrop(self.name, "parse", [str(exc)]) from None
        ctx.add_repairs(self.name, traj.meta.extra.get("repairs", []))
        tags, bad = {"multi_step": True}, []
        for kind in ("domain", "platform", "task"):
            raw = traj.meta.extra["tags"].get(kind)
            tags[kind] = labels().normalize(kind, raw)
            if tags[kind] is None:
                bad.append(f"{kind} {str(raw)[:60]!r} is not a label")
        tags["summary"] = traj.meta.extra["tags"].get("summary")
        ctx.tags = tags
        if bad:
            raise StageDrop(self.name, "bad_label", bad)
        env = EnvSpec(
            state_schema=orjson.loads(traj.meta.extra["env"]["state_schema"]),
            initial_state=orjson.loads(traj.meta.extra["env"]["initial_state"]),
        )
        patterns = traj.meta.extra["patterns"]
        ctx.stats["refined"] = traj.compute_stats().model_dump()
        problems = (
            trajectory_problems(traj, refined=True) + pattern_problems(patterns, traj) + env_problems(env)
        )
        if problems:
            raise StageDrop(self.name, f"rule:{first_rule(problems)}", problems)
        return traj, patterns, env, None
