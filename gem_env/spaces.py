"""Gymnasium spaces of a tool-use environment: conversations in, assistant messages out.

``ConversationSpace`` holds observations (``{"messages", "tools"}``); ``AssistantMessageSpace``
holds actions: ``sample()`` draws a schema-valid random call to one of the tools available now,
``contains()`` checks that an action is a well-formed call to an available tool with valid
arguments. Both ask the environment for its current tools, so they follow the task in play.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from tools_registry.errors import GemError
from tools_registry.validation import ToolSet

__all__ = ["ROLES", "AssistantMessageSpace", "ConversationSpace", "random_text", "sample_from_schema"]

ROLES = frozenset(("system", "user", "assistant", "tool"))
_ALPHABET = string.ascii_lowercase + string.digits


class ConversationSpace(spaces.Space[dict]):
    """Observations: ``{"messages": [OpenAI message dicts], "tools": [OpenAI tool dicts]}``."""

    def __init__(self, seed: int | np.random.Generator | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        """False: messages cannot be flattened to a numpy array."""
        return False

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is an observation dict of messages and tools."""
        if not isinstance(x, dict) or not isinstance(x.get("messages"), list) or not isinstance(x.get("tools"), list):
            return False
        for m in x["messages"]:
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                return False
        return all(isinstance(t, dict) and t.get("type") == "function" for t in x["tools"])

    def sample(self, mask: Any = None, probability: Any = None) -> dict:
        """A one-message conversation with random user text and no tools."""
        text = "".join(self.np_random.choice(list(_ALPHABET), size=12))
        return {"messages": [{"role": "user", "content": text}], "tools": []}

    def __repr__(self) -> str:
        return "ConversationSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConversationSpace)


class AssistantMessageSpace(spaces.Space[dict]):
    """Actions: an assistant message dict (or raw model text when a parser is set).

    Args:
        toolset: A callable returning the :class:`ToolSet` of the tools available now.
        parser: Tool-call parser for text actions (``hermes``), or None to reject text.
        seed: Seed of the space's own random generator (``space.seed(...)`` also sets it).
    """

    def __init__(
        self,
        toolset: Callable[[], ToolSet],
        parser: str | None = "hermes",
        seed: int | np.random.Generator | None = None,
    ):
        super().__init__(shape=None, dtype=None, seed=seed)
        self._toolset = toolset
        self.parser = parser

    @property
    def is_np_flattenable(self) -> bool:
        """False: messages cannot be flattened to a numpy array."""
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> dict:
        """One random schema-valid tool call to an available tool (random text if there are none)."""
        ts = self._toolset()
        names = ts.names()
        rng = self.np_random
        if not names:
            return {"role": "assistant", "content": random_text(rng)}
        name = names[int(rng.integers(len(names)))]
        params = ts.specs[name].parameters
        args: Any = {}
        for _ in range(8):  # patterns and formats are not generated: draw again until valid
            args = sample_from_schema(params, rng)
            try:
                ts.check_call(name, args)
                break
            except GemError:
                continue
        call_id = f"call_{int(rng.integers(1 << 30)):x}"
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}],
        }

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a valid assistant message (or text the parser accepts)."""
        if isinstance(x, str):
            if self.parser is None:
                return False
            from gem_env.llm.parsing import parse_tool_calls

            try:
                x = parse_tool_calls(x, self.parser).message
            except GemError:
                return False
        if not isinstance(x, dict) or x.get("role", "assistant") != "assistant":
            return False
        calls = x.get("tool_calls")
        if not calls:
            return isinstance(x.get("content"), str)
        ts = self._toolset()
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                return False
            from tools_registry.records import parse_arguments

            try:
                ts.check_call(fn["name"], parse_arguments(fn.get("arguments")))
            except GemError:
                return False
        return True

    def __repr__(self) -> str:
        return f"AssistantMessageSpace(parser={self.parser!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssistantMessageSpace) and other.parser == self.parser


def random_text(rng: np.random.Generator, words: int = 6) -> str:
    """A few random lowercase words."""
    return " ".join("".join(rng.choice(list(_ALPHABET), size=int(rng.integers(2, 9)))) for _ in range(words))


def sample_from_schema(schema: Any, rng: np.random.Generator, depth: int = 0) -> Any:
    """A random value for a JSON Schema (types, enum, const, anyOf/oneOf, bounds, required keys).

    Not generated: ``pattern`` and ``format``; callers validate and draw again.
    """
    if not isinstance(schema, dict) or depth > 6:
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        options = schema["enum"]
        return options[int(rng.integers(len(options)))]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = schema[key]
            return sample_from_schema(options[int(rng.integers(len(options)))], rng, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(part)
        return sample_from_schema(merged, rng, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[int(rng.integers(len(kind)))] if kind else None
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        out = {}
        for key, sub in props.items():
            if key in required or rng.random() < 0.5:
                out[key] = sample_from_schema(sub, rng, depth + 1)
        return out
    if kind == "array":
        fewest = int(schema.get("minItems", 0))
        most = int(schema.get("maxItems", fewest + 3))
        n = int(rng.integers(fewest, max(fewest, most) + 1))
        items = schema.get("items", {})
        return [sample_from_schema(items, rng, depth + 1) for _ in range(n)]
    if kind in ("integer", "number"):
        lo: float = schema["minimum"] if "minimum" in schema else schema.get("exclusiveMinimum", -1000)
        hi: float = schema["maximum"] if "maximum" in schema else schema.get("exclusiveMaximum", 1000)
        if "exclusiveMinimum" in schema and "minimum" not in schema:
            lo = lo + (1 if kind == "integer" else 1e-6)
        if "exclusiveMaximum" in schema and "maximum" not in schema:
            hi = hi - (1 if kind == "integer" else 1e-6)
        hi = max(hi, lo)
        if kind == "integer":
            return int(rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1))
        return round(float(rng.uniform(lo, hi)), 3)
    if kind == "boolean":
        return bool(rng.integers(2))
    if kind == "null":
        return None
    lo = int(schema.get("minLength", 1))
    hi = int(schema.get("maxLength", max(lo, 12)))
    n = int(rng.integers(lo, max(lo, hi) + 1))
    return "".join(rng.choice(list(_ALPHABET), size=n)) if n else ""
