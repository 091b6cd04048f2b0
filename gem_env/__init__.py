"""gem_env: executable tool-use environments, LLM backends, simulators, rewards and rollouts.

``import gem_env`` is light: it registers ``gem/<domain>-v<version>`` for every discoverable
domain (reading only each ``domain.json``) and loads the rest on first use; torch, transformers,
trl, vllm, openai and ray load only where used.
"""

from __future__ import annotations

from tools_registry.lazy import lazy_exports

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

#: Public name -> module that defines it (imported on first access).
_LAZY = {
    "ToolUseEnv": ".env",
    "make_env": ".registration",
    "register_envs": ".registration",
    "rollout": ".rollout",
    "arollout": ".rollout",
    "run_episode": ".rollout",
    "arun_episode": ".rollout",
    "EpisodeRecord": ".rollout",
    "rollout_on_ray": ".ray_rollout",
    "Agent": ".agents",
    "LLMAgent": ".agents",
    "OracleAgent": ".agents",
    "RandomAgent": ".agents",
    "ToolBackend": ".tool_backends",
    "PythonToolBackend": ".tool_backends",
    "ReplayToolBackend": ".tool_backends",
    "SimulatedToolBackend": ".simulated",
    "User": ".users",
    "UserTurn": ".users",
    "ScriptedUser": ".users",
    "ReplayUser": ".users",
    "LLMUser": ".users",
    "Reward": ".rewards",
    "TaskReward": ".rewards",
    "make_backend": ".llm",
    "LLMBackend": ".llm",
    "ChatReply": ".llm",
}

__all__ = [
    "__version__",
    "ArgumentError",
    "BackendError",
    "CacheMissError",
    "ConfigError",
    "DomainError",
    "GemError",
    "ModelOutputError",
    "ParseError",
    "SimulatorError",
    "ToolDefinitionError",
    "ToolError",
    "UnknownToolError",
    *_LAZY,
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

from .registration import register_envs as _register_envs  # noqa: E402

_register_envs()
