"""Request bodies for the OpenAI wire format, with each message encoded once.

A rollout sends an episode's whole conversation every turn. :class:`BodyEncoder` keeps the JSON
bytes of every message (and tool list) it has encoded, keyed by the object, and joins cached
pieces into the body, so a turn encodes only its new messages. Messages are treated as
immutable once sent (the env's are); a message whose ``content`` or ``tool_calls`` was replaced
by a new object since it was encoded is encoded again.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["BodyEncoder"]


def _wire(m: dict[str, Any]) -> dict[str, Any]:
    """The message with tool-call arguments as JSON strings (the OpenAI wire format)."""
    calls = m.get("tool_calls")
    if not calls or all(isinstance(c["function"].get("arguments"), str) for c in calls):
        return m
    out = dict(m)
    out["tool_calls"] = [
        c
        if isinstance(c["function"].get("arguments"), str)
        else {
            **c,
            "function": {**c["function"], "arguments": orjson.dumps(c["function"].get("arguments", {})).decode()},
        }
        for c in calls
    ]
    return out


class BodyEncoder:
    """Encode chat-completion bodies, reusing each message's and tool list's bytes.

    Args:
        max_entries: Encoded objects remembered (oldest forgotten first).
    """

    def __init__(self, max_entries: int = 1 << 16) -> None:
        self.max_entries = max_entries
        self._cache: dict[int, tuple[Any, Any, Any, bytes]] = {}
        self.hits = self.misses = 0

    def _piece(self, obj: Any, encode: Any) -> bytes:
        key = id(obj)
        hit = self._cache.get(key)
        if isinstance(obj, dict):
            content, calls = obj.get("content"), obj.get("tool_calls")
        else:
            content = calls = None
        if hit is not None and hit[0] is obj and hit[1] is content and hit[2] is calls:
            self.hits += 1
            return hit[3]
        self.misses += 1
        data = encode(obj)
        cache = self._cache
        if len(cache) >= self.max_entries:
            for old in list(cache)[: self.max_entries // 4]:  # forget the oldest quarter at once
                del cache[old]
        cache[key] = (obj, content, calls, data)  # holds obj: its id cannot be reused while cached
        return data

    def body(
        self,
        head: dict[str, Any],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        tail: dict[str, Any],
    ) -> bytes:
        """``{**head, "messages": [...], "tools": [...], **tail}`` as JSON bytes.

        Args:
            head: Fields before the messages (``model``).
            messages: OpenAI-format messages (arguments as dicts or JSON strings).
            tools: OpenAI tools, or None to leave the field out.
            tail: Fields after them (sampling, ``response_format``); keys must not repeat ``head``'s.
        """
        enc = lambda m: orjson.dumps(_wire(m))
        parts = [orjson.dumps(head)[:-1], b',"messages":[', b",".join([self._piece(m, enc) for m in messages]), b"]"]
        if tools:
            parts += [b',"tools":', self._piece(tools, orjson.dumps)]
        if tail:
            parts += [b",", orjson.dumps(tail)[1:]]
        else:
            parts.append(b"}")
        return b"".join(parts)
