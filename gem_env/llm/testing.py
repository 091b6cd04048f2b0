"""Public testing API for LLM backends: scripted replies, a loopback OpenAI server, a tiny model.

Tests use these instead of a network or a downloaded model.
"""

from __future__ import annotations

from .tiny_model import build_tiny_chat_model

__all__ = ["build_tiny_chat_model"]
