"""Verification without an LLM: replay a reference conversation on compiled tools and compare.

Every reference call runs on the compiled programs from the initial state, in order; its output
is compared with the reference tool message after :func:`canonical_output`, and the final state
with the expected one (when known) after ``canonical_state``. What is compared, exactly:

- A tool message is an error when it starts with ``Error:``. An error must meet an error; their
  messages are compared with the prefix removed, case folded, runs of whitespace made one space
  and trailing ``.`` dropped.
- Otherwise, text that parses as JSON is compared as JSON values: object key order is ignored,
  ``1`` equals ``1.0``, ``true`` is not ``1``, list order counts.
- Any other text is compared with surrounding whitespace stripped.
- Final state: equal to the expected final state with object key order and list order ignored
  (``tools_registry.reference.canonical_state``); when there is no expected state, only what
  needs none is checked: read-only tools changed nothing and the state still fits its schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from tools_registry.records import Message
from tools_registry.reference import canonical_state, state_patch

from .limits import ProgramError
from .program import ProgramSet

__all__ = ["CallCheck", "Verification", "canonical_output", "reference_calls", "verify_reference"]

_WS = re.compile(r"\s+")


def _canon_json(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _canon_json(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [_canon_json(x) for x in v]
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def canonical_output(text: str | None) -> tuple[str, Any]:
    """``(kind, value)`` that two tool messages are compared by: ``error``, ``json`` or ``text``."""
    s = (text or "").strip()
    if s[:6].lower() == "error:":
        return "error", _WS.sub(" ", s[6:].strip()).casefold().rstrip(".").strip()
    if s[:1] in '{["' or s in ("true", "false", "null") or s[:1].isdigit() or s[:1] == "-":
        try:
            return "json", _canon_json(orjson.loads(s))
        except orjson.JSONDecodeError:
            pass
    return "text", s


@dataclass
class CallCheck:
    """One replayed call: what the reference says, what the program gave, and whether they agree."""

    index: int
    name: str
    arguments: dict[str, Any]
    expected: str
    got: str
    ok: bool
    patch: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Verification:
    """The result of replaying a reference; ``problems`` says what disagreed (empty = passed)."""

    calls: list[CallCheck]
    final_state: dict[str, Any]
    problems: list[str]
    reason: str | None = None

    @property
    def passed(self) -> bool:
        """Whether no problem was found."""
        return not self.problems

    def diff(self, limit: int = 12) -> str:
        """The disagreements as text for a repair prompt."""
        return "\n".join(f"- {p}" for p in self.problems[:limit]) or "(none)"


@lru_cache(maxsize=256)
def _validator(schema: bytes) -> Any:
    """A compiled validator for a state schema (None when the schema does not compile)."""
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for(orjson.loads(schema))
    except (ValueError, jsonschema_rs.ValidationError):
        return None


def reference_calls(messages: list[Message] | list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], str]]:
    """``(tool, arguments, tool message)`` of every call in a conversation, in order."""
    dicts = [m.to_dict() if isinstance(m, Message) else m for m in messages]
    outputs = {m.get("tool_call_id"): m.get("content") or "" for m in dicts if m.get("role") == "tool"}
    out = []
    for m in dicts:
        for c in m.get("tool_calls") or ():
            args = c["function"].get("arguments") or {}
            if isinstance(args, str):
                args = orjson.loads(args) if args.strip() else {}
            out.append((c["function"]["name"], args, outputs.get(c.get("id"), "")))
    return out


def verify_reference(
    programs: ProgramSet,
    messages: list[Message] | list[dict[str, Any]],
    initial_state: dict[str, Any],
    *,
    expected_final_state: dict[str, Any] | None = None,
    read_only: set[str] | None = None,
    state_schema: dict[str, Any] | None = None,
) -> Verification:
    """Replay ``messages``' calls on ``programs`` from ``initial_state``; compare (see the module doc).

    Args:
        programs: The compiled programs.
        messages: The reference conversation.
        initial_state: The state it starts from (not modified).
        expected_final_state: The state it must end in (e.g. the state-consistency replay's).
        read_only: Tools that must not change the state.
        state_schema: JSON Schema the final state must fit.
    """
    state = orjson.loads(orjson.dumps(initial_state))
    checks: list[CallCheck] = []
    problems: list[str] = []
    reason = None
    for i, (name, args, expected) in enumerate(reference_calls(messages)):
        try:
            got, ops = programs.call(state, name, orjson.loads(orjson.dumps(args)))
        except ProgramError as exc:
            got, ops = f"Error: {exc}", []
        ok = canonical_output(got) == canonical_output(expected)
        checks.append(CallCheck(i, name, args, expected, got, ok, ops))
        call = f"call #{i + 1} {name}({orjson.dumps(args).decode()[:160]})"
        if not ok:
            reason = reason or "output"
            problems.append(f"{call}: expected {expected[:300]!r}, the program gave {got[:300]!r}")
        if ops and read_only and name in read_only:
            reason = reason or "read_only_write"
            problems.append(f"{call}: '{name}' is read-only but its program changed the state: {ops[:3]}")
    if expected_final_state is not None and canonical_state(state) != canonical_state(expected_final_state):
        reason = reason or "final_state"
        diff = state_patch(expected_final_state, state)[:5]
        problems.append(
            f"final state differs from the expected one (patch from expected to got): "
            f"{orjson.dumps(diff).decode()[:600]}"
        )
    if state_schema:
        validator = _validator(orjson.dumps(state_schema, option=orjson.OPT_SORT_KEYS))
        if validator is not None and not validator.is_valid(state):
            first = next(iter(validator.iter_errors(state)), None)
            reason = reason or "state_schema"
            problems.append(f"the final state breaks the state schema: {getattr(first, 'message', 'invalid')[:200]}")
    return Verification(checks, state, problems, reason)
