"""JSON Schemas of each stage's reply, sent as ``response_format``.

Servers with structured outputs (vLLM, OpenAI) then constrain decoding: labels become enums, keys
required. Parsing stays strict either way: a backend that ignores the schema gets the same checks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .labels import PATTERNS, labels

__all__ = ["response_format", "stage_schema"]

_OBJ: dict[str, Any] = {"type": "object"}
_CALL = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "arguments": _OBJ},
    "required": ["name", "arguments"],
}
_MSG = {
    "type": "object",
    "properties": {
        "role": {"enum": ["user", "assistant", "tool"]},
        "content": {"type": ["string", "null"]},
        "tool_calls": {"type": "array", "items": _CALL},
        "name": {"type": "string"},
    },
    "required": ["role", "content"],
}
_PATTERN = {
    "type": "object",
    "properties": {"pattern": {"enum": list(PATTERNS)}, "turn": {"type": "integer"}},
    "required": ["pattern", "turn"],
}
_TOOL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "mutates": {"type": "boolean"},
        "inputSchema": _OBJ,
    },
    "required": ["name", "description", "mutates", "inputSchema"],
}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or list(props)}


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    lab = labels()
    tags = {
        "summary": {"type": "string"},
        "domain": {"enum": list(lab.domains)},
        "platform": {"enum": list(lab.platforms)},
        "task": {"enum": list(lab.tasks)},
    }
    conversation = {
        "system": {"type": "string"},
        "messages": {"type": "array", "items": _MSG, "minItems": 2},
        "patterns": {"type": "array", "items": _PATTERN},
    }
    workflow = _obj(
        {
            "description": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "string"}},
            "execution_graph": {"type": "string"},
            "actions": {"type": "array", "items": _CALL},
        }
    )
    env = {"state_schema": _OBJ, "initial_state": _OBJ}
    synth_tool = {
        **_TOOL,
        "properties": {
            **{k: v for k, v in _TOOL["properties"].items() if k != "inputSchema"},
            "parameters": _OBJ,
        },
        "required": ["name", "description", "mutates", "parameters"],
    }
    return {
        "select": _obj({"multi_step": {"type": "boolean"}, **tags}),
        "extract": _obj(
            {
                "workflows": {"type": "array", "items": workflow, "minItems": 1},
                "tools": {"type": "array", "items": _TOOL, "minItems": 1},
            }
        ),
        "generate": _obj(conversation),
        "refine": _obj(
            {
                "system": conversation["system"],
                "tools": {"type": "array", "items": _TOOL},
                **env,
                "messages": conversation["messages"],
                "patterns": conversation["patterns"],
            }
        ),
        "judge": {**_obj({k: {"enum": [0, 1]} for k in ("R1", "R2", "R3")}), "additionalProperties": False},
        "compile": _obj({"programs": {"type": "object", "additionalProperties": _OBJ}}),
        "synthesizer": _obj(
            {
                "format": {"const": "gem-synth/v1"},
                "tags": _obj(tags),
                "tools": {"type": "array", "items": synth_tool},
                **env,
                **conversation,
            }
        ),
    }


def stage_schema(stage: str) -> dict[str, Any] | None:
    """The JSON Schema of ``stage``'s reply, or None for a stage without one."""
    return _schemas().get(stage)


def response_format(stage: str) -> dict[str, Any]:
    """``{"type": "json_schema", ...}`` for a known stage, else ``{"type": "json_object"}``."""
    schema = stage_schema(stage)
    if schema is None:
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": f"gem_{stage}", "schema": schema}}
