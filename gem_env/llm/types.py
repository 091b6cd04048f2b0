"""Reply and usage records shared by every backend: ``ChatReply``, ``TokenUsage``, ``Usage``.

Also the message helpers that convert tool-call arguments between dicts (inside the project) and
JSON strings (the OpenAI wire format). Backends, the cache and the scripted backend build on these.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import orjson

from tools_registry.errors import ParseError

__all__ = [
    "CallerStats",
    "ChatReply",
    "TokenUsage",
    "Usage",
    "as_response_format",
    "assistant_message",
    "normalize_messages",
    "response_schema",
]


@dataclass
class TokenUsage:
    """Token counts of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ChatReply:
    """One assistant reply.

    Attributes:
        message: Plain OpenAI assistant dict: ``role``, ``content`` (str or None), ``tool_calls``
            (``[{id, type: "function", function: {name, arguments: dict}}]``, absent when none)
            and ``reasoning_content`` when the model produced reasoning.
        finish_reason: ``stop``, ``length``, ``tool_calls``, ... as the backend reported it.
        usage: Token counts of this call.
        latency_s: Wall time of the call (of the cache lookup when ``cached``).
        cached: The reply came from the cache.
        repairs: What the parser repaired to read the reply (empty when nothing was).
    """

    message: dict[str, Any]
    finish_reason: str | None = "stop"
    usage: TokenUsage = field(default_factory=TokenUsage)
    latency_s: float = 0.0
    cached: bool = False
    repairs: list[str] = field(default_factory=list)

    @property
    def content(self) -> str | None:
        """The assistant text (without reasoning)."""
        return self.message.get("content")

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The parsed tool calls (arguments are dicts); empty when there are none."""
        return self.message.get("tool_calls") or []

    @property
    def reasoning(self) -> str | None:
        """The reasoning text, if the model produced any."""
        return self.message.get("reasoning_content")

    def json(self, schema: dict | None = None) -> Any:
        """Parse ``content`` as JSON, repairing common damage and recording it in ``repairs``.

        Args:
            schema: Optional JSON Schema the value must satisfy.

        Raises:
            ParseError: The content is not JSON even after repair, or breaks ``schema``.
        """
        from .parsing import parse_json

        value, repairs = parse_json(self.content or "", schema=schema)
        self.repairs.extend(r for r in repairs if r not in self.repairs)
        return value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the cache and recordings store)."""
        return {
            "message": self.message,
            "finish_reason": self.finish_reason,
            "usage": {"prompt_tokens": self.usage.prompt_tokens, "completion_tokens": self.usage.completion_tokens},
            "latency_s": self.latency_s,
            "repairs": list(self.repairs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, cached: bool = False) -> ChatReply:
        """Rebuild a reply from :meth:`to_dict` output."""
        usage = data.get("usage") or {}
        return cls(
            message=assistant_message(data["message"]),
            finish_reason=data.get("finish_reason", "stop"),
            usage=TokenUsage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            latency_s=float(data.get("latency_s", 0.0)),
            cached=cached,
            repairs=list(data.get("repairs") or []),
        )


def _args_to_dict(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            return arguments  # left as text; the caller's validator reports it
    return arguments


def _args_to_str(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    return orjson.dumps(arguments).decode()


def normalize_messages(messages: list[dict[str, Any]], *, arguments: str = "dict") -> list[dict[str, Any]]:
    """Copy ``messages`` with every tool call's ``arguments`` as a dict (or as a JSON string).

    Args:
        messages: OpenAI-format messages; tool-call arguments may be dicts or JSON strings.
        arguments: ``"dict"`` (chat templates, cache keys) or ``"str"`` (the OpenAI wire format).
    """
    convert = _args_to_dict if arguments == "dict" else _args_to_str
    out = []
    for m in messages:
        calls = m.get("tool_calls")
        if calls:
            m = dict(m)
            m["tool_calls"] = [
                {**c, "function": {**c["function"], "arguments": convert(c["function"].get("arguments", {}))}}
                for c in calls
            ]
        out.append(m)
    return out


def assistant_message(message: dict[str, Any] | str) -> dict[str, Any]:
    """Return a clean assistant dict (arguments as dicts, ids and types filled in).

    Raises:
        ParseError: ``message`` does not have the shape of an assistant message.
    """
    if isinstance(message, str):
        return {"role": "assistant", "content": message}
    if not isinstance(message, dict):
        raise ParseError(f"an assistant message must be a dict or text, got {type(message).__name__}")
    msg: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    calls = message.get("tool_calls")
    if calls:
        try:
            msg["tool_calls"] = [
                {
                    "id": c.get("id") or f"call_{i}",
                    "type": "function",
                    "function": {
                        "name": c["function"]["name"],
                        "arguments": _args_to_dict(c["function"].get("arguments", {})),
                    },
                }
                for i, c in enumerate(calls)
            ]
        except (KeyError, TypeError, AttributeError):
            raise ParseError(f"tool_calls do not have the shape of OpenAI tool calls: {str(calls)[:200]}") from None
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning:
        msg["reasoning_content"] = reasoning
    return msg


@dataclass
class CallerStats:
    """Counters for one named caller (a pipeline stage, a simulator, a judge, ...)."""

    calls: int = 0
    errors: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    max_latency_s: float = 0.0

    def add(self, other: CallerStats) -> None:
        """Add ``other``'s counters into this one."""
        self.calls += other.calls
        self.errors += other.errors
        self.cache_hits += other.cache_hits
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.latency_s += other.latency_s
        self.max_latency_s = max(self.max_latency_s, other.max_latency_s)


class Usage:
    """Usage accounting of one backend, per named caller; thread-safe.

    ``usage.callers["judge"].calls``, ``usage.total.prompt_tokens``, ``usage.as_dict()`` and
    ``print(usage.summary())`` (a table) read it at the end of a run.
    """

    def __init__(self) -> None:
        self.callers: dict[str, CallerStats] = {}
        self._lock = threading.Lock()

    def record(self, caller: str, reply: ChatReply | None, latency_s: float, *, error: bool = False) -> None:
        """Count one finished call (a reply, or an error when ``error``)."""
        with self._lock:
            s = self.callers.get(caller)
            if s is None:
                s = self.callers[caller] = CallerStats()
            s.calls += 1
            s.latency_s += latency_s
            s.max_latency_s = max(s.max_latency_s, latency_s)
            if error or reply is None:
                s.errors += 1
                return
            if reply.cached:
                s.cache_hits += 1
            s.prompt_tokens += reply.usage.prompt_tokens
            s.completion_tokens += reply.usage.completion_tokens

    @property
    def total(self) -> CallerStats:
        """All callers added together."""
        t = CallerStats()
        with self._lock:
            for s in self.callers.values():
                t.add(s)
        return t

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{caller: counters}`` plus a ``"total"`` row."""
        rows = {name: dict(vars(s)) for name, s in sorted(self.callers.items())}
        rows["total"] = dict(vars(self.total))
        return rows

    def summary(self) -> str:
        """A plain-text table: one row per caller and a total."""
        head = f"{'caller':<20} {'calls':>7} {'errors':>6} {'cached':>7} {'prompt_tok':>11} {'compl_tok':>10} {'mean_s':>8}"
        lines = [head, "-" * len(head)]
        for name, r in Usage.as_dict(self).items():  # the caller rows (subclasses may add more keys)
            mean = r["latency_s"] / r["calls"] if r["calls"] else 0.0
            lines.append(
                f"{name:<20} {r['calls']:>7} {r['errors']:>6} {r['cache_hits']:>7} "
                f"{r['prompt_tokens']:>11} {r['completion_tokens']:>10} {mean:>8.3f}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        t = self.total
        return (
            f"Usage(calls={t.calls}, cache_hits={t.cache_hits}, prompt_tokens={t.prompt_tokens}, "
            f"completion_tokens={t.completion_tokens}, callers={sorted(self.callers)})"
        )


def as_response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """Accept an OpenAI ``response_format`` or a bare JSON Schema (wrapped as ``json_schema``)."""
    if response_format is None or response_format.get("type") in ("json_schema", "json_object", "text"):
        return response_format
    return {
        "type": "json_schema",
        "json_schema": {"name": response_format.get("title", "response"), "schema": response_format},
    }


def response_schema(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON Schema a response format asks for (``{"type": "object"}`` for json_object), or None."""
    rf = as_response_format(response_format)
    if rf is None or rf["type"] == "text":
        return None
    if rf["type"] == "json_object":
        return {"type": "object"}
    return rf["json_schema"].get("schema", {"type": "object"})
