"""ToolSpec: what a tool is, and its conversion to and from OpenAI, MCP and BFCL formats.

Validation of definitions and of call arguments lives in ``validation.py``; Python callables
become ToolSpecs in ``pytools.py``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import ToolDefinitionError

__all__ = ["ToolSpec", "normalize_schema", "BFCL_TYPE_MAP"]


class ToolSpec(BaseModel):
    """One tool: a name, what it does, a JSON Schema for its arguments, and whether it writes state."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    name: str = Field(description="Tool name as the model calls it (snake_case by convention).")
    description: str = Field(default="", description="What the tool does, for the model.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments object (type: object).",
    )
    mutates: bool = Field(default=False, description="True when the tool writes state (a 'write' tool).")

    # ---- OpenAI -------------------------------------------------------------------------------
    def to_openai(self) -> dict[str, Any]:
        """``{"type": "function", "function": {name, description, parameters}}``."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    @classmethod
    def from_openai(cls, tool: dict[str, Any], *, mutates: bool | None = None) -> "ToolSpec":
        """Accepts the wrapped form (``{"type":"function","function":{...}}``) or the bare function dict."""
        fn = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or "name" not in fn:
            raise ToolDefinitionError([f"OpenAI tool: expected a function object with a 'name', got {tool!r:.120}"])
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        m = mutates if mutates is not None else bool(fn.get("x-mutates", False))
        return cls(name=fn["name"], description=fn.get("description") or "", parameters=params, mutates=m)

    # ---- MCP ----------------------------------------------------------------------------------
    def to_mcp(self) -> dict[str, Any]:
        """MCP ``Tool``: ``{name, description, inputSchema, annotations: {readOnlyHint}}``."""
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.parameters,
            "annotations": {"readOnlyHint": not self.mutates},
        }

    @classmethod
    def from_mcp(cls, tool: dict[str, Any]) -> "ToolSpec":
        """A ToolSpec from an MCP tool (``readOnlyHint``, else ``destructiveHint``, sets ``mutates``).

        Raises:
            ToolDefinitionError: ``tool`` is not an object with a ``name``.
        """
        if not isinstance(tool, dict) or "name" not in tool:
            raise ToolDefinitionError([f"MCP tool: expected an object with a 'name', got {tool!r:.120}"])
        schema = tool.get("inputSchema") or tool.get("input_schema") or {"type": "object", "properties": {}}
        ann = tool.get("annotations") or {}
        if "readOnlyHint" in ann:
            mutates = not bool(ann["readOnlyHint"])
        else:
            mutates = bool(ann.get("destructiveHint", False))
        return cls(name=tool["name"], description=tool.get("description") or "", parameters=schema, mutates=mutates)

    # ---- BFCL ---------------------------------------------------------------------------------
    def to_bfcl(self) -> dict[str, Any]:
        """BFCL function doc: JSON Schema with ``"type": "dict"`` for objects and ``"float"`` for numbers."""
        return {"name": self.name, "description": self.description, "parameters": _to_bfcl_schema(self.parameters)}

    @classmethod
    def from_bfcl(cls, doc: dict[str, Any], *, mutates: bool | None = None) -> "ToolSpec":
        """A ToolSpec from a BFCL function doc, its types normalised to JSON Schema.

        dict->object, float->number, tuple->array, any->untyped; enums written in prose
        ("One of ['a', 'b']") become ``enum``; ``response`` is kept in the description's end as BFCL
        shows it to models.
        """
        if not isinstance(doc, dict) or "name" not in doc:
            raise ToolDefinitionError([f"BFCL doc: expected an object with a 'name', got {doc!r:.120}"])
        params = normalize_schema(doc.get("parameters") or {"type": "dict", "properties": {}})
        if params.get("type") != "object":
            params = {"type": "object", "properties": {}, **{k: v for k, v in params.items() if k != "type"}}
        return cls(name=doc["name"], description=doc.get("description") or "", parameters=params, mutates=bool(mutates))

    def fingerprint(self) -> tuple[str, str]:
        """A hashable identity for caching compiled validators."""
        import orjson

        return self.name, orjson.dumps(self.parameters, option=orjson.OPT_SORT_KEYS).decode()


BFCL_TYPE_MAP = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "list": "array",
    "int": "integer",
    "str": "string",
    "bool": "boolean",
    "double": "number",
    "long": "integer",
    "char": "string",
}
_PROSE_ENUM = re.compile(
    r"(?:\[enum\]|one of|must be one of|possible values(?: are)?|options(?: are)?|choose from)"
    r"\s*:?\s*\[([^\]]+)\]",
    re.IGNORECASE,
)


def _prose_enum(description: str) -> list[str] | None:
    m = _PROSE_ENUM.search(description or "")
    if not m:
        return None
    items = [s.strip().strip("'\"") for s in m.group(1).split(",")]
    items = [s for s in items if s]
    return items or None


def normalize_schema(schema: Any) -> Any:
    """Return a JSON-Schema copy of a BFCL/Python-flavoured schema (recursively)."""
    if isinstance(schema, list):
        return [normalize_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, list):
                out["type"] = [BFCL_TYPE_MAP.get(t, t) for t in value if t != "any"] or None
                if out["type"] is None:
                    del out["type"]
            elif value == "any":
                continue
            else:
                out["type"] = BFCL_TYPE_MAP.get(value, value)
        elif key in ("properties", "definitions", "$defs", "patternProperties"):
            out[key] = {k: normalize_schema(v) for k, v in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = normalize_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    if out.get("type") == "string" and "enum" not in out:
        enum = _prose_enum(out.get("description", ""))
        if enum:
            out["enum"] = enum
    # BFCL writes optional parameters' defaults in "default"; JSON Schema allows it as-is.
    return out


def _to_bfcl_schema(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_to_bfcl_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            out["type"] = {"object": "dict", "number": "float"}.get(value, value) if isinstance(value, str) else value
        elif key in ("properties", "$defs", "definitions"):
            out[key] = {k: _to_bfcl_schema(v) for k, v in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
            out[key] = _to_bfcl_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    return out
