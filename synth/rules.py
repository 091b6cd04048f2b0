"""Deterministic validation rules of paper.md (plus grounding and placeholder checks) over a Trajectory.

``trajectory_problems(traj, refined=...)`` returns ``"[rule] message #i: what"`` lines, empty when
clean. Rules (ids in RULES) are cheap enough to run on every item: a 46-message trajectory is
checked in well under a millisecond once its tool set has been checked (tool checks are cached
per tool-set hash).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import orjson

from tools_registry.errors import ToolDefinitionError, ToolError
from tools_registry.records import Trajectory, content_hash
from tools_registry.validation import ToolSet, tool_problems

from .labels import PATTERNS

__all__ = [
    "PLACEHOLDER_RE",
    "RULES",
    "pattern_problems",
    "policy_source_warnings",
    "tools_problems_cached",
    "trajectory_problems",
]

RULES = {
    "tools": "tool definitions are well formed (tools_registry.validation Stage-2 rules)",
    "format": "roles and fields are valid; system only first; assistant turns say or call something",
    "start": "the conversation opens with a user message and ends with an assistant message without calls",
    "grammar": "user/tool -> assistant; assistant with calls -> tool; assistant without calls -> user; tool never -> user",
    "answered": "every call is answered by exactly one tool message, right after it; no tool message answers nothing",
    "unknown-tool": "every call names a tool of the tool set",
    "arguments": "every call's arguments validate against the tool's schema",
    "grounded": "ID-like argument values (with digits or '@', or numbers >= 100) appear earlier in the system prompt, "
    "a user turn or a tool output",
    "placeholder": "no placeholders ('5+ more results', 'path=/example', '...', 'TODO', '[insert ...]', '{{x}}')",
    "tool-output": "tool outputs are complete JSON on success or a concise bare error (one line, <= 300 chars)",
    "one-call": "refined trajectories make at most one tool call per assistant turn",
    "patterns": "at least 3 distinct interaction patterns, each at most twice, at valid turns",
}

PLACEHOLDER_RE = re.compile(
    r"\b\d+\s*\+\s*more\b|\band \d+ more\b|\(\s*more results?\s*\)|=/?example\b|/example/|/path/to/|<placeholder>|"
    r"\[(?:insert|placeholder|your|todo)[^\]]*\]|\bTODO\b|\bTBD\b|lorem ipsum|\{\{[^}]*\}\}|\"\.\.\.\"|^\s*\.\.\.\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ID_LIKE = re.compile(r"^[^\s]{3,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$|^\d{1,2}:\d{2}$")
_TOOLS_CACHE: OrderedDict[str, list[str]] = OrderedDict()
_TOOLSET_CACHE: OrderedDict[str, ToolSet | None] = OrderedDict()


def tools_problems_cached(traj: Trajectory) -> tuple[list[str], ToolSet | None]:
    """Stage-2 tool problems and a ToolSet, cached per tool-set content hash."""
    key = content_hash([t.model_dump() for t in traj.tools])
    if key not in _TOOLS_CACHE:
        problems = [f"[tools] {p}" for p in tool_problems(traj.tools)]
        try:
            ts: ToolSet | None = ToolSet(traj.tools)
        except ToolDefinitionError as exc:
            ts = None
            problems += [f"[tools] {p}" for p in exc.problems]
        _TOOLS_CACHE[key], _TOOLSET_CACHE[key] = problems, ts
        if len(_TOOLS_CACHE) > 2048:
            _TOOLS_CACHE.popitem(last=False)
            _TOOLSET_CACHE.popitem(last=False)
    return _TOOLS_CACHE[key], _TOOLSET_CACHE[key]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def _needs_grounding(v: Any) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int) and abs(v) >= 100:
        return str(v)
    if isinstance(v, str) and _ID_LIKE.match(v) and (any(ch.isdigit() for ch in v) or "@" in v) and not _DATE.match(v):
        return v.lower()
    return None


def _is_json(text: str) -> bool:
    s = text.lstrip()
    if not s or s[0] not in "{[":
        return False
    try:
        orjson.loads(text)
        return True
    except orjson.JSONDecodeError:
        return False


def trajectory_problems(traj: Trajectory, *, refined: bool = False, check_tools: bool = True) -> list[str]:
    """Every rule problem of ``traj``; ``refined`` adds the one-call rule."""
    problems: list[str] = []
    ts: ToolSet | None = None
    if check_tools:
        tool_probs, ts = tools_problems_cached(traj)
        problems += tool_probs
    msgs = traj.messages
    if not msgs:
        return problems + ["[start] the conversation is empty"]
    context: list[str] = []
    first = 0
    if msgs[0].role == "system":
        context.append((msgs[0].content or "").lower())
        first = 1
    body = msgs[first:]
    if not body or body[0].role != "user":
        problems.append("[start] the first message after the system prompt must be a user message")
    if body and (body[-1].role != "assistant" or body[-1].tool_calls):
        problems.append("[start] the conversation must end with an assistant message without tool calls")
    pending: list[str] = []
    prev = None
    for i, m in enumerate(msgs[first:], first):
        role = m.role
        if role == "system":
            problems.append(f"[format] message #{i}: a system message after the start")
        text = m.content or ""
        placeholder = PLACEHOLDER_RE.search(text)
        if placeholder:
            problems.append(f"[placeholder] message #{i}: {placeholder.group(0)!r}")
        if prev is not None:
            if (
                prev.role in ("user", "tool")
                and role not in ("assistant",)
                and not (prev.role == "tool" and role == "tool")
            ):
                problems.append(f"[grammar] message #{i}: {prev.role} -> {role}")
            elif prev.role == "assistant" and prev.tool_calls and role != "tool":
                problems.append(f"[grammar] message #{i}: assistant with a call -> {role}")
            elif prev.role == "assistant" and not prev.tool_calls and role != "user":
                problems.append(f"[grammar] message #{i}: assistant without a call -> {role}")
        if role == "tool":
            if prev is not None and prev.role == "tool" and not pending:
                problems.append(f"[grammar] message #{i}: tool -> tool with no call left to answer")
            if m.tool_call_id in pending:
                if pending[0] != m.tool_call_id:
                    problems.append(f"[answered] message #{i}: answers {m.tool_call_id} out of order")
                pending.remove(m.tool_call_id)
            else:
                problems.append(f"[answered] message #{i}: tool message answers no open call ({m.tool_call_id})")
            if not text.strip():
                problems.append(f"[tool-output] message #{i}: empty tool output")
            elif not _is_json(text) and (len(text) > 300 or "\n" in text.strip()):
                problems.append(f"[tool-output] message #{i}: neither JSON nor a concise one-line error")
            context.append(text.lower())
        else:
            if pending:
                problems.append(f"[answered] message #{i}: calls {', '.join(pending)} were never answered")
                pending = []
            if role == "user":
                context.append(text.lower())
            elif role == "assistant":
                calls = m.tool_calls or []
                if not calls and not text.strip():
                    problems.append(f"[format] message #{i}: assistant says nothing and calls nothing")
                if refined and len(calls) > 1:
                    problems.append(f"[one-call] message #{i}: {len(calls)} tool calls in one turn")
                seen_ctx = None
                for c in calls:
                    pending.append(c.id)
                    name, args = c.function.name, c.function.arguments
                    if ts is not None or not check_tools:
                        if ts is not None:
                            try:
                                ts.check_call(name, args)
                            except ToolError as exc:
                                rule = "unknown-tool" if name not in ts else "arguments"
                                problems.append(f"[{rule}] message #{i}: {exc}")
                        elif name not in {t.name for t in traj.tools}:
                            problems.append(f"[unknown-tool] message #{i}: unknown tool '{name}'")
                    for leaf in _leaves(args):
                        if isinstance(leaf, str) and PLACEHOLDER_RE.search(leaf):
                            problems.append(f"[placeholder] message #{i}: argument value {leaf!r}")
                        needle = _needs_grounding(leaf)
                        if needle is not None:
                            if seen_ctx is None:
                                seen_ctx = "\n".join(context)
                            if needle not in seen_ctx:
                                problems.append(
                                    f"[grounded] message #{i}: {name} argument value {leaf!r} "
                                    f"appears nowhere earlier in the conversation"
                                )
        prev = m
    if pending:
        problems.append(f"[answered] calls {', '.join(pending)} were never answered")
    return problems


def pattern_problems(patterns: Any, traj: Trajectory) -> list[str]:
    """Check the teacher's pattern annotations ``[{"pattern", "turn"}]``: labels, turns, quotas, evidence."""
    if not isinstance(patterns, list):
        return ["[patterns] no pattern list"]
    body = [m for m in traj.messages if m.role != "system"]
    counts: dict[str, int] = {}
    problems: list[str] = []
    for p in patterns:
        label = p.get("pattern") if isinstance(p, dict) else p
        turn = p.get("turn") if isinstance(p, dict) else None
        if label not in PATTERNS:
            problems.append(f"[patterns] unknown pattern {label!r} (use {', '.join(PATTERNS)})")
            continue
        counts[label] = counts.get(label, 0) + 1
        if turn is not None:
            if not isinstance(turn, int) or not 0 <= turn < len(body):
                problems.append(f"[patterns] {label}: turn {turn!r} is not a message index")
            elif label == "error_recovery" and not any(
                m.role == "tool" and not _is_json(m.content or "") for m in body[max(0, turn - 3) : turn + 2]
            ):
                problems.append(f"[patterns] error_recovery at turn {turn}: no failed tool output nearby")
            elif label == "clarification" and not any(
                m.role == "assistant" and not m.tool_calls and "?" in (m.content or "")
                for m in body[max(0, turn - 1) : turn + 2]
            ):
                problems.append(f"[patterns] clarification at turn {turn}: no assistant question nearby")
    if len(counts) < 3:
        problems.append(f"[patterns] {len(counts)} distinct patterns, need at least 3")
    for label, n in counts.items():
        if n > 2:
            problems.append(f"[patterns] {label} used {n} times, at most 2")
    return problems


_QUANTITY = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?(?:\s*[x\u00d7]\s*\d+(?:[.,]\d+)?)?)\s*"
    r"(cm|mm|km|kg|g|m|%|percent|days?|hours?|minutes?|weeks?|months?|years?|"
    r"dollars?|euros?|usd|eur|gb|mb|degrees?)\b|([$\u20ac\u00a3]\s?\d+(?:[.,]\d+)?)",
    re.IGNORECASE,
)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)?", text)}


def policy_source_warnings(system: str | None, source: str) -> list[str]:
    """Quantities with units in the system prompt whose numbers the source text never states.

    Quantities are like "60x70 cm", "30 days", "$50": the paper's own example states a limit its
    source contradicts.
    Reported as warnings in ``meta.extra.warnings``: a policy may add numbers legitimately.
    """
    if not system:
        return []
    known = _numbers(source)
    out = []
    for m in _QUANTITY.finditer(system):
        q = m.group(0).strip()
        nums = _numbers(q)
        if nums and not nums <= known:
            out.append(
                f"[policy-source] the system prompt states {q!r}; the source text never gives "
                f"{', '.join(sorted(nums - known))}"
            )
    return list(dict.fromkeys(out))
