"""The slice of a state a tool call touches, within a character budget (for the LLM tool simulator).

The state schema is cut the same way (:func:`schema_slice`): titles and examples dropped, then
only the top-level properties shown and the ``$defs`` they use, then descriptions dropped.

A state that fits the budget is shown whole. A larger one is shown as ``{JSON Pointer: value}``:
the top-level parts the call reads (a compiled program's reads when there is one, else every
part), each whole when small, otherwise only the records that mention one of the call's argument
values (a field equal to it, or its key in an object keyed by id), with a note of how many records
are not shown. Pointers are the real paths, so a simulator's JSON Patch applies to the full state.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["argument_values", "schema_slice", "state_slice"]


def argument_values(arguments: Any) -> set[str]:
    """Every scalar in the arguments, as text (what records are selected by)."""
    if isinstance(arguments, dict):
        return {s for v in arguments.values() for s in argument_values(v)}
    if isinstance(arguments, list):
        return {s for v in arguments for s in argument_values(v)}
    if isinstance(arguments, bool) or arguments is None:
        return set()
    return {str(arguments)} if isinstance(arguments, (str, int, float)) and str(arguments) else set()


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _mentions(record: Any, values: set[str]) -> bool:
    if isinstance(record, dict):
        return any(_mentions(v, values) for v in record.values())
    if isinstance(record, list):
        return any(_mentions(v, values) for v in record)
    return not isinstance(record, bool) and record is not None and str(record) in values


def state_slice(
    state: dict[str, Any], arguments: dict[str, Any], *, budget_chars: int, keys: set[str] | None = None
) -> tuple[bool, dict[str, Any]]:
    """``(whole, shown)``: the whole state when it fits ``budget_chars``, else ``{pointer: value}``."""
    if len(orjson.dumps(state)) <= budget_chars:
        return True, state
    values = argument_values(arguments)
    shown: dict[str, Any] = {}
    notes: dict[str, str] = {}
    used = 0
    parts = [k for k in state if keys is None or k in keys] or list(state)
    small = budget_chars // max(4, 2 * len(parts))
    for key in parts:
        value = state[key]
        at = "/" + _escape(key)
        size = len(orjson.dumps(value))
        if size <= small:
            candidates = [(at, value)]
        elif isinstance(value, list):
            candidates = [(f"{at}/{i}", r) for i, r in enumerate(value) if _mentions(r, values)]
            notes[at] = f"a list of {len(value)} items; only those matching the call are shown"
        elif isinstance(value, dict):
            candidates = [
                (f"{at}/{_escape(k)}", r) for k, r in value.items() if str(k) in values or _mentions(r, values)
            ]
            notes[at] = f"an object of {len(value)} entries; only those matching the call are shown"
        else:
            candidates = [(at, value)]
        for pointer, v in candidates:
            n = len(orjson.dumps(v)) + len(pointer) + 4
            if used + n > budget_chars:
                notes[at] = notes.get(at, "a large value") + " (budget reached: some matches are not shown)"
                break
            shown[pointer] = v
            used += n
    for pointer, note in notes.items():
        shown.setdefault(pointer + " (note)", note)
    return False, shown


_NOISE = ("title", "examples")


def _strip(node: Any, drop: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip(v, drop)
            for k, v in node.items()
            if not (k in drop and not isinstance(v, dict | list) or k == "examples")
        }
    if isinstance(node, list):
        return [_strip(v, drop) for v in node]
    return node


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out.add(ref.removeprefix("#/$defs/"))
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def schema_slice(schema: dict[str, Any], keys: set[str] | None, *, budget_chars: int) -> dict[str, Any]:
    """The state schema cut to ``budget_chars`` (as far as it goes): noise, other properties, descriptions."""
    if len(orjson.dumps(schema)) <= budget_chars:
        return schema
    out = _strip(schema, _NOISE)
    if len(orjson.dumps(out)) > budget_chars and keys and isinstance(out.get("properties"), dict):
        props = {k: v for k, v in out["properties"].items() if k in keys}
        defs = out.get("$defs") if isinstance(out.get("$defs"), dict) else {}
        used: set[str] = set()
        _refs(props, used)
        while True:  # definitions used by the kept definitions, transitively
            more: set[str] = set()
            _refs({k: defs[k] for k in used if k in defs}, more)
            if more <= used:
                break
            used |= more
        out = {k: v for k, v in out.items() if k not in ("properties", "$defs", "required")}
        out["properties"] = props
        if used:
            out["$defs"] = {k: defs[k] for k in sorted(used) if k in defs}
    if len(orjson.dumps(out)) > budget_chars:
        out = _strip(out, ("title", "description"))
    if len(orjson.dumps(out)) > budget_chars:  # last resort: the kept properties' names and types
        props = out.get("properties") if isinstance(out.get("properties"), dict) else {}
        out = {
            "type": "object",
            "properties": {
                k: {"type": v.get("type", "object")} if isinstance(v, dict) else {} for k, v in props.items()
            },
            "note": "schema shortened to fit the prompt; the state shown follows the full schema",
        }
    return out
