"""Python-backed tools: the ``@tool`` decorator and the ``Toolkit`` base class.

One source of truth per tool: a typed signature plus a Google-style docstring generate the JSON
schema. A Toolkit holds a typed state (a pydantic model) and its ``@tool`` methods read or write
it. Argument validation and error reporting to the agent are the environment's job.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, ClassVar, TypeVar, get_type_hints

from pydantic import BaseModel, Field, create_model

from .errors import ToolDefinitionError, ToolError, UnknownToolError
from .specs import ToolSpec

__all__ = ["tool", "Toolkit", "spec_from_callable", "parse_google_docstring", "state_schema_of"]

F = TypeVar("F", bound=Callable[..., Any])
_TOOL_ATTR = "__gem_tool__"


def tool(fn: F | None = None, *, mutates: bool = False, name: str | None = None) -> Any:
    """Mark a function or Toolkit method as a tool. ``mutates=True`` for tools that write state.

    Usage: ``@tool`` or ``@tool(mutates=True)``.
    """

    def mark(f: F) -> F:
        setattr(f, _TOOL_ATTR, {"mutates": mutates, "name": name or f.__name__})
        return f

    return mark(fn) if fn is not None else mark


_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:\s*$")
_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")


def parse_google_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Return (summary, {arg: description}) from a Google-style docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    arg_indent: int | None = None
    for line in lines:
        m = _SECTION.match(line)
        if m:
            section = m.group(1).lower()
            current, arg_indent = None, None
            continue
        if section is None:
            summary.append(line)
        elif section in ("args", "arguments", "parameters"):
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            am = _ARG_LINE.match(line)
            if am and (arg_indent is None or indent <= arg_indent):
                arg_indent = indent
                current = am.group(1).lstrip("*")
                args[current] = am.group(3).strip()
            elif current is not None:
                args[current] = (args[current] + " " + line.strip()).strip()
    return " ".join(s.strip() for s in summary if s.strip()).strip(), args


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title" or not isinstance(v, str)}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                key = ref.split("/")[-1]
                if key in seen:  # recursive model: keep the reference
                    return node
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return {**walk(defs[key], seen + (key,)), **extra}
            return {k: walk(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    out = walk(schema, ())
    if any("$ref" in str(v) for v in [out]) and defs:
        out["$defs"] = defs
    return out


def spec_from_callable(fn: Callable[..., Any], *, name: str | None = None, mutates: bool | None = None) -> ToolSpec:
    """Build a ToolSpec from a function's type hints and Google-style docstring."""
    info = getattr(fn, _TOOL_ATTR, {})
    tool_name = name or info.get("name") or fn.__name__
    summary, arg_docs = parse_google_docstring(fn.__doc__)
    try:
        hints = get_type_hints(fn)
    except Exception as exc:  # unresolved forward references and the like
        raise ToolDefinitionError([f"{tool_name}: cannot resolve type hints: {exc}"]) from None
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        if pname in ("self", "cls") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if pname not in hints:
            problems.append(f"{tool_name}: parameter '{pname}' has no type hint")
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], Field(default, description=arg_docs.get(pname) or None))
    if problems:
        raise ToolDefinitionError(problems)
    model = create_model(f"{tool_name}_args", **fields)
    schema = _inline_refs(_strip_titles(model.model_json_schema()))
    schema.setdefault("properties", {})
    schema["type"] = "object"
    schema["additionalProperties"] = False
    for prop in schema["properties"].values():
        if isinstance(prop, dict) and prop.get("description") is None:
            prop.pop("description", None)
    return ToolSpec(
        name=tool_name,
        description=summary,
        parameters=schema,
        mutates=bool(info.get("mutates", False) if mutates is None else mutates),
    )


def state_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema of a state model, as stored in domain.json's ``state_schema``."""
    return _strip_titles(model.model_json_schema())


class Toolkit:
    """Base class for Python tools over a typed state.

    Subclasses set ``State`` (a pydantic model) and define ``@tool`` methods that read or change
    ``self.state``. A tool signals a failure the agent should see by raising ``ToolError`` (or
    ``ValueError``/``KeyError``, which the environment also reports as tool errors).
    """

    State: ClassVar[type[BaseModel]]
    _tools: ClassVar[dict[str, tuple[Callable[..., Any], ToolSpec]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        tools: dict[str, tuple[Callable[..., Any], ToolSpec]] = {}
        for klass in reversed(cls.__mro__):
            for fn in vars(klass).values():
                info = getattr(fn, _TOOL_ATTR, None)
                if info is not None and callable(fn):
                    spec = spec_from_callable(fn)
                    tools[spec.name] = (fn, spec)
        cls._tools = tools

    def __init__(self, state: BaseModel | dict[str, Any]):
        if isinstance(state, BaseModel):
            self.state = state
        else:
            self.state = self.State.model_validate(state)

    @classmethod
    def tool_specs(cls) -> list[ToolSpec]:
        """Copies of the specs of the toolkit's tools."""
        return [spec.model_copy(deep=True) for _, spec in cls._tools.values()]

    @classmethod
    def writing_tools(cls) -> frozenset[str]:
        """The names of the tools declared ``mutates=True``."""
        return frozenset(name for name, (_, spec) in cls._tools.items() if spec.mutates)

    @classmethod
    def tool_names(cls) -> list[str]:
        """The names of the toolkit's tools."""
        return list(cls._tools)

    @classmethod
    def state_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the toolkit's ``State`` model."""
        return state_schema_of(cls.State)

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """Call a tool by name with already-validated arguments; returns its (JSON-able) result."""
        entry = self._tools.get(name)
        if entry is None:
            raise UnknownToolError(f"unknown tool '{name}'")
        return entry[0](self, **arguments)

    def dump_state(self) -> dict[str, Any]:
        """The current state as JSON-able data."""
        return self.state.model_dump(mode="json")


def require(condition: bool, message: str) -> None:
    """Raise ToolError(message) unless condition holds: the idiom for tool preconditions."""
    if not condition:
        raise ToolError(message)


__all__.append("require")


def format_tool_output(value: Any) -> str:
    """How a Python tool's return value becomes a tool message's content (one rule, used everywhere).

    Strings stay as they are; everything else is compact JSON (pydantic models dumped first).
    """
    if isinstance(value, str):
        return value
    import orjson

    return orjson.dumps(value, default=_json_default).decode()


def _json_default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"tool output of type {type(obj).__name__} is not JSON-serialisable")


def format_tool_error(exc: BaseException) -> str:
    """How a failed call is shown to the agent: a bare error message, no recovery hints."""
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return f"Error: {msg}" if msg else f"Error: {type(exc).__name__}"


__all__ += ["format_tool_output", "format_tool_error"]
