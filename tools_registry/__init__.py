"""tools_registry: what a tool is (specs, validation, conversion), domains on disk, Python-backed tools.

The bottom layer of gem-env: imports neither gem_env, synth nor trainers.
"""

from __future__ import annotations

from .errors import (
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
from .pytools import Toolkit, require, spec_from_callable, tool
from .records import (
    Criteria,
    Domain,
    FunctionCall,
    GoldAction,
    Message,
    Provenance,
    Task,
    ToolCall,
    Trajectory,
    TrajectoryMeta,
    TrajectoryStats,
    UserScenario,
)
from .specs import ToolSpec

__all__ = [
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
    "Toolkit",
    "require",
    "spec_from_callable",
    "tool",
    "Criteria",
    "Domain",
    "FunctionCall",
    "GoldAction",
    "Message",
    "Provenance",
    "Task",
    "ToolCall",
    "Trajectory",
    "TrajectoryMeta",
    "TrajectoryStats",
    "UserScenario",
    "ToolSpec",
]
