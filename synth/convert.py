"""Compact conversation JSON (what teachers write) <-> Trajectory, and tool lists in any format -> ToolSpecs.

Compact form: ``{"system": str, "messages": [{"role", "content", "tool_calls": [{"name",
"arguments"}]}, {"role": "tool", "name", "content"}, ...]}``. Call ids are canonical
(``call_1``, ``call_2``, ... in order); a tool message answers the oldest unanswered call. The
conversion is lenient about layout and strict about types: structure problems are left for the
rule checks to report, unreadable values raise ParseError.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from tools_registry.errors import ParseError, ToolDefinitionError
from tools_registry.records import Message, Trajectory, parse_arguments
from tools_registry.specs import ToolSpec

from .item import SynthMeta

__all__ = [
    "canonical_ids",
    "compact_messages",
    "content_text",
    "load_trajectory",
    "tools_from_json",
    "trajectory_from_compact",
]


def content_text(value: Any) -> str | None:
    """Message content as text: JSON values (a tool output written as an object) are serialised."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def tools_from_json(raw: Any, repairs: list[str] | None = None) -> list[ToolSpec]:
    """ToolSpecs from a list of MCP (``inputSchema``), OpenAI (wrapped or bare) or ToolSpec dicts.

    Reading any of these formats is no repair (MCP's is the one the stage prompts ask for).
    """
    if not isinstance(raw, list):
        raise ParseError(f"tools must be a list, got {type(raw).__name__}")
    out: list[ToolSpec] = []
    for i, t in enumerate(raw):
        if not isinstance(t, dict):
            raise ParseError(f"tool #{i} is not an object")
        try:
            if "inputSchema" in t or "input_schema" in t:
                spec = ToolSpec.from_mcp({k: v for k, v in t.items() if k != "mutates"})
                if "mutates" in t:
                    spec.mutates = bool(t["mutates"])
            elif t.get("type") == "function" or "function" in t:
                spec = ToolSpec.from_openai(t)
            else:
                spec = ToolSpec.model_validate(
                    {k: v for k, v in t.items() if k in ("name", "description", "parameters", "mutates")}
                )
        except (ToolDefinitionError, ValidationError) as exc:
            raise ParseError(f"tool #{i} is not a tool definition: {str(exc)[:200]}") from None
        if not isinstance(spec.parameters, dict):
            raise ParseError(f"tool '{spec.name}': parameters must be an object")
        out.append(spec)
    return out


def _call(c: Any, n: int) -> dict[str, Any]:
    if not isinstance(c, dict):
        raise ParseError(f"tool call #{n} is not an object")
    function = c.get("function")
    fn = function if isinstance(function, dict) else c
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        raise ParseError(f"tool call #{n} has no name")
    args = fn.get("arguments", fn.get("parameters", {}))
    return {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": name, "arguments": parse_arguments(args)},
    }


def trajectory_from_compact(data: Any, tools: list[ToolSpec]) -> Trajectory:
    """Build a Trajectory from a teacher's compact conversation (system prompt first)."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ParseError("conversation must be an object with a 'messages' list")
    msgs: list[dict[str, Any]] = []
    system = data.get("system")
    if isinstance(system, str) and system.strip():
        msgs.append({"role": "system", "content": system})
    pending: list[str] = []
    n = 0
    for i, m in enumerate(data["messages"]):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise ParseError(f"message #{i} has no valid role: {str(m)[:120]}")
        role = m["role"]
        content = content_text(m.get("content"))
        if role == "assistant":
            out: dict[str, Any] = {"role": "assistant", "content": content}
            calls = m.get("tool_calls") or []
            if not isinstance(calls, list):
                raise ParseError(f"message #{i}: tool_calls must be a list")
            if calls:
                out["tool_calls"] = []
                for c in calls:
                    n += 1
                    out["tool_calls"].append(_call(c, n))
                    pending.append(f"call_{n}")
            msgs.append(out)
        elif role == "tool":
            call_id = pending.pop(0) if pending else f"orphan_{i}"
            msgs.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": content if content is not None else "",
                    **({"name": m["name"]} if isinstance(m.get("name"), str) else {}),
                }
            )
        else:
            if content is None:
                raise ParseError(f"message #{i} ({role}) has no content")
            msgs.append({"role": role, "content": content})
    try:
        return Trajectory(messages=[Message.model_validate(m) for m in msgs], tools=tools)
    except ValidationError as exc:
        raise ParseError(f"conversation does not form valid messages: {str(exc)[:300]}") from None


def compact_messages(traj: Trajectory) -> dict[str, Any]:
    """The compact form of a trajectory (inverse of :func:`trajectory_from_compact` up to call ids)."""
    system = None
    out: list[dict[str, Any]] = []
    for m in traj.messages:
        if m.role == "system" and system is None and not out:
            system = m.content
            continue
        if m.role == "assistant":
            d: dict[str, Any] = {"role": "assistant", "content": m.content}
            if m.tool_calls:
                d["tool_calls"] = [{"name": c.function.name, "arguments": c.function.arguments} for c in m.tool_calls]
            out.append(d)
        elif m.role == "tool":
            out.append(
                {"role": "tool", "name": m.name, "content": m.content}
                if m.name
                else {"role": "tool", "content": m.content}
            )
        else:
            out.append({"role": m.role, "content": m.content})
    return {"system": system, "messages": out}


def canonical_ids(traj: Trajectory) -> Trajectory:
    """A copy with call ids renamed ``call_1..`` in order (tool messages follow their calls)."""
    return trajectory_from_compact(compact_messages(traj), list(traj.tools)).model_copy(update={"meta": traj.meta})


def load_trajectory(row: dict[str, Any]) -> Trajectory:
    """A corpus row back as a Trajectory, with the write flags (``SynthMeta.write_tools``) restored.

    The OpenAI tool format the row stores has no place for them.
    """
    traj = Trajectory.model_validate(row)
    writes = set(SynthMeta.of(traj).write_tools)
    for t in traj.tools:
        if t.name in writes:
            t.mutates = True
    return traj
