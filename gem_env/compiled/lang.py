"""The program language: JSON tool programs compiled into closures that read and patch a JSON state.

A program is ``{"steps": [step, ...], "return": expr}``. Expressions are JSON values where
``"$name.path"`` reads a binding (``args``, ``state``, ``item`` or a step's ``as`` name),
``"... {name.path} ..."`` interpolates one into text, ``{"$op": operands}`` applies an operator
and every other object or list is a template. Steps find and filter records, bind values, check
conditions, branch, and write through JSON Patch operations (``update``, ``insert``, ``delete``,
``patch``). Nothing else exists: no loops but scans over the state's own collections, no calls,
no attribute access, no names outside the bindings. The full grammar is in ``docs/compile.md``;
``program.py`` runs compiled programs under the limits of ``limits.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from .limits import Limits, ProgramError, ProgramLimitError, measure

__all__ = ["Compiler", "Frame", "get", "is_ref", "number", "pointer", "same", "template_error", "text", "truthy"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[^.\s{}$]+)*)$")
_INTERP = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_\-]+)*)\}")
_ROOTS = ("args", "state")
_STEP_KEYS = ("find", "filter", "let", "check", "fail", "update", "insert", "delete", "patch", "if", "return")
Fn = Callable[["Frame"], Any]


class Frame:
    """One call's bindings, work counter, applied operations and undo log."""

    __slots__ = ("vars", "work", "limits", "ops", "undo", "paths", "written")

    def __init__(self, state: dict[str, Any], args: dict[str, Any], limits: Limits):
        self.vars: dict[str, Any] = {"args": args, "state": state}
        self.work = 0
        self.limits = limits
        self.ops: list[tuple[str, tuple[Any, ...], Any]] = []
        self.undo: list[tuple[Any, Any, Any]] = []
        self.paths: dict[str, tuple[Any, ...]] = {}
        self.written = 0

    def spend(self, units: int) -> None:
        """Count ``units`` of work.

        Raises:
            ProgramLimitError: The run went over ``max_work``.
        """
        self.work += units
        if self.work > self.limits.max_work:
            raise ProgramLimitError(f"program limit: more than {self.limits.max_work} work units")

    def measured(self, value: Any) -> Any:
        """Return ``value`` after spending work for its size and checking it against the limits."""
        if isinstance(value, (dict, list)):
            self.spend(measure(value, self.limits.max_work - self.work))
        elif isinstance(value, str) and len(value) > self.limits.max_string:
            raise ProgramLimitError(f"program limit: a string longer than {self.limits.max_string} characters")
        return value


def is_ref(fn: Any) -> bool:
    """Whether a compiled expression is a plain read of a binding (see ``Compiler.ref``)."""
    return getattr(fn, "is_ref", False)


def get(value: Any, seg: str) -> Any:
    """Member ``seg`` of a dict or list (a digit string indexes a list); None when absent."""
    if type(value) is dict:
        return value.get(seg)
    if isinstance(value, dict):
        return value.get(seg)
    if isinstance(value, list) and seg.lstrip("-").isdigit():
        i = int(seg)
        return value[i] if -len(value) <= i < len(value) else None
    return None


def same(a: Any, b: Any) -> bool:
    """Equality as the program language defines it (booleans are not numbers)."""
    if a is b or (type(a) is type(b) and a == b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def text(value: Any) -> str:
    """``value`` as text: strings as they are, whole floats as integers, other values as JSON."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return orjson.dumps(value).decode()
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else str(value)
    return orjson.dumps(value).decode()


def truthy(value: Any) -> bool:
    """Whether ``value`` counts as true (not None, False, 0, empty text, list or object)."""
    return value is not None and value is not False and value != 0 and value != "" and value != [] and value != {}


def number(fr: Frame, value: Any) -> Any:
    """Return ``value`` if it is a finite number within the limits.

    Raises:
        ProgramError: Not a number, or out of bounds.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProgramError(f"expected a number, got {text(value)[:60]}")
    if abs(value) > fr.limits.max_number or value != value:
        raise ProgramLimitError("program limit: a number out of range")
    return value


def pointer(parts: tuple[Any, ...]) -> str:
    """The JSON Pointer (RFC 6901) of a path."""
    out = []
    for p in parts:
        p = str(p)
        out.append(p.replace("~", "~0").replace("/", "~1") if "~" in p or "/" in p else p)
    return "/" + "/".join(out)


class Compiler:
    """Compiles one tool program; collects every problem instead of stopping at the first.

    Args:
        limits: The sandbox limits.
        tool: The tool's name (for messages).
        steps: Step keyword -> step compiler (``steps.STEPS``).
        operators: Operator -> operator compiler (``operators.OPERATORS``).

    Attributes:
        problems: What is wrong with the program (empty = it compiled).
        reads: Top-level state keys the program reads or writes (for the simulator's state slice).
    """

    def __init__(self, limits: Limits, tool: str, steps: dict[str, Any], operators: dict[str, Any]):
        self.step_table = steps
        self.operator_table = operators
        self.limits = limits
        self.tool = tool
        self.problems: list[str] = []
        self.reads: set[str] = set()
        self.names: set[str] = set(_ROOTS)
        self.records: set[str] = set()
        self.steps = 0
        self.writes = False

    def bad(self, where: str, msg: str) -> Fn:
        """Record a problem at ``where`` and return a placeholder closure."""
        self.problems.append(f"{self.tool}: {where}: {msg}")
        return lambda fr: None

    # ---- expressions ----------------------------------------------------------------------
    def expr(self, node: Any, where: str, depth: int = 0, names: frozenset[str] = frozenset()) -> Fn:
        """Compile an expression node into a closure over a ``Frame``."""
        if depth > self.limits.max_depth:
            return self.bad(where, f"nested deeper than {self.limits.max_depth}")
        if node is None or isinstance(node, bool):
            return lambda fr: node
        if isinstance(node, (int, float)):
            if abs(node) > self.limits.max_number or node != node:
                return self.bad(where, "a number out of range")
            return lambda fr: node
        if isinstance(node, str):
            return self.string(node, where, names)
        if isinstance(node, list):
            fns = [self.expr(v, f"{where}[{i}]", depth + 1, names) for i, v in enumerate(node)]
            return lambda fr: [f(fr) for f in fns]
        if isinstance(node, dict):
            ops = [k for k in node if k.startswith("$")]
            if ops:
                if len(node) != 1:
                    return self.bad(where, f"an operator object has exactly one key, got {sorted(node)}")
                return self.operator(ops[0], node[ops[0]], where, depth, names)
            items = [(k, self.expr(v, f"{where}.{k}", depth + 1, names)) for k, v in node.items()]
            return lambda fr: {k: f(fr) for k, f in items}
        return self.bad(where, f"not JSON: {type(node).__name__}")

    def string(self, s: str, where: str, names: frozenset[str]) -> Fn:
        """Compile a string: a ``$``-reference to a binding, or a literal (``$$`` escapes a ``$``)."""
        if s.startswith("$$"):
            lit = s[1:]
            return lambda fr: lit
        m = _REF.match(s)
        if m:
            return self.ref(m.group(1), m.group(2), where, names)
        parts: list[Any] = []
        last = 0
        for m in _INTERP.finditer(s):
            if m.group(1) not in self.names | names:
                continue
            parts.append(s[last : m.start()])
            parts.append(self.ref(m.group(1), m.group(2), where, names))
            last = m.end()
        if not parts:
            return lambda fr: s
        parts.append(s[last:])
        limit = self.limits.max_string

        def interp(fr: Frame) -> str:
            out = []
            for p in parts:
                if isinstance(p, str):
                    out.append(p)
                else:
                    v = p(fr)
                    if isinstance(v, (dict, list)):
                        fr.measured(v)
                    out.append(text(v))
            joined = "".join(out)
            if len(joined) > limit:
                raise ProgramLimitError(f"program limit: a string longer than {limit} characters")
            return joined

        return interp

    def ref(self, root: str, path: str, where: str, names: frozenset[str]) -> Fn:
        """A read of a binding.

        Marked ``is_ref``: its value is a subtree of the state or the arguments, or a value
        measured when it was bound, so it needs no measuring again.
        """
        fn = self._ref(root, path, where, names)
        fn.is_ref = True  # type: ignore[attr-defined]
        return fn

    def _ref(self, root: str, path: str, where: str, names: frozenset[str]) -> Fn:
        if root not in self.names and root not in names:
            return self.bad(where, f"unknown name '${root}' (known: {', '.join(sorted(self.names | names))})")
        segs = tuple(path.split(".")[1:]) if path else ()
        if root == "state" and segs:
            self.reads.add(segs[0])
        if not segs:
            return lambda fr: fr.vars.get(root)
        if len(segs) == 1:
            seg = segs[0]

            def read1(fr: Frame) -> Any:
                v = fr.vars.get(root)
                return v.get(seg) if type(v) is dict else get(v, seg)

            return read1

        def read(fr: Frame) -> Any:
            v = fr.vars.get(root)
            for seg in segs:
                v = get(v, seg)
            return v

        return read

    def operator(self, op: str, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
        """Compile an operator node with its entry in the operator table."""
        spec = self.operator_table.get(op)
        if spec is None:
            return self.bad(where, f"unknown operator '{op}' (known: {', '.join(sorted(self.operator_table))})")
        return spec(self, arg, f"{where}.{op}", depth + 1, names)

    # ---- steps ------------------------------------------------------------------------------
    def block(self, steps: Any, where: str, depth: int) -> Callable[[Frame], tuple | None]:
        """Compile a list of steps into one closure that runs them in order."""
        if not isinstance(steps, list):
            return self.bad(where, "steps must be a list")
        fns = [self.step(s, f"{where}[{i}]", depth + 1) for i, s in enumerate(steps)]

        def run(fr: Frame) -> tuple | None:
            for f in fns:
                r = f(fr)
                if r is not None:
                    return r
            return None

        return run

    def step(self, node: Any, where: str, depth: int) -> Callable[[Frame], tuple | None]:
        """Compile one step with its keyword's compiler, counting it against ``max_steps``."""
        self.steps += 1
        if self.steps > self.limits.max_steps:
            return self.bad(where, f"more than {self.limits.max_steps} steps")
        if depth > self.limits.max_depth:
            return self.bad(where, f"nested deeper than {self.limits.max_depth}")
        if not isinstance(node, dict):
            return self.bad(where, "a step is an object")
        kinds = [k for k in _STEP_KEYS if k in node]
        if len(kinds) != 1:
            return self.bad(where, f"a step has exactly one of {', '.join(_STEP_KEYS)}; got {sorted(node)}")
        return self.step_table[kinds[0]](self, node, f"{where}.{kinds[0]}", depth)

    def bind(self, name: Any, where: str, record: bool = False) -> str:
        """Check that ``name`` can be bound by ``as`` and return it (``_`` after recording a problem)."""
        if not isinstance(name, str) or not _NAME.match(name) or name in ("args", "state", "item"):
            self.bad(where, f"'as' must be a new name (letters, digits, _; not args/state/item), got {name!r}")
            return "_"
        self.names.add(name)
        if record:
            self.records.add(name)
        return name

    def collection(self, path: Any, where: str) -> tuple[tuple[str, ...], Fn]:
        """A dot path into the state (``"orders"``, ``"shop.orders"``) and its reader."""
        if not isinstance(path, str) or not path or not all(path.split(".")):
            self.bad(where, f"a collection is a dot path into the state, got {path!r}")
            return (), lambda fr: None
        segs = tuple(path.removeprefix("$state.").removeprefix("state.").split("."))
        self.reads.add(segs[0])

        def read(fr: Frame) -> Any:
            v = fr.vars["state"]
            for seg in segs:
                v = get(v, seg)
            return v

        return segs, read


def template_error(comp: Compiler, node: Any, where: str, default: str) -> Fn:
    """A message template (string with ``{name.path}``), or the default message."""
    if node is None:
        return lambda fr: default
    if not isinstance(node, str):
        return comp.bad(where, "an error message is a string")
    return comp.string(node, where, frozenset())
