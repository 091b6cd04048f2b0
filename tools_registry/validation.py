"""Validation of tool definitions (JSON Schema meta-schema + GEM Stage-2 rules) and of call arguments.

Definitions: ``tool_problems(specs)`` returns every problem at once, each naming the tool and the
path; ``ensure_valid_tools`` raises ToolDefinitionError with all of them.
Calls: ``ToolSet(specs).check_call(name, arguments)`` is the hot path of every environment step:
a compiled jsonschema-rs validator cached per tool schema answers is-valid in well under a
microsecond; the readable message ("missing required argument 'order_id'") is built only on failure.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

import jsonschema
import jsonschema_rs
import orjson

from .errors import ArgumentError, ToolDefinitionError, UnknownToolError
from .limits import MAX_JSON_DEPTH, MAX_PATTERN_CHARS, MAX_SCHEMA_BYTES, json_problem, safe_repr
from .specs import ToolSpec

__all__ = [
    "tool_problems",
    "ensure_valid_tools",
    "ToolSet",
    "argument_problems",
    "schema_limit_problems",
    "SNAKE_CASE",
    "RULES",
    "RULE_SEVERITY",
    "problem_severity",
    "split_problems",
]

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")  # use with fullmatch
_META = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
_TYPED_KEYS = ("type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref")

#: Rule ids and what they check (each problem string starts with "[rule]").
RULES = {
    "name": "tool name is snake_case, at most 64 characters",
    "unique": "tool names are unique within the tool set",
    "description": "tool has a non-empty description",
    "schema": "parameters is a valid JSON Schema (draft 2020-12 meta-schema)",
    "object": "parameters has type 'object'",
    "required": "every name in 'required' is a key of 'properties'",
    "param-described": "every parameter has a non-empty description",
    "param-typed": "every parameter has a type (or enum/const/anyOf/oneOf/allOf/$ref)",
    "ref": "every $ref is local ('#...'): nothing is fetched or read from disk",
    "pattern": f"every pattern compiles on the linear-time engine (RE2), at most {MAX_PATTERN_CHARS} characters",
    "size": f"parameters is plain JSON of at most {MAX_SCHEMA_BYTES} bytes, {MAX_JSON_DEPTH} levels deep",
}


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"'{uri}' is not resolved: only local references ('#...') are allowed")


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> Any:
    import re2  # linear-time matching: an untrusted pattern cannot hold a step

    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


_DATA_KEYS = frozenset(("enum", "const", "default", "examples"))  # instance data, not subschemas


def schema_limit_problems(parameters: Any) -> list[str]:
    """What in a parameters schema breaks the trust rules: size, non-local ``$ref``, unsafe patterns.

    Returned as ``"[rule] path: what"`` fragments (``tool_problems`` prefixes the tool); an empty
    list means the schema may be compiled and run on untrusted arguments.
    """
    too_big = json_problem(parameters, max_bytes=MAX_SCHEMA_BYTES, what="the schema")
    if too_big is not None:
        return [f"[size] parameters: {too_big}"]
    problems: list[str] = []
    stack: list[tuple[Any, str]] = [(parameters, "parameters")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{where}.{i}") for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        for key in ("$ref", "$dynamicRef", "$recursiveRef"):
            ref = node.get(key)
            if isinstance(ref, str) and not ref.startswith("#"):
                problems.append(
                    f"[ref] {where}: {key} {safe_repr(ref, 120)} is not local; only references "
                    "inside the schema ('#/...', '#/$defs/...') are allowed"
                )
        pats = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        if isinstance(node.get("patternProperties"), dict):
            pats += list(node["patternProperties"])
        for pat in pats:
            if len(pat) > MAX_PATTERN_CHARS:
                problems.append(f"[pattern] {where}: a pattern of {len(pat)} characters (at most {MAX_PATTERN_CHARS})")
                continue
            try:
                _regex(pat)
            except Exception as exc:  # noqa: BLE001 - re2.error and encoding errors alike: not a safe pattern
                why = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
                problems.append(
                    f"[pattern] {where}: {safe_repr(pat, 120)} does not compile on the linear-time "
                    f"engine (RE2; no backreferences or lookaround): {why}"
                )
        stack.extend((v, f"{where}.{k}") for k, v in node.items() if k not in _DATA_KEYS)
    return problems


#: How bad a broken rule is. ``error``: the tool set cannot be used as it is (invalid schema, a
#: ``required`` naming no property, duplicate names, parameters not an object). ``warning``: the
#: style GEM asks of synthesized tools; imported real-world tool sets often break these and still
#: work. Rules not listed here are errors.
RULE_SEVERITY = {
    "name": "warning",
    "description": "warning",
    "param-described": "warning",
    "param-typed": "warning",
    "unique": "error",
    "schema": "error",
    "object": "error",
    "required": "error",
}


def problem_severity(problem: str) -> str:
    """``"error"`` or ``"warning"`` for a ``"[rule] ..."`` line of :func:`tool_problems`."""
    rule = problem[1 : problem.find("]")] if problem.startswith("[") and "]" in problem else ""
    return RULE_SEVERITY.get(rule, "error")


def split_problems(problems: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of :func:`tool_problems` lines, each in its original order."""
    errors: list[str] = []
    warnings: list[str] = []
    for p in problems:
        (warnings if problem_severity(p) == "warning" else errors).append(p)
    return errors, warnings


def _tool_list(tools: Any) -> Any:
    """One ToolSpec (or one tool dict) where a list is expected is that list of one; text is a TypeError."""
    if isinstance(tools, ToolSpec) or (isinstance(tools, dict) and ({"name", "function", "inputSchema"} & set(tools))):
        return [tools]
    if isinstance(tools, (str, bytes)) or not isinstance(tools, Iterable):
        raise TypeError(f"expected a list of tools (ToolSpec or tool dicts), got {type(tools).__name__}")
    return tools


def _meta_valid(schema: Any) -> bool:
    try:
        return bool(jsonschema_rs.meta.is_valid(schema))
    except (ValueError, TypeError, jsonschema_rs.ReferencingError):  # an unknown $schema draft, say
        return False


def _as_spec(tool: ToolSpec | dict[str, Any]) -> ToolSpec | str:
    if isinstance(tool, ToolSpec):
        return tool
    try:
        if isinstance(tool, dict) and "inputSchema" in tool:
            return ToolSpec.from_mcp(tool)
        return (
            ToolSpec.from_openai(tool)
            if isinstance(tool, dict) and ("function" in tool or "parameters" in tool)
            else ToolSpec.model_validate(tool)
        )
    except Exception as exc:  # pydantic / conversion errors become one problem line
        return f"not a tool definition: {exc}"


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


def tool_problems(tools: Iterable[ToolSpec | dict[str, Any]]) -> list[str]:
    """Every problem in a tool set, as ``"[rule] tool 'name': path: what"`` lines.

    ``tools`` may be one ToolSpec. :func:`split_problems` sorts the lines into errors and warnings.
    """
    tools = _tool_list(tools)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(tools):
        spec = _as_spec(raw)
        if isinstance(spec, str):
            problems.append(f"[schema] tool #{i}: {spec}")
            continue
        label = f"tool '{spec.name}'"
        if spec.name in seen:
            problems.append(f"[unique] {label}: name already used by tool #{seen[spec.name]}")
        seen.setdefault(spec.name, i)
        if not SNAKE_CASE.fullmatch(spec.name) or len(spec.name) > 64:
            problems.append(f"[name] {label}: name must be snake_case (lowercase letters, digits, single underscores)")
        if not spec.description.strip():
            problems.append(f"[description] {label}: description is empty")
        params = spec.parameters
        limits = schema_limit_problems(params)
        problems.extend(f"{p[: p.index(']') + 1]} {label}: {p[p.index(']') + 2 :]}" for p in limits)
        if limits and limits[0].startswith("[size]"):
            continue  # too big or not JSON: the remaining checks would cost what the limit prevents
        # fast path: jsonschema-rs answers "valid?" in microseconds; readable errors only on failure
        schema_errors = [] if _meta_valid(params) else sorted(_META.iter_errors(params), key=lambda e: list(e.path))
        for line in dict.fromkeys(f"[schema] {label}: parameters.{_path(e.path)}: {e.message}" for e in schema_errors):
            problems.append(line)
        if params.get("type") != "object":
            problems.append(f"[object] {label}: parameters.type must be 'object', got {params.get('type')!r}")
        props = params.get("properties", {})
        if not isinstance(props, dict):
            continue
        required = params.get("required", [])
        if isinstance(required, list):
            for name in required:
                if name not in props:
                    problems.append(
                        f"[required] {label}: parameters.required names '{name}', which is not in properties"
                    )
        for pname, pschema in props.items():
            where = f"{label}: parameters.properties.{pname}"
            if not isinstance(pschema, dict):
                continue  # the meta-schema check already reported it
            if not str(pschema.get("description", "")).strip():
                problems.append(f"[param-described] {where}: missing description")
            if not any(k in pschema for k in _TYPED_KEYS):
                problems.append(f"[param-typed] {where}: missing type")
    return problems


def ensure_valid_tools(tools: Iterable[ToolSpec | dict[str, Any]]) -> None:
    """Check tool definitions.

    Raises:
        ToolDefinitionError: Some definition is bad; it lists every problem (see :func:`tool_problems`).
    """
    problems = tool_problems(tools)
    if problems:
        raise ToolDefinitionError(problems)


@lru_cache(maxsize=4096)
def _compiled(schema_json: str) -> Any:
    return jsonschema_rs.validator_for(
        orjson.loads(schema_json), retriever=_refuse_retrieval, pattern_options=jsonschema_rs.RegexOptions()
    )


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "object"):
        for pattern, subschema in patterns.items():
            for k, v in instance.items():
                if _regex(pattern).search(k):
                    yield from validator.descend(v, subschema, path=k, schema_path=pattern)


#: The readable-message validator: jsonschema with RE2 patterns and no retrieval of any reference.
_Readable = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)


@lru_cache(maxsize=4096)
def _slow(schema_json: str) -> jsonschema.Draft202012Validator:
    import referencing

    # attrs names the init argument after the private field ``_retrieve``; mypy's attrs support misses the alias
    registry = referencing.Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]
    return _Readable(orjson.loads(schema_json), registry=registry)


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, ValueError):
        return safe_repr(value)


def _describe(err: jsonschema.ValidationError) -> str:
    where = _path(err.absolute_path)
    arg = f"'{where}'" if err.absolute_path else "arguments"
    v = err.validator
    if v == "required":
        missing = [m for m in err.validator_value if isinstance(err.instance, dict) and m not in err.instance]
        return "; ".join(f"missing required argument '{m}'" for m in missing) or err.message
    if v == "type":
        want = err.validator_value if isinstance(err.validator_value, str) else " or ".join(err.validator_value)
        return f"{arg} must be {want}, got {type(err.instance).__name__} {_dumps(err.instance)[:60]}"
    if v == "additionalProperties":
        extra = (
            sorted(set(err.instance) - set(err.schema.get("properties", {}))) if isinstance(err.instance, dict) else []
        )
        return "; ".join(f"unexpected argument '{e}'" for e in extra) or err.message
    if v == "enum":
        return f"{arg} must be one of {err.validator_value}, got {safe_repr(err.instance, 80)}"
    if v in (
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "format",
        "const",
    ):
        return f"{arg}: {err.message}"
    return f"{arg}: {err.message}"


def argument_problems(parameters: dict[str, Any], arguments: Any) -> list[str]:
    """All readable problems of ``arguments`` against a parameters schema (slow path).

    Raises:
        ArgumentError: ``arguments`` is not plain JSON within the limits (see ``limits``).
        ToolDefinitionError: ``parameters`` breaks the trust rules (see ``schema_limit_problems``).
    """
    problem = json_problem(arguments)
    if problem is not None:
        raise ArgumentError(problem)
    key = orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS).decode()
    _check_schema(key)
    errors = sorted(_slow(key).iter_errors(arguments), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(e)[:300] for e in errors[:20]]


@lru_cache(maxsize=4096)
def _limit_problems(schema_json: str) -> tuple[str, ...]:
    return tuple(schema_limit_problems(orjson.loads(schema_json)))


def _check_schema(schema_json: str, name: str = "") -> None:
    problems = _limit_problems(schema_json)
    if problems:
        label = f"tool '{name}'" if name else "a tool"
        raise ToolDefinitionError([f"{p[: p.index(']') + 1]} {label}: {p[p.index(']') + 2 :]}" for p in problems])


class ToolSet:
    """A set of tools with cached compiled argument validators.

    ``check_call(name, arguments)`` returns None or raises UnknownToolError / ArgumentError whose
    message a model can act on.
    """

    __slots__ = ("specs", "_validators", "_keys")

    def __init__(self, tools: Iterable[ToolSpec | dict[str, Any]]):
        self.specs: dict[str, ToolSpec] = {}
        for raw in _tool_list(tools):
            spec = _as_spec(raw)
            if isinstance(spec, str):
                raise ToolDefinitionError([spec])
            self.specs[spec.name] = spec
        self._keys = {}
        for n, s in self.specs.items():
            problem = json_problem(s.parameters, max_bytes=MAX_SCHEMA_BYTES, what="the schema")
            if problem is not None:
                raise ToolDefinitionError([f"[size] tool '{n}': parameters: {problem}"])
            self._keys[n] = key = orjson.dumps(s.parameters, option=orjson.OPT_SORT_KEYS).decode()
            _check_schema(key, n)
        try:
            self._validators = {n: _compiled(k) for n, k in self._keys.items()}
        except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError) as exc:
            raise ToolDefinitionError([f"[schema] cannot compile a tool's parameters schema: {exc}"]) from None

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __len__(self) -> int:
        return len(self.specs)

    def names(self) -> list[str]:
        """The names of the tools in the set."""
        return list(self.specs)

    def add(self, tools: Iterable[ToolSpec | dict[str, Any]]) -> "ToolSet":
        """A new ToolSet with more tools (e.g. a tool revealed mid-episode)."""
        return ToolSet([*self.specs.values(), *tools])

    def check_call(self, name: str, arguments: Any) -> None:
        """Check that ``name`` is a tool of the set and ``arguments`` fit its schema.

        Raises:
            UnknownToolError: No tool of the set has that name.
            ArgumentError: The arguments are not an object or do not match the schema (the problems named).
        """
        validator = self._validators.get(name)
        if validator is None:
            raise UnknownToolError(f"unknown tool '{name}'; available tools: {', '.join(self.specs) or 'none'}")
        try:
            valid = validator.is_valid(arguments)
        except (ValueError, TypeError, OverflowError, RecursionError):  # not JSON: described below
            valid = False
        if not valid:
            if not isinstance(arguments, dict):
                raise ArgumentError(f"arguments for '{name}' must be a JSON object, got {type(arguments).__name__}")
            problem = json_problem(arguments)
            if problem is not None:
                raise ArgumentError(f"invalid arguments for '{name}': {problem}")
            problems = argument_problems(self.specs[name].parameters, arguments)
            raise ArgumentError(
                f"invalid arguments for '{name}': " + "; ".join(problems or ["do not match the schema"])
            )
