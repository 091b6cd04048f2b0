"""gem_env: executable tool-use environments, LLM backends, simulators, rewards and rollouts.

``import gem_env`` is light: torch, transformers, trl, vllm and ray load only where used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: F401
    ArgumentError,
    BackendError,
    CacheMissError,
    ConfigError,
    DomainError,
    GemError,
    ModelOutputError,
    ParseError,
    SimulatorError,
    ToolDefinitionError,
    ToolError,
    UnknownToolError,
)

__all__ = [
    "__version__",
    "ArgumentError", "BackendError", "CacheMissError", "ConfigError", "DomainError", "GemError",
    "ModelOutputError", "ParseError", "SimulatorError", "ToolDefinitionError", "ToolError",
    "UnknownToolError",
]
