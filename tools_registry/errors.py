"""The project's error hierarchy, shared by every package (tools_registry is the bottom layer).

    GemError                      base of everything this project raises on purpose
    ├── ConfigError               a mistake in configuration or user input: paths, names, options, files
    │   ├── DomainError           a domain folder on disk is malformed (domain.json, tasks.jsonl, tools.py)
    │   └── ToolDefinitionError   a tool definition breaks the schema rules; ``.problems`` lists all of them
    ├── ToolError                 a tool call failed; the message is shown to the agent as a tool message
    │   ├── UnknownToolError      the call names a tool that is not in the tool set
    │   └── ArgumentError         the arguments do not validate against the tool's schema
    ├── ModelOutputError          a model's reply could not be used (unparseable, wrong labels, ...)
    │   └── ParseError            text that should hold JSON or a tool call does not, even after repair
    ├── SimulatorError            an LLM-simulated tool or user gave an unusable reply after its retries
    └── BackendError              an LLM backend failed after its retries; ``.reason`` says why
        └── CacheMissError        replay-only cache mode and the request was never recorded

Third-party exceptions (openai, httpx, jsonschema, pydantic) are translated into these at one
boundary each, so callers only ever catch GemError subclasses.
"""

from __future__ import annotations

__all__ = [
    "GemError",
    "ConfigError",
    "DomainError",
    "ToolDefinitionError",
    "ToolError",
    "UnknownToolError",
    "ArgumentError",
    "ModelOutputError",
    "ParseError",
    "SimulatorError",
    "BackendError",
    "CacheMissError",
]


class GemError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(GemError, ValueError):
    """A mistake in configuration or user input (a path, a name, an option, a file)."""


class DomainError(ConfigError):
    """A domain folder on disk is malformed."""


class ToolDefinitionError(ConfigError):
    """One or more tool definitions break the rules; ``problems`` lists every one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) if self.problems else "invalid tool definition")


class ToolError(GemError):
    """A tool call failed. The message is what the agent sees."""


class UnknownToolError(ToolError):
    """The call names a tool that is not in the tool set."""


class ArgumentError(ToolError):
    """The call's arguments do not validate against the tool's parameters schema."""


class ModelOutputError(GemError):
    """A model's reply could not be used."""


class ParseError(ModelOutputError):
    """Text that should hold JSON or a tool call does not, even after repair."""


class SimulatorError(GemError):
    """An LLM-simulated tool or user gave an unusable reply after its retries."""


class BackendError(GemError):
    """An LLM backend failed after exhausting its retries."""

    def __init__(self, message: str, *, reason: str = "error", status: int | None = None, attempts: int = 1):
        self.reason = reason
        self.status = status
        self.attempts = attempts
        super().__init__(message)


class CacheMissError(BackendError):
    """The cache is in replay-only mode and this request was never recorded."""

    def __init__(self, message: str):
        super().__init__(message, reason="cache_miss", attempts=0)
