"""``make_backend``: a model string (``openai:``, ``vllm:``, ``hf:``, ``scripted:``) picks the backend.

Cache options wrap the result in a ``CachedBackend``; every other option goes to the backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .base import LLMBackend

__all__ = ["BACKEND_KINDS", "make_backend"]

BACKEND_KINDS = ("openai", "vllm", "hf", "scripted")


def make_backend(
    model: str,
    *,
    cache: str | Path | None = None,
    cache_mode: str = "rw",
    cache_path: str | Path | None = None,
    **options: Any,
) -> LLMBackend:
    """Build the backend a model string names.

    Args:
        model: ``openai:<model>`` (with ``base_url``), ``vllm:<model or path>`` (in-process
            engine, optional extra), ``hf:<model id or path>`` (transformers) or
            ``scripted:`` (``replies=`` a list, a callable or a recorded JSONL path).
        cache: SQLite file for the reply cache (None: no cache).
        cache_path: Alias of ``cache`` (give one of them).
        cache_mode: ``"rw"``, ``"replay"`` or ``"off"``.
        **options: Backend options, e.g. ``base_url`` (for ``openai:``, a list of several URLs
            builds an :class:`~gem_env.llm.pool.EndpointPool`), ``api_key``, ``concurrency``,
            ``timeout``, ``max_retries``, ``default_sampling`` (see each backend's class).

    Raises:
        ConfigError: Unknown prefix, unknown option, or a missing optional dependency.
    """
    if cache_path is not None:
        if cache is not None and Path(cache) != Path(cache_path):
            raise ConfigError("give either cache or cache_path, not both")
        cache = cache_path
    kind, sep, name = model.partition(":")
    if not sep or kind not in BACKEND_KINDS:
        raise ConfigError(f"model string {model!r} must start with one of {', '.join(k + ':' for k in BACKEND_KINDS)}")
    if kind != "scripted" and not name:
        raise ConfigError(f"model string {model!r} names no model after {kind!r}")
    cls: type[Any]
    if kind == "openai":
        from .openai_backend import OpenAIBackend as cls

        urls = options.pop("base_urls", None) or options.get("base_url")
        if isinstance(urls, (list, tuple)):  # several endpoints: a pool (gem_env.llm.pool)
            options.pop("base_url", None)
            if len(urls) > 1 or "routing" in options:
                from .pool import EndpointPool as cls

                options["base_urls"] = list(urls)
            else:
                options["base_url"] = urls[0] if urls else None
    elif kind == "vllm":
        from .vllm_backend import VLLMBackend as cls
    elif kind == "hf":
        from .hf_backend import HFBackend as cls
    else:
        from .testing.scripted import ScriptedBackend

        cls, name = ScriptedBackend, name or "scripted"
        options = {"replies": options.pop("replies", ()), "model": name, **options}
    try:
        backend = cls(**options) if kind == "scripted" else cls(name, **options)
    except TypeError as exc:
        raise ConfigError(f"bad options for {kind} backend: {exc}") from exc
    return _wrap(backend, cache, cache_mode)


def _wrap(backend: LLMBackend, cache: str | Path | None, cache_mode: str) -> LLMBackend:
    if cache is None or cache_mode == "off":
        if cache_mode == "replay":
            raise ConfigError("cache_mode='replay' needs a cache path")
        return backend
    from .cache import CachedBackend

    return CachedBackend(backend, cache, mode=cache_mode)
