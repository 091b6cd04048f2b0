"""Public testing API for LLM backends: scripted replies, a loopback OpenAI server, a tiny model.

Test doubles live here, apart from the real backends. Tests use them instead of a network or a
downloaded model:

- :class:`ScriptedBackend` (``scripted.py``): canned replies, a callable, or a recorded JSONL file;
  also what ``make_backend("scripted:...")`` builds.
- :class:`LoopbackOpenAIServer` (``loopback.py``): a real OpenAI-compatible HTTP server on
  127.0.0.1 with injectable latency, slots and faults (also the rollout benchmarks' server).
- :func:`build_tiny_chat_model` (``tiny_model.py``): a tiny random Qwen3 model + BPE tokenizer +
  TRL's qwen3 template.

Imports are lazy: naming one of them loads only its module.
"""

from __future__ import annotations

from tools_registry.lazy import lazy_exports

__all__ = [
    "FAULTS",
    "LoopbackOpenAIServer",
    "ScriptedBackend",
    "build_tiny_chat_model",
    "default_responder",
    "example_from_schema",
    "loopback_server_process",
    "record_reply",
    "script_key",
]

_LAZY = {
    "FAULTS": ".loopback",
    "LoopbackOpenAIServer": ".loopback",
    "default_responder": ".loopback",
    "example_from_schema": ".loopback",
    "loopback_server_process": ".loopback",
    "ScriptedBackend": ".scripted",
    "record_reply": ".scripted",
    "script_key": ".scripted",
    "build_tiny_chat_model": ".tiny_model",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
