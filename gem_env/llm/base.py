"""The one interface every model call goes through: ``LLMBackend.chat``, with usage accounting.

Subclasses implement ``_chat``; ``chat`` adds default sampling, timing and per-caller accounting.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from tools_registry.errors import GemError

from .types import ChatReply, Usage

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["SAMPLING_KEYS", "LLMBackend"]

#: Sampling options every backend understands (others pass through where the backend allows).
SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "seed",
    "stop",
    "tool_choice",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "chat_template_kwargs",
)


class LLMBackend(ABC):
    """Abstract async chat backend.

    Attributes:
        kind: Backend kind (``openai``, ``vllm``, ``hf``, ``scripted``, ``cached``).
        model: Model name or path, as given after the ``kind:`` prefix.
        usage: Per-caller :class:`~gem_env.llm.types.Usage` accounting.
        default_sampling: Sampling options applied when a call does not set them.
    """

    kind: str = "base"

    def __init__(self, model: str, *, default_sampling: dict[str, Any] | None = None) -> None:
        self.model = model
        self.usage = Usage()
        self.default_sampling = dict(default_sampling or {})

    @property
    def name(self) -> str:
        """``kind:model``, the string that would rebuild this backend with ``make_backend``."""
        return f"{self.kind}:{self.model}"

    async def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        *,
        caller: str = "default",
        **sampling: Any,
    ) -> ChatReply:
        """Ask the model for the next assistant message.

        Args:
            messages: OpenAI-format messages; tool-call arguments may be dicts or JSON strings.
            tools: OpenAI-format tools ``{"type": "function", "function": {...}}``.
            response_format: OpenAI ``response_format``, e.g. ``{"type": "json_schema",
                "json_schema": {"name": ..., "schema": {...}}}`` or ``{"type": "json_object"}``.
            caller: Name the call is accounted under (a stage, simulator, judge, ...).
            **sampling: ``temperature``, ``top_p``, ``max_tokens``, ``seed``, ``stop``,
                ``tool_choice``, ... (see ``SAMPLING_KEYS``).

        Returns:
            The :class:`ChatReply`.

        Raises:
            BackendError: The call failed after the backend's retries (``.reason`` says why).
            ParseError: The model's text could not be parsed.
        """
        if self.default_sampling:
            sampling = {**self.default_sampling, **sampling}
        start = time.perf_counter()
        try:
            reply = await self._chat(messages, tools, response_format, sampling, caller)
        except (GemError, asyncio.CancelledError):
            self.usage.record(caller, None, time.perf_counter() - start, error=True)
            raise
        elapsed = time.perf_counter() - start
        if not reply.cached:
            reply.latency_s = elapsed
        self.usage.record(caller, reply, elapsed)
        return reply

    @abstractmethod
    async def _chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        response_format: dict[str, Any] | None,
        sampling: dict[str, Any],
        caller: str,
    ) -> ChatReply:
        """Backend-specific call; must raise only GemError subclasses."""

    def chat_sync(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ChatReply:
        """Blocking :meth:`chat` for scripts and notebooks without a running event loop.

        Each call runs its own event loop and releases loop-bound resources (connections,
        workers) before returning; use :meth:`chat` inside async code.
        """

        async def run() -> ChatReply:
            try:
                return await self.chat(messages, tools, response_format, **kwargs)
            finally:
                await self.aclose()

        return asyncio.run(run())

    async def aclose(self) -> None:
        """Release connections, engines and files (a no-op by default)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
