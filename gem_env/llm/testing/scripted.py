"""``ScriptedBackend``: canned replies, a callable, or a recorded JSONL file, in place of a model.

Part of the public testing API (``gem_env.llm.testing``): tests and offline demos use it instead
of a network. Every request is kept in ``.calls`` for assertions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError, GemError

from ..base import LLMBackend
from ..cache import request_key
from ..parsing import parse_tool_calls
from ..types import ChatReply, TokenUsage, assistant_message

__all__ = ["ScriptedBackend", "record_reply", "script_key"]

Reply = "str | dict | ChatReply | Exception"


def script_key(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    response_format: dict[str, Any] | None = None,
) -> str:
    """The key of a request in a recorded replies file (messages, tools and response format)."""
    return request_key("scripted", "", messages, tools, response_format, {})


def record_reply(
    path: str | Path,
    messages: list[dict[str, Any]],
    reply: str | dict | ChatReply,
    tools: list[dict[str, Any]] | None = None,
    response_format: dict[str, Any] | None = None,
) -> None:
    """Append one ``{"key", "reply"}`` line to a recorded replies file."""
    if isinstance(reply, ChatReply):
        reply = reply.to_dict()
    elif isinstance(reply, str):
        reply = {"message": {"role": "assistant", "content": reply}}
    elif "message" not in reply:
        reply = {"message": reply}
    line = {"key": script_key(messages, tools, response_format), "reply": reply}
    with open(path, "ab") as f:
        f.write(orjson.dumps(line) + b"\n")


def _count_tokens(text: str | None) -> int:
    return len(text.split()) if text else 0


class ScriptedBackend(LLMBackend):
    """A backend whose replies are scripted.

    Args:
        replies: One of
            - a list of replies, served in order (str: raw model text, parsed with ``parser``
              so ``<think>`` and ``<tool_call>`` work; dict: an assistant message or a
              ``ChatReply.to_dict()``; ``ChatReply``; an exception instance: raised);
            - a callable ``(messages, tools, response_format, sampling) -> reply`` (may be async);
            - a path to a JSONL file of ``{"key", "reply"}`` lines (see :func:`record_reply`).
        model: Name reported as the model.
        parser: Tool-call parser for string replies.
        default_sampling: Sampling options applied when a call does not set them (as every backend).

    Raises (from ``chat``):
        ConfigError: The list ran out, or the recorded file has no reply for a request.
    """

    kind = "scripted"

    def __init__(
        self,
        replies: Iterable[Any] | Callable[..., Any] | str | Path = (),
        *,
        model: str = "scripted",
        parser: str = "hermes",
        default_sampling: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, default_sampling=default_sampling)
        self.parser = parser
        self.calls: list[dict[str, Any]] = []
        self._fn: Callable[..., Any] | None = None
        self._recorded: dict[str, Any] | None = None
        self._queue: list[Any] = []
        self._served = 0
        if callable(replies):
            self._fn = replies
        elif isinstance(replies, (str, Path)):
            path = Path(replies)
            if not path.is_file():
                raise ConfigError(f"recorded replies file {path} does not exist")
            self._recorded = {}
            for n, line in enumerate(path.read_bytes().splitlines(), 1):
                if line.strip():
                    try:
                        row = orjson.loads(line)
                        self._recorded[row["key"]] = row["reply"]
                    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                        raise ConfigError(f"{path}:{n}: not a {{key, reply}} line ({exc})") from exc
        else:
            self._queue = list(replies)

    @property
    def remaining(self) -> int | None:
        """Replies left in a list script (None for a callable or a file)."""
        return len(self._queue) - self._served if self._fn is None and self._recorded is None else None

    def add(self, *replies: Any) -> None:
        """Append replies to a list script."""
        self._queue.extend(replies)

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        self.calls.append(
            {
                "messages": messages,
                "tools": tools,
                "response_format": response_format,
                "sampling": dict(sampling),
                "caller": caller,
            }
        )
        if self._fn is not None:
            raw = self._fn(messages, tools, response_format, sampling)
            if inspect.isawaitable(raw):
                raw = await raw
        elif self._recorded is not None:
            key = script_key(messages, tools, response_format)
            if key not in self._recorded:
                raise ConfigError(
                    f"recorded replies have no entry for request {key[:16]} "
                    f"(last message: {str(messages[-1].get('content'))[:80]!r})"
                )
            raw = self._recorded[key]
        else:
            if self._served >= len(self._queue):
                raise ConfigError(
                    f"ScriptedBackend ran out of replies after {self._served} "
                    f"(call {self._served + 1}, caller {caller!r}); add more replies to the script"
                )
            raw = self._queue[self._served]
            self._served += 1
        return self._to_reply(raw, messages)

    def _to_reply(self, raw: Any, messages: list[dict[str, Any]]) -> ChatReply:
        if isinstance(raw, BaseException):
            if isinstance(raw, GemError):
                raise raw
            raise ConfigError(f"scripted reply is a non-project exception: {raw!r}")
        if isinstance(raw, ChatReply):
            return ChatReply.from_dict(raw.to_dict())
        prompt = sum(_count_tokens(m.get("content") if isinstance(m.get("content"), str) else None) for m in messages)
        if isinstance(raw, str):
            parsed = parse_tool_calls(raw, self.parser)
            msg, repairs = parsed.message, parsed.repairs
            completion = _count_tokens(raw)
        elif isinstance(raw, dict) and "message" in raw:
            reply = ChatReply.from_dict(raw)
            if not reply.usage.prompt_tokens:
                reply.usage.prompt_tokens = prompt
            return reply
        elif isinstance(raw, dict):
            msg, repairs = assistant_message(raw), []
            completion = _count_tokens(msg.get("content")) + 8 * len(msg.get("tool_calls") or [])
        else:
            raise ConfigError(f"scripted reply must be str, dict, ChatReply or exception, not {type(raw).__name__}")
        finish = "tool_calls" if msg.get("tool_calls") else "stop"
        return ChatReply(message=msg, finish_reason=finish, usage=TokenUsage(prompt, completion), repairs=repairs)
