"""The reading and control steps of the program language.

Find/filter records, let, check/fail, if, return. The writing steps are in ``writes.py``;
``STEPS`` maps every step keyword to its compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lang import Compiler, Fn, Frame, is_ref, same, template_error, text, truthy
from .limits import ProgramError
from .writes import WRITE_STEPS

__all__ = ["STEPS"]

Step = Callable[[Frame], "tuple | None"]


def _scanner(
    comp: Compiler, node: dict[str, Any], where: str, depth: int
) -> Callable[[Frame, Any, bool], list[tuple[Any, Any]]]:
    """``scan(frame, collection, first)``: the ``(key, record)`` pairs matching ``where``/``when``.

    ``where`` values are evaluated once per scan (they cannot read ``$item``); ``when`` per record.
    """
    conds: list[tuple[str, Fn]] = []
    w = node.get("where")
    if w is not None:
        if not isinstance(w, dict) or not w:
            comp.bad(f"{where}.where", "where is an object {field: value}")
        else:
            conds = [(k, comp.expr(v, f"{where}.where.{k}", depth + 1)) for k, v in w.items()]
    when = comp.expr(node["when"], f"{where}.when", depth + 1, frozenset({"item"})) if "when" in node else None

    def scan(fr: Frame, coll: Any, first: bool) -> list[tuple[Any, Any]]:
        if type(coll) is list:
            items: Any = enumerate(coll)
        elif type(coll) is dict:
            items = coll.items()
        else:
            return []
        fr.spend(len(coll))
        wanted = [(k, f(fr)) for k, f in conds]
        out = []
        for key, rec in items:
            if wanted:
                if type(rec) is not dict:
                    continue
                ok = True
                for k, v in wanted:
                    if not same(rec.get(k), v):
                        ok = False
                        break
                if not ok:
                    continue
            if when is not None:
                fr.vars["item"] = rec
                if not truthy(when(fr)):
                    continue
            out.append((key, rec))
            if first:
                break
        return out

    return scan


def _find(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    segs, read = comp.collection(node["find"], where)
    scan = _scanner(comp, node, where, depth)
    key = comp.expr(node["key"], f"{where}.key", depth + 1) if "key" in node else None
    optional = bool(node.get("optional"))
    noun = segs[-1].rstrip("s") if segs else "record"
    missing = template_error(comp, node.get("else"), f"{where}.else", f"{noun} not found")
    name = comp.bind(node.get("as"), f"{where}.as", record=True)
    plain = "where" not in node and "when" not in node

    def run(fr: Frame) -> None:
        coll = read(fr)
        hit: Any = None
        if key is not None:
            k = key(fr)
            fr.work += 1
            if type(coll) is dict:
                k = text(k)
                if k in coll:
                    hit = (k, coll[k]) if plain else next(iter(scan(fr, {k: coll[k]}, True)), None)
            elif type(coll) is list and isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(coll):
                hit = (k, coll[k]) if plain else next(iter(scan(fr, {k: coll[k]}, True)), None)
        else:
            found = scan(fr, coll, True)
            hit = found[0] if found else None
        if hit is None:
            if not optional:
                raise ProgramError(missing(fr))
            fr.vars[name] = None
            fr.paths.pop(name, None)
            return None
        fr.vars[name] = hit[1]
        fr.paths[name] = (*segs, hit[0])
        return None

    return run


def _filter(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    segs, read = comp.collection(node["filter"], where)
    scan = _scanner(comp, node, where, depth)
    select = comp.expr(node["select"], f"{where}.select", depth + 1, frozenset({"item"})) if "select" in node else None
    sort_by = node.get("sort_by")
    if sort_by is not None and not isinstance(sort_by, str):
        comp.bad(f"{where}.sort_by", "sort_by is a field name")
    limit = node.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        comp.bad(f"{where}.limit", "limit is a non-negative integer")
    name = comp.bind(node.get("as"), f"{where}.as")

    def run(fr: Frame) -> None:
        out = [rec for _, rec in scan(fr, read(fr), False)]
        if sort_by:
            out.sort(
                key=lambda r: (
                    (0, str(type(r.get(sort_by)).__name__), r.get(sort_by))
                    if isinstance(r, dict) and r.get(sort_by) is not None
                    else (1, "", 0)
                )
            )
        if limit is not None:
            out = out[:limit]
        if select is not None:
            items = []
            for rec in out:
                fr.vars["item"] = rec
                items.append(select(fr))
            out = items
        fr.vars[name] = fr.measured(out) if select is not None else out  # records of the state: a tree
        return None

    return run


def _let(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    value = comp.expr(node.get("value"), f"{where}.value", depth + 1)
    name = comp.bind(node["let"], where)
    plain = is_ref(value)

    def run(fr: Frame) -> None:
        v = value(fr)
        fr.vars[name] = v if plain else fr.measured(v)
        fr.work += 1
        return None

    return run


def _check(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    cond = comp.expr(node["check"], where, depth + 1)
    msg = template_error(comp, node.get("else"), f"{where}.else", "the request is not allowed")

    def run(fr: Frame) -> None:
        fr.work += 1
        if not truthy(cond(fr)):
            raise ProgramError(msg(fr))
        return None

    return run


def _fail(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    msg = template_error(comp, node["fail"], where, "the request failed")

    def run(fr: Frame) -> None:
        raise ProgramError(msg(fr))

    return run


def _if(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    cond = comp.expr(node["if"], where, depth + 1)
    then = comp.block(node.get("then", []), f"{where}.then", depth + 1)
    other = comp.block(node.get("else", []), f"{where}.else", depth + 1)

    def run(fr: Frame) -> tuple | None:
        fr.work += 1
        return then(fr) if truthy(cond(fr)) else other(fr)

    return run


def _return(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    value = comp.expr(node["return"], where, depth + 1)
    if is_ref(value):
        return lambda fr: (value(fr), True)
    return lambda fr: (value(fr),)


STEPS: dict[str, Callable[[Compiler, dict[str, Any], str, int], Step]] = {
    "find": _find,
    "filter": _filter,
    "let": _let,
    "check": _check,
    "fail": _fail,
    "if": _if,
    "return": _return,
    **WRITE_STEPS,
}
