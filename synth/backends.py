"""Backends of a run from model strings: one per distinct string, in the reply cache, ``fake`` included.

The CLI and each Ray worker (``distributed.py``) call ``open_backends``: workers get model strings,
not backends, and build their own here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

__all__ = ["FAKE_MODELS", "fake_delay", "open_backends"]

FAKE_MODELS = ("fake", "scripted:fake-teacher")


def open_backends(
    models: dict[str, str | None],
    cache: Path | None,
    cache_mode: str = "rw",
    base_url: str | None = None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """``{role: backend}`` from model strings; equal strings share one backend (and its batching).

    ``fake`` is the rule-based FakeTeacher of ``synth.testing`` (offline plumbing demos); ``fake:SECONDS``
    adds that much latency per call (benchmarks). Model strings, not backends, are what Ray workers get.
    """
    from gem_env.llm import make_backend
    from gem_env.llm.cache import CachedBackend

    built: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for role, model in models.items():
        if not model:
            continue
        if model not in built:
            sampling = {"max_tokens": max_tokens} if max_tokens else {}
            delay = fake_delay(model)
            if delay is not None:
                from .testing import fake_backend

                b = fake_backend(delay)
                built[model] = CachedBackend(b, cache, cache_mode) if cache and cache_mode != "off" else b
            else:
                opts: dict[str, Any] = {"default_sampling": sampling} if sampling else {}
                if base_url and model.startswith("openai:"):
                    opts["base_url"] = base_url
                built[model] = make_backend(model, cache=cache, cache_mode=cache_mode, **opts)
        out[role] = built[model]
    return out


def fake_delay(model: str) -> float | None:
    """The per-call delay of a ``fake`` / ``fake:SECONDS`` model string; None for any other model."""
    if model in FAKE_MODELS:
        return 0.0
    head, _, tail = model.partition(":")
    if head != "fake":
        return None
    try:
        return float(tail)
    except ValueError:
        raise ConfigError(f"model {model!r}: use fake or fake:SECONDS (per-call delay)") from None
