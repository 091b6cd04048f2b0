"""LLM backends: one async ``chat`` interface over OpenAI-compatible HTTP, vLLM, transformers, scripts.

``make_backend("openai:<model>", base_url=...)`` (or ``vllm:``, ``hf:``, ``scripted:``) returns an
:class:`LLMBackend`; ``await backend.chat(messages, tools, response_format, caller=..., **sampling)``
returns a :class:`ChatReply`; ``backend.usage.summary()`` reports calls, tokens and cache hits per
caller. Imports are lazy: ``import gem_env.llm`` loads neither openai, torch, transformers nor vllm.
"""

from __future__ import annotations

from tools_registry.lazy import lazy_exports

__all__ = [
    "BACKEND_KINDS",
    "CachedBackend",
    "CallerStats",
    "ChatReply",
    "EndpointPool",
    "HFBackend",
    "LLMBackend",
    "OpenAIBackend",
    "ParsedText",
    "ScriptedBackend",
    "TokenUsage",
    "Usage",
    "VLLMBackend",
    "build_tiny_chat_model",
    "episode_affinity",
    "make_backend",
    "normalize_messages",
    "parse_json",
    "parse_tool_calls",
    "request_key",
    "split_reasoning",
]

_LAZY = {
    "LLMBackend": ".base",
    "ChatReply": ".types",
    "TokenUsage": ".types",
    "Usage": ".types",
    "CallerStats": ".types",
    "normalize_messages": ".types",
    "make_backend": ".factory",
    "BACKEND_KINDS": ".factory",
    "ScriptedBackend": ".testing.scripted",
    "CachedBackend": ".cache",
    "request_key": ".cache",
    "OpenAIBackend": ".openai_backend",
    "HFBackend": ".hf_backend",
    "VLLMBackend": ".vllm_backend",
    "parse_tool_calls": ".parsing",
    "parse_json": ".parsing",
    "split_reasoning": ".parsing",
    "ParsedText": ".parsing",
    "build_tiny_chat_model": ".testing.tiny_model",
    "EndpointPool": ".pool",
    "episode_affinity": ".pool",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
