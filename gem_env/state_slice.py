"""The slice of a state a tool call touches, within a character budget (for the LLM tool simulator).

A state that fits the budget is shown whole. A larger one is shown as ``{JSON Pointer: value}``:
the top-level parts the call reads (a compiled program's reads when there is one, else every
part), each whole when small, otherwise only the records that mention one of the call's argument
values (a field equal to it, or its key in an object keyed by id), with a note of how many records
are not shown. Pointers are the real paths, so a simulator's JSON Patch applies to the full state.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["argument_values", "state_slice"]


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


def state_slice(state: dict[str, Any], arguments: dict[str, Any], *, budget_chars: int,
                keys: set[str] | None = None) -> tuple[bool, dict[str, Any]]:
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
            candidates = [(f"{at}/{_escape(k)}", r) for k, r in value.items() if str(k) in values or _mentions(r, values)]
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
