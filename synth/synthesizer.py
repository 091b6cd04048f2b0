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
from pydantic import ValidationError

from gem_env.llm.parsing import parse_json
from tools_registry.errors import ConfigError, ParseError
from tools_registry.records import Trajectory

from .convert import (
    canonical_ids,
    compact_messages,
    load_trajectory,
    tools_from_json,
    trajectory_from_compact,
)
from .item import TAG_KEYS, RowTags, SynthMeta
from .labels import PATTERNS
from .prompts import load_prompt
from .records import EnvSpec

__all__ = ["FORMAT", "build_pairs", "instruction", "parse", "serialize"]

FORMAT = "gem-synth/v1"


def instruction(prompts_dir: str | None = None) -> str:
    """The fixed instruction (system message) of every pair and of every synthesizer call."""
    return load_prompt("synthesizer", prompts_dir=prompts_dir).fill(patterns=", ".join(PATTERNS), text="")[0]["content"]


def serialize(traj: Trajectory) -> str:
    """The gem-synth/v1 text of a trajectory (tags, env and patterns from its ``SynthMeta``)."""
    compact = compact_messages(traj)
    meta = SynthMeta.of(traj)
    env = meta.env or EnvSpec()
    doc = {
        "format": FORMAT,
        "tags": meta.tags.model_dump(),
        "tools": [
            {"name": t.name, "description": t.description, "mutates": t.mutates, "parameters": t.parameters}
            for t in traj.tools
        ],
        "state_schema": env.state_schema,
        "initial_state": env.initial_state,
        "system": compact["system"] or "",
        "messages": compact["messages"],
        "patterns": meta.patterns,
    }
    return orjson.dumps(doc).decode()


def parse(text: str) -> Trajectory:
    """Strict parse of a gem-synth/v1 text into a Trajectory whose ``meta.extra`` is a SynthMeta.

    The SynthMeta holds the tags, env, patterns, and the repairs made (fences, trailing text,
    damaged JSON).

    Raises:
        ParseError: The text cannot be read as gem-synth/v1.
    """
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
    raw_tags, raw_patterns = data.get("tags"), data.get("patterns")
    tags = raw_tags if isinstance(raw_tags, dict) else {}
    meta = SynthMeta(
        tags=RowTags.model_validate({k: tags.get(k) for k in TAG_KEYS}),
        env=EnvSpec(state_schema=env["state_schema"] or {"type": "object"}, initial_state=env["initial_state"] or {}),
        patterns=raw_patterns if isinstance(raw_patterns, list) else [],
        repairs=repairs,
    )
    traj.meta.extra = meta.model_dump(mode="json")
    return traj


def build_pairs(
    corpus_rows: Iterable[dict[str, Any]],
    texts: dict[str, str] | None = None,
    *,
    prompts_dir: str | None = None,
    where: str = "corpus",
) -> list[dict[str, Any]]:
    """Chat rows ``{"messages": [system: instruction, user: source text, assistant: serialisation], "meta"}``.

    The source text comes from ``texts[source_id]`` or the row's ``SynthMeta.source_text``; rows
    with neither are skipped. Call ids are made canonical before serialising. ``where`` names the
    rows in errors (a file name: ``"<where> row <n>: ..."``).

    Raises:
        ConfigError: A row is not a trajectory row (``Trajectory.to_row()``'s shape).
    """
    system = instruction(prompts_dir)
    out = []
    for n, row in enumerate(corpus_rows):
        if not isinstance(row, dict):
            raise ConfigError(f"{where} row {n}: expected a JSON object, got {type(row).__name__}")
        try:
            traj = load_trajectory(row)
            sid = traj.meta.provenance.source_id
            text = (texts or {}).get(sid or "") or SynthMeta.of(traj).source_text
        except ValidationError as exc:
            raise ConfigError(f"{where} row {n}: not a trajectory row: {str(exc)[:300]}") from None
        if not text:
            continue
        try:
            traj = canonical_ids(traj)
        except ParseError as exc:  # a call the compact form cannot hold (no name, unreadable arguments)
            raise ConfigError(f"{where} row {n}: not a trajectory row: {exc}") from None
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
