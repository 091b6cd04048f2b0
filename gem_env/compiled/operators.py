"""The operators of the program language (``{"$op": operands}``).

Comparison, logic, arithmetic, text, object helpers and JMESPath queries. Each compiles its
operands with the ``Compiler`` and returns a closure; every one spends work units, checks its
operand types and bounds what it builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lang import Compiler, Fn, Frame, get, number, same, text, truthy
from .limits import ProgramError, ProgramLimitError

__all__ = ["OPERATORS", "QUERY_FUNCTIONS"]

#: JMESPath functions a ``$query`` may call (all of JMESPath's built-ins: each is a pure function
#: over JSON values; the list is checked at compile time so a new library version adds nothing).
QUERY_FUNCTIONS = frozenset(
    {
        "abs",
        "avg",
        "ceil",
        "contains",
        "ends_with",
        "floor",
        "join",
        "keys",
        "length",
        "map",
        "max",
        "max_by",
        "merge",
        "min",
        "min_by",
        "not_null",
        "reverse",
        "sort",
        "sort_by",
        "starts_with",
        "sum",
        "to_array",
        "to_number",
        "to_string",
        "type",
        "values",
    }
)


def _operands(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str], n: int | None) -> list[Fn]:
    items = arg if isinstance(arg, list) else [arg]
    if n is not None and len(items) != n:
        comp.bad(where, f"takes {n} operand(s), got {len(items)}")
    return [comp.expr(v, f"{where}[{i}]", depth, names) for i, v in enumerate(items)]


def _binary(fn: Callable[[Frame, Any, Any], Any]) -> Callable[..., Fn]:
    def build(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
        ops = _operands(comp, arg, where, depth, names, 2)
        if len(ops) != 2:
            return lambda fr: None
        a, b = ops

        def run(fr: Frame) -> Any:
            fr.work += 1
            return fn(fr, a(fr), b(fr))

        return run

    return build


def _eq(fr: Frame, x: Any, y: Any) -> bool:
    if isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
        fr.measured(x)
        fr.measured(y)
    return same(x, y)


def _order(cmp: Callable[[Any, Any], bool]) -> Callable[[Frame, Any, Any], bool]:
    def run(fr: Frame, x: Any, y: Any) -> bool:
        if isinstance(x, str) and isinstance(y, str):
            return cmp(x, y)
        if (
            isinstance(x, (int, float))
            and isinstance(y, (int, float))
            and not isinstance(x, bool)
            and not isinstance(y, bool)
        ):
            return cmp(x, y)
        return False

    return run


def _in(fr: Frame, needle: Any, hay: Any) -> bool:
    if isinstance(hay, list):
        fr.spend(len(hay))
        return any(_eq(fr, needle, v) for v in hay)
    if isinstance(hay, dict):
        return isinstance(needle, str) and needle in hay
    if isinstance(hay, str) and isinstance(needle, str):
        return needle in hay
    return False


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Frame, Any, Any], Any]:
    def run(fr: Frame, x: Any, y: Any) -> Any:
        return number(fr, fn(number(fr, x), number(fr, y)))

    return run


def _div(x: Any, y: Any) -> Any:
    if y == 0:
        raise ProgramError("division by zero")
    return x / y


def _round(fr: Frame, x: Any, nd: Any) -> Any:
    nd = number(fr, nd)
    if not isinstance(nd, int) or not 0 <= nd <= 12:
        raise ProgramError("$round takes 0-12 digits")
    return round(number(fr, x), nd)


def _get_key(fr: Frame, obj: Any, key: Any) -> Any:
    return get(obj, key if isinstance(key, str) else text(key))


def _pick(fr: Frame, obj: Any, keys: Any) -> Any:
    if not isinstance(obj, dict) or not isinstance(keys, list):
        return None
    fr.spend(len(keys))
    return {k: obj[k] for k in keys if isinstance(k, str) and k in obj}


def _variadic(fn: Callable[[Frame, list[Fn]], Any]) -> Callable[..., Fn]:
    def build(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
        if not isinstance(arg, list):
            comp.bad(where, "takes a list of operands")
            return lambda fr: None
        ops = _operands(comp, arg, where, depth, names, None)
        return lambda fr: fn(fr, ops)

    return build


def _and(fr: Frame, ops: list[Fn]) -> bool:
    fr.work += 1
    return all(truthy(f(fr)) for f in ops)


def _or(fr: Frame, ops: list[Fn]) -> bool:
    fr.work += 1
    return any(truthy(f(fr)) for f in ops)


def _coalesce(fr: Frame, ops: list[Fn]) -> Any:
    for f in ops:
        v = f(fr)
        if v is not None:
            return v
    return None


def _concat(fr: Frame, ops: list[Fn]) -> str:
    parts = []
    for f in ops:
        v = f(fr)
        if isinstance(v, (dict, list)):
            fr.measured(v)
        parts.append(text(v))
    return fr.measured("".join(parts))


def _merge(fr: Frame, ops: list[Fn]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in ops:
        v = f(fr)
        if isinstance(v, dict):
            fr.spend(len(v))
            out.update(v)
    return out


def _unary(fn: Callable[[Frame, Any], Any]) -> Callable[..., Fn]:
    def build(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
        f = comp.expr(arg, where, depth, names)

        def run(fr: Frame) -> Any:
            fr.work += 1
            return fn(fr, f(fr))

        return run

    return build


def _len(fr: Frame, v: Any) -> int:
    return len(v) if isinstance(v, (str, list, dict)) else 0


def _if(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
    ops = _operands(comp, arg, where, depth, names, 3)
    if len(ops) != 3:
        return lambda fr: None
    c, a, b = ops
    return lambda fr: a(fr) if truthy(c(fr)) else b(fr)


def _walk_query(node: dict[str, Any], found: set[str]) -> None:
    if node.get("type") == "function_expression":
        found.add(str(node.get("value")))
    for child in node.get("children") or ():
        if isinstance(child, dict):
            _walk_query(child, found)


def _query(comp: Compiler, arg: Any, where: str, depth: int, names: frozenset[str]) -> Fn:
    import jmespath
    from jmespath.exceptions import JMESPathError

    if not isinstance(arg, str) or not arg.strip():
        return comp.bad(where, "$query takes a JMESPath expression string")
    if len(arg) > comp.limits.max_query_chars:
        return comp.bad(where, f"a query longer than {comp.limits.max_query_chars} characters")
    try:
        parsed = jmespath.compile(arg)
        found: set[str] = set()
        _walk_query(parsed.parsed, found)
    except (JMESPathError, RecursionError, ValueError) as exc:
        return comp.bad(where, f"not a valid JMESPath query: {str(exc).splitlines()[0][:160]}")
    unknown = found - QUERY_FUNCTIONS
    if unknown:
        return comp.bad(where, f"unknown query function(s) {', '.join(sorted(unknown))}")
    if "state" in arg:
        comp.reads.update(t for t in _state_keys(parsed.parsed))
    options = jmespath.Options(dict_cls=dict)

    def run(fr: Frame) -> Any:
        fr.work += 1
        try:
            out = parsed.search(fr.vars, options=options)
        except (JMESPathError, RecursionError, ValueError, TypeError) as exc:
            raise ProgramError(f"query failed: {str(exc).splitlines()[0][:120]}") from None
        return fr.measured(out)

    return run


def _state_keys(node: dict[str, Any]) -> set[str]:
    """Fields read right after ``state`` in a parsed query (``state.orders`` -> orders)."""
    out: set[str] = set()
    kids = [c for c in node.get("children") or () if isinstance(c, dict)]
    if (
        node.get("type") == "subexpression"
        and len(kids) == 2
        and kids[0].get("value") == "state"
        and kids[1].get("type") == "field"
    ):
        out.add(str(kids[1].get("value")))
    for c in kids:
        out |= _state_keys(c)
    return out


def _str_fn(fn: Callable[[str], str]) -> Callable[[Frame, Any], Any]:
    return lambda fr, v: fn(v) if isinstance(v, str) else v


def _guarded(fn: Callable[[Frame, Any, Any], Any]) -> Callable[[Frame, Any, Any], Any]:
    def run(fr: Frame, x: Any, y: Any) -> Any:
        try:
            return fn(fr, x, y)
        except OverflowError:
            raise ProgramLimitError("program limit: a number out of range") from None

    return run


OPERATORS: dict[str, Callable[..., Fn]] = {
    "$eq": _binary(_eq),
    "$ne": _binary(lambda fr, x, y: not _eq(fr, x, y)),
    "$lt": _binary(_order(lambda x, y: x < y)),
    "$le": _binary(_order(lambda x, y: x <= y)),
    "$gt": _binary(_order(lambda x, y: x > y)),
    "$ge": _binary(_order(lambda x, y: x >= y)),
    "$in": _binary(_in),
    "$and": _variadic(_and),
    "$or": _variadic(_or),
    "$not": _unary(lambda fr, v: not truthy(v)),
    "$add": _binary(_guarded(_arith(lambda x, y: x + y))),
    "$sub": _binary(_guarded(_arith(lambda x, y: x - y))),
    "$mul": _binary(_guarded(_arith(lambda x, y: x * y))),
    "$div": _binary(_guarded(_arith(_div))),
    "$round": _binary(_round),
    "$concat": _variadic(_concat),
    "$lower": _unary(_str_fn(str.lower)),
    "$upper": _unary(_str_fn(str.upper)),
    "$len": _unary(_len),
    "$get": _binary(_get_key),
    "$pick": _binary(_pick),
    "$merge": _variadic(_merge),
    "$coalesce": _variadic(_coalesce),
    "$if": _if,
    "$query": _query,
}
