"""JSON-schema constrained decoding for transformers ``generate`` with xgrammar logits processors.

``GrammarFactory`` compiles (and caches) schemas for one tokenizer; ``GrammarLogitsProcessor``
masks each batch row with its own grammar (None rows are free), so constrained and free requests
share a batch. A finished row may only emit the stop/pad tokens.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from tools_registry.errors import ConfigError

__all__ = ["GrammarFactory", "GrammarLogitsProcessor", "tool_call_schema", "render_prompt"]


def tool_call_schema(tools: list[dict[str, Any]], name: str | None = None) -> dict[str, Any]:
    """Schema of one ``{"name", "arguments"}`` call to ``name`` (or to any of ``tools``)."""
    options = []
    for t in tools:
        fn = t["function"]
        if name is None or fn["name"] == name:
            options.append(
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": fn["name"]},
                        "arguments": fn.get("parameters") or {"type": "object", "properties": {}},
                    },
                    "required": ["name", "arguments"],
                    "additionalProperties": False,
                }
            )
    if not options:
        raise ConfigError(f"tool_choice names {name!r}, which is not among the tools")
    return options[0] if len(options) == 1 else {"anyOf": options}


class GrammarFactory:
    """Compile JSON schemas to xgrammar grammars for one tokenizer/vocabulary; cached by schema."""

    def __init__(self, tokenizer: Any, vocab_size: int, stop_token_ids: list[int]) -> None:
        try:
            import xgrammar as xgr
        except ImportError as exc:
            raise ConfigError("constrained decoding needs xgrammar (pip install 'gem-env[hf]')") from exc
        self._xgr = xgr
        self.info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids)
        self.compiler = xgr.GrammarCompiler(self.info, max_threads=2)
        self.vocab_size = vocab_size
        self._cache: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def json_schema(self, schema: dict[str, Any]) -> Any:
        """The compiled grammar for ``schema`` (compact JSON, no free whitespace)."""
        key = orjson.dumps(schema)  # property order is kept: it is the order the model writes keys in
        with self._lock:
            grammar = self._cache.get(key)
            if grammar is None:
                try:
                    grammar = self.compiler.compile_json_schema(key.decode(), any_whitespace=False, strict_mode=True)
                except (RuntimeError, ValueError) as exc:
                    raise ConfigError(f"xgrammar cannot compile the JSON schema: {exc}") from exc
                self._cache[key] = grammar
            return grammar

    def processor(self, grammars: list[Any | None], fill_token_id: int) -> GrammarLogitsProcessor:
        """A fresh processor for one ``generate`` call (one grammar or None per row)."""
        return GrammarLogitsProcessor(self._xgr, grammars, self.vocab_size, fill_token_id)


class GrammarLogitsProcessor:
    """A transformers logits processor applying one xgrammar grammar per batch row (None: free)."""

    def __init__(self, xgr: Any, grammars: list[Any | None], vocab_size: int, fill_token_id: int) -> None:
        import torch

        self._xgr = xgr
        self._torch = torch
        self.matchers = [xgr.GrammarMatcher(g) if g is not None else None for g in grammars]
        self.rows = [i for i, m in enumerate(self.matchers) if m is not None]
        self.vocab_size = vocab_size
        self.fill_token_id = fill_token_id
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), vocab_size) if self.rows else None
        self._started = False
        self.rejected = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Mask the scores of the constrained rows to the tokens their grammars allow."""
        if not self.rows:
            return scores
        if self._started:
            for i in self.rows:
                m = self.matchers[i]
                assert m is not None  # rows holds only the rows with a grammar
                if not m.is_terminated() and not m.accept_token(int(input_ids[i, -1])):
                    self.rejected += 1  # cannot happen with the mask applied; counted, never hidden
        self._started = True
        live = []
        for i in self.rows:
            m = self.matchers[i]
            assert m is not None  # rows holds only the rows with a grammar
            if m.is_terminated():
                row = self._torch.full_like(scores[i], float("-inf"))
                row[self.fill_token_id] = 0.0
                scores[i] = row
            else:
                m.fill_next_token_bitmask(self.bitmask, i)
                live.append(i)
        if live:
            assert self.bitmask is not None  # allocated whenever rows is non-empty
            device = scores.device
            masked = scores if device.type in ("cpu", "cuda") else scores.to("cpu")
            self._xgr.apply_token_bitmask_inplace(
                masked, self.bitmask.to(masked.device), indices=live, vocab_size=min(self.vocab_size, masked.shape[-1])
            )
            scores = masked.to(device)
        return scores


def render_prompt(
    tokenizer: Any,
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    choice: Any,
    response_format: dict[str, Any] | None,
    template_kwargs: dict[str, Any] | None = None,
) -> tuple[str, list[dict[str, Any]] | None, dict[str, Any] | None, bool]:
    """Render the chat template for a local engine and decide what decoding must follow.

    Returns ``(prompt, tools, schema, forced)``: ``tools`` is None under ``tool_choice="none"``;
    ``schema`` is the JSON Schema to constrain decoding to (a forced tool call's, or the
    ``response_format``'s), and ``forced`` says the prompt already opens a ``<tool_call>``.
    """
    from .types import normalize_messages, response_schema

    if tools and choice == "none":
        tools = None
    try:
        prompt = tokenizer.apply_chat_template(
            normalize_messages(messages),
            tools=tools or None,
            add_generation_prompt=True,
            tokenize=False,
            **(template_kwargs or {}),
        )
    except Exception as exc:  # jinja errors from the model's template (the one boundary)
        raise ConfigError(f"chat template of {model!r} failed: {type(exc).__name__}: {exc}") from exc
    if tools and (choice == "required" or isinstance(choice, dict)):
        name = choice["function"]["name"] if isinstance(choice, dict) else None
        return prompt + "<tool_call>\n", tools, tool_call_schema(tools, name), True
    if response_format is not None:
        return prompt, tools, response_schema(response_format), False
    return prompt, tools, None, False
