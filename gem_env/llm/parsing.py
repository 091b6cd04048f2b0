"""Parse raw model text: ``<think>`` reasoning, tool calls (hermes/qwen, plain JSON), JSON content.

Damaged JSON is repaired with json-repair when the result is unambiguous (a well-formed call or
value comes out); every repair is recorded. Anything else raises ``ParseError``; nothing is
silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tools_registry.errors import ParseError
from tools_registry.limits import json_problem

__all__ = [
    "TOOL_CALL_PARSERS",
    "ParsedText",
    "loads_repairing",
    "parse_json",
    "parse_tool_calls",
    "split_reasoning",
    "assistant_from_generation",
    "json_message",
]

TOOL_CALL_PARSERS = ("hermes", "qwen", "json")

_TOOL_CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)


@dataclass
class ParsedText:
    """Raw model text split into content, reasoning and tool calls.

    Attributes:
        content: The remaining text (None when only tool calls were produced).
        reasoning: Text of the ``<think>`` block(s), if any.
        tool_calls: OpenAI tool calls, ``arguments`` as dicts.
        repairs: What was repaired, one line each.
    """

    content: str | None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def message(self) -> dict[str, Any]:
        """The OpenAI assistant dict for this text."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        if self.reasoning:
            msg["reasoning_content"] = self.reasoning
        return msg


def split_reasoning(text: str) -> tuple[str | None, str]:
    """Split leading ``<think>...</think>`` reasoning off ``text``; return ``(reasoning or None, rest)``.

    Reasoning comes first in a reply: a ``<think>`` block at the start (an unclosed one, cut off
    by ``max_tokens``, runs to the end), or text before a lone ``</think>`` (the template opened the
    block in the prompt) when no ``<tool_call>`` precedes it. Markup later in the text, e.g. inside
    tool-call arguments, is left alone.
    """
    body = text.lstrip()
    if body.startswith("<think>"):
        inner, closed, rest = body[len("<think>") :].partition("</think>")
        if not closed:
            return (inner.strip() or None), ""
    else:
        head, closed, rest = text.partition("</think>")
        if not closed or "<tool_call>" in head or "<think>" in head:
            return None, text.strip()
        inner = head
    return (inner.strip() or None), rest.strip()


def loads_repairing(text: str, what: str, repairs: list[str]) -> Any:
    """``orjson.loads`` or, failing that, json-repair with the repair appended to ``repairs``.

    Raises:
        ParseError: ``text`` does not start like JSON, or repair yields no object or array.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    import json_repair

    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        raise ParseError(f"{what} is not JSON: {text[:200]!r}")
    try:
        value, log = json_repair.repair_json(stripped, return_objects=True, logging=True)
    except Exception as exc:  # noqa: BLE001 - json-repair's own failures (deep nesting: RecursionError) are a ParseError
        raise ParseError(
            f"{what} is not JSON and could not be repaired ({type(exc).__name__}): {text[:200]!r}"
        ) from None
    if value in ("", None) or not isinstance(value, (dict, list)):
        raise ParseError(f"{what} is not JSON and could not be repaired: {text[:200]!r}")
    notes = "; ".join(sorted({entry.get("text", "") for entry in log if entry.get("text")})) or "reformatted"
    repairs.append(f"{what}: repaired JSON ({notes})")
    return value


def _call_from_obj(obj: Any, index: int, what: str, repairs: list[str]) -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
        raise ParseError(f"{what} needs an object with a 'name' string: {str(obj)[:200]}")
    if "arguments" in obj:
        args = obj["arguments"]
    elif "parameters" in obj:
        args = obj["parameters"]
    else:
        args = {}
    if isinstance(args, str):
        args = loads_repairing(args, f"{what} arguments", repairs) if args.strip() else {}
    if not isinstance(args, dict):
        raise ParseError(f"{what} arguments must be an object, got {type(args).__name__}")
    problem = json_problem(args)
    if problem is not None:
        raise ParseError(f"{what}: {problem}")
    return {"id": f"call_{index}", "type": "function", "function": {"name": obj["name"], "arguments": args}}


def _parse_hermes(text: str, repairs: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
    bodies = _TOOL_CALL.findall(text)
    rest = _TOOL_CALL.sub("", text)
    if "<tool_call>" in rest:  # the last call was cut off before </tool_call>
        rest, _, tail = rest.partition("<tool_call>")
        bodies.append(tail.replace("</tool_call>", ""))
        repairs.append("tool_call: missing </tool_call> closed")
    calls: list[dict[str, Any]] = []
    for body in bodies:
        i = len(calls)
        obj = loads_repairing(body.strip(), f"tool_call {i}", repairs)
        for item in obj if isinstance(obj, list) else [obj]:
            calls.append(_call_from_obj(item, len(calls), f"tool_call {i}", repairs))
    rest = rest.strip()
    return (rest or None), calls


def _parse_plain_json(text: str, repairs: list[str]) -> tuple[str | None, list[dict[str, Any]]]:
    body = text.strip()
    fence = _FENCE.match(body)
    if fence:
        body = fence.group(1).strip()
    if not body or body[0] not in "{[":
        return (text.strip() or None), []
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        if '"name"' not in body:  # not an attempted call: leave it as content
            return text.strip(), []
        obj = loads_repairing(body, "tool_call", repairs)
    if isinstance(obj, dict) and isinstance(obj.get("tool_calls"), list):
        obj = [c.get("function", c) if isinstance(c, dict) else c for c in obj["tool_calls"]]
    items = obj if isinstance(obj, list) else [obj]
    if not all(isinstance(o, dict) and "name" in o for o in items):
        return text.strip(), []  # JSON, but not a tool call: it is content
    return None, [_call_from_obj(o, i, f"tool_call {i}", repairs) for i, o in enumerate(items)]


def json_message(text: str) -> dict[str, Any] | None:
    """The message when ``text`` is a whole chat message written as JSON, else None.

    ``'{"role": "assistant", "tool_calls": [...]}'`` (what an agent gets by serialising its message)
    is that message; an object with ``tool_calls`` and no role counts as the assistant's. Text that
    is not one JSON object with ``role`` or ``tool_calls`` is None (left to the tool-call parser).

    Raises:
        ParseError: A JSON message of another role than the assistant's.
    """
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or ('"role"' not in body and '"tool_calls"' not in body):
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or not ("role" in value or "tool_calls" in value):
        return None
    role = value.get("role", "assistant")
    if role != "assistant":
        raise ParseError(
            f"the action is a JSON chat message with role {role!r}; an action is the assistant's "
            "message (a dict, or text with tool calls)"
        )
    return value


def parse_tool_calls(text: str, parser: str = "hermes") -> ParsedText:
    """Parse raw model text into content, reasoning and tool calls.

    Args:
        text: Generated text (special tokens already removed, markup tokens kept).
        parser: ``"hermes"``/``"qwen"`` (``<tool_call>{json}</tool_call>`` blocks) or ``"json"``
            (the whole reply is ``{"name", "arguments"}``, a list of them, or ``{"tool_calls": [...]}``).

    Returns:
        A :class:`ParsedText`; ``.message`` is the OpenAI assistant dict.

    Raises:
        ParseError: A tool call is present but unreadable even after repair.
        ConfigError: ``parser`` is unknown.
    """
    if parser not in TOOL_CALL_PARSERS:
        from tools_registry.errors import ConfigError

        raise ConfigError(f"unknown tool-call parser {parser!r}; known: {', '.join(TOOL_CALL_PARSERS)}")
    reasoning, rest = split_reasoning(text)
    repairs: list[str] = []
    if parser in ("hermes", "qwen"):
        content, calls = _parse_hermes(rest, repairs)
    else:
        content, calls = _parse_plain_json(rest, repairs)
    return ParsedText(content=content, reasoning=reasoning, tool_calls=calls, repairs=repairs)


def parse_json(text: str, schema: dict | None = None) -> tuple[Any, list[str]]:
    """Parse ``text`` as one JSON value; return ``(value, repairs)``.

    Strips ``<think>`` blocks and Markdown code fences; takes the outermost ``{...}``/``[...]``
    span when prose surrounds it; repairs damage with json-repair (recorded).

    Raises:
        ParseError: No JSON value can be read, or the value breaks ``schema``.
    """
    _, body = split_reasoning(text)
    repairs: list[str] = []
    fence = _FENCE.match(body)
    if fence:
        body = fence.group(1).strip()
        repairs.append("json: removed Markdown code fence")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
        if not starts:
            raise ParseError(f"reply is not JSON: {text[:200]!r}") from None
        start = min(starts)
        end = body.rfind("}" if body[start] == "{" else "]")
        span = body[start : end + 1] if end > start else body[start:]
        if start > 0 or end + 1 < len(body):
            repairs.append("json: removed text around the JSON value")
        value = loads_repairing(span, "json", repairs)
    if schema is not None:
        import jsonschema

        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))
        if errors:
            where = "/".join(map(str, errors[0].path)) or "(root)"
            raise ParseError(f"JSON breaks the schema at {where}: {errors[0].message}")
    return value, repairs


def assistant_from_generation(
    text: str, *, forced_call: bool, parse_calls: bool, parser: str = "hermes"
) -> tuple[dict[str, Any], list[str]]:
    """The assistant message a local engine's generated text stands for, and the repairs made.

    ``forced_call``: the prompt already opened ``<tool_call>`` (a forced call), so the text is its
    body; ``parse_calls``: tools were offered, so calls are parsed; otherwise only a leading
    ``<think>`` block is split off into ``reasoning_content``.
    """
    if forced_call:
        text = "<tool_call>\n" + text.split("</tool_call>")[0] + "\n</tool_call>"
    if parse_calls:
        parsed = parse_tool_calls(text, parser)
        return parsed.message, parsed.repairs
    reasoning, content = split_reasoning(text)
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning:
        msg["reasoning_content"] = reasoning
    return msg, []
