"""In-process vLLM backend (optional extra ``gem-env[vllm]``, GPU).

``AsyncLLM`` with the model's chat template, hermes tool-call parsing and structured outputs
(``StructuredOutputsParams``).

vllm is imported lazily, on first use; without it a ``ConfigError`` says how to install it.
Continuous batching is vLLM's own: every concurrent ``chat`` is one engine request.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from typing import Any

from tools_registry.errors import BackendError, ConfigError

from .base import LLMBackend
from .constrained import render_prompt
from .parsing import assistant_from_generation
from .types import ChatReply, TokenUsage

__all__ = ["VLLMBackend"]

_SAMPLING = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "seed",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
)


def _import_vllm() -> tuple[Any, Any, Any, Any, Any]:
    try:
        from vllm import SamplingParams
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams
        from vllm.v1.engine.async_llm import AsyncLLM
    except ImportError as exc:
        raise ConfigError(
            "the vllm backend needs vLLM >= 0.12 (pip install 'gem-env[vllm]', on a GPU machine); "
            "or serve the model with `vllm serve` and use an openai: model string"
        ) from exc
    return AsyncLLM, AsyncEngineArgs, SamplingParams, StructuredOutputsParams, RequestOutputKind


class VLLMBackend(LLMBackend):
    """Generate with an in-process vLLM engine.

    Args:
        model: Hub id or local path.
        max_tokens: Default token budget (vLLM's own default is 16, so it is always set).
        parser: Tool-call parser for the generated text.
        engine_args: Extra ``AsyncEngineArgs`` (``gpu_memory_utilization``, ``max_model_len``,
            ``tensor_parallel_size``, ``dtype``, ...).
        default_sampling: Sampling applied when a call does not set it.
    """

    kind = "vllm"

    def __init__(
        self,
        model: str,
        *,
        max_tokens: int = 1024,
        parser: str = "hermes",
        engine_args: dict[str, Any] | None = None,
        default_sampling: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, default_sampling=default_sampling)
        self.max_tokens = max_tokens
        self.parser = parser
        self.engine_args = dict(engine_args or {})
        self.engine: Any = None
        self.tokenizer: Any = None
        self._ids = itertools.count()
        self._start_lock: asyncio.Lock | None = None
        _import_vllm()  # fail early, with the install hint, when vllm is missing

    async def _start(self) -> None:
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self.engine is not None:
                return
            AsyncLLM, AsyncEngineArgs, *_ = _import_vllm()
            try:
                self.engine = AsyncLLM.from_engine_args(AsyncEngineArgs(model=self.model, **self.engine_args))
                tokenizer = self.engine.get_tokenizer()  # a coroutine in older vLLM, a plain call since ~0.11
                self.tokenizer = await tokenizer if inspect.isawaitable(tokenizer) else tokenizer
            except (ValueError, OSError, RuntimeError) as exc:
                raise ConfigError(f"cannot start vLLM engine for {self.model!r}: {exc}") from exc

    def _params(self, sampling: dict[str, Any], schema: dict[str, Any] | None) -> Any:
        _, _, SamplingParams, StructuredOutputsParams, RequestOutputKind = _import_vllm()
        kw = {k: sampling[k] for k in _SAMPLING if sampling.get(k) is not None}
        unknown = set(sampling) - set(_SAMPLING) - {"max_tokens", "tool_choice", "chat_template_kwargs"}
        if unknown:
            raise ConfigError(f"vllm backend does not support sampling options {sorted(unknown)}")
        kw.setdefault("temperature", 0.0)
        if schema is not None:
            kw["structured_outputs"] = StructuredOutputsParams(json=schema)
        return SamplingParams(
            max_tokens=int(sampling.get("max_tokens") or self.max_tokens),
            output_kind=RequestOutputKind.FINAL_ONLY,
            **kw,
        )

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        await self._start()
        choice = sampling.get("tool_choice")
        prompt, tools, schema, forced = render_prompt(
            self.tokenizer, self.model, messages, tools, choice, response_format, sampling.get("chat_template_kwargs")
        )
        params = self._params(sampling, schema)
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        final = None
        try:
            async for out in self.engine.generate({"prompt_token_ids": ids}, params, f"gem-{next(self._ids)}"):
                final = out
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # vLLM engine errors (EngineGenerateError, EngineDeadError, ...)
            raise BackendError(
                f"{self.name}: generation failed: {type(exc).__name__}: {exc}", reason="generation_error"
            ) from exc
        if final is None or not final.outputs:
            raise BackendError(f"{self.name}: engine returned no output", reason="bad_response")
        gen = final.outputs[0]
        text = gen.text
        msg, repairs = assistant_from_generation(text, forced_call=forced, parse_calls=bool(tools), parser=self.parser)
        finish = gen.finish_reason or "stop"
        if msg.get("tool_calls") and finish == "stop":
            finish = "tool_calls"
        usage = TokenUsage(len(final.prompt_token_ids or ids), len(gen.token_ids))
        return ChatReply(message=msg, finish_reason=finish, usage=usage, repairs=repairs)

    async def aclose(self) -> None:
        """Shut the engine down."""
        if self.engine is not None:
            self.engine.shutdown()
            self.engine = None
