"""LLM backends: one async ``chat`` interface over OpenAI-compatible HTTP, vLLM, transformers, scripts.

Imports are lazy: ``import gem_env.llm`` loads neither openai, torch, transformers nor vllm.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_tiny_chat_model"]

_LAZY = {"build_tiny_chat_model": ".tiny_model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
