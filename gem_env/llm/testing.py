"""Public testing API for LLM backends: scripted replies, a loopback OpenAI server, a tiny model.

Tests use these instead of a network or a downloaded model:

- :class:`ScriptedBackend`: canned replies, a callable, or a recorded JSONL file.
- :class:`LoopbackOpenAIServer`: a real OpenAI-compatible HTTP server on 127.0.0.1 with
  injectable latency, slots and faults (also the rollout benchmarks' server).
- :func:`build_tiny_chat_model`: a tiny random Qwen3 model + BPE tokenizer + TRL's qwen3 template.
"""

from __future__ import annotations

from .loopback import (
           FAULTS,
           LoopbackOpenAIServer,
           default_responder,
           example_from_schema,
           loopback_server_process,
)
from .scripted import ScriptedBackend, record_reply, script_key
from .tiny_model import build_tiny_chat_model

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
