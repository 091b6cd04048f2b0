"""The writing steps of the program language and the JSON Patch machinery under them.

The steps are ``update``, ``insert``, ``delete`` and ``patch``.

Writes are RFC 6902 JSON Patch operations (``add``, ``replace``, ``remove``) applied to the live
state as they run, each recorded with an undo entry, so a call that fails later leaves the state
exactly as it was (:func:`rollback`). ``update``/``insert``/``delete`` act on records a ``find``
bound (their JSON Pointer is known); ``patch`` takes raw operations whose ``path`` is a pointer
template. :func:`as_patch` turns the applied operations into JSON Patch dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from .lang import Compiler, Fn, Frame, pointer, template_error, text
from .limits import ProgramError, ProgramLimitError

__all__ = ["WRITE_STEPS", "apply_op", "as_patch", "rollback"]

Step = Callable[[Frame], "tuple | None"]
_ABSENT = object()


def _copy(fr: Frame, value: Any) -> Any:
    """A private copy of a value about to enter the state (no aliasing), charged to the write budget."""
    if not isinstance(value, (dict, list, str)):
        return value
    fr.measured(value)
    raw = orjson.dumps(value)
    fr.written += len(raw)
    if fr.written > fr.limits.max_write_bytes:
        raise ProgramLimitError(f"program limit: a call may write at most {fr.limits.max_write_bytes} bytes")
    return orjson.loads(raw) if not isinstance(value, str) else value


def _resolve(state: Any, parts: tuple[Any, ...]) -> Any:
    for p in parts:
        if isinstance(state, dict):
            state = state.get(p, _ABSENT) if isinstance(p, str) else _ABSENT
        elif isinstance(state, list) and isinstance(p, int) and 0 <= p < len(state):
            state = state[p]
        else:
            return _ABSENT
        if state is _ABSENT:
            return _ABSENT
    return state


def apply_op(fr: Frame, op: str, parts: tuple[Any, ...], value: Any = None) -> None:
    """Apply one JSON Patch operation at ``parts`` (a parsed pointer; ``"-"`` appends), with undo."""
    if not parts:
        raise ProgramError("a write cannot replace the whole state")
    parent = _resolve(fr.vars["state"], parts[:-1])
    key = parts[-1]
    if isinstance(parent, dict):
        key = text(key)
        old = parent.get(key, _ABSENT)
        if op == "remove" or (op == "replace" and old is _ABSENT):
            if old is _ABSENT:
                raise ProgramError(f"nothing at {pointer(parts)} to {op}")
        if op == "remove":
            del parent[key]
        else:
            parent[key] = value
        fr.undo.append((parent, key, old))
    elif isinstance(parent, list):
        if key == "-" and op == "add":
            key = len(parent)
        try:
            key = int(key)
        except (TypeError, ValueError):
            raise ProgramError(f"{pointer(parts)}: not a list index") from None
        if op == "add" and 0 <= key <= len(parent):
            parent.insert(key, value)
            fr.undo.append((parent, key, _ABSENT))
        elif op in ("replace", "remove") and 0 <= key < len(parent):
            old = parent[key]
            if op == "remove":
                del parent[key]
                fr.undo.append((parent, key, ("__removed__", old)))
            else:
                parent[key] = value
                fr.undo.append((parent, key, ("__replaced__", old)))
        else:
            raise ProgramError(f"{pointer(parts)}: index out of range")
    else:
        raise ProgramError(f"nothing at {pointer(parts[:-1])} to write into")
    fr.ops.append((op, parts, value))


def as_patch(ops: list[tuple[str, tuple[Any, ...], Any]]) -> list[dict[str, Any]]:
    """Applied operations as RFC 6902 JSON Patch dicts (values copied: the state may change later)."""
    out = []
    for op, parts, value in ops:
        rec: dict[str, Any] = {"op": op, "path": pointer(parts)}
        if op != "remove":
            rec["value"] = orjson.loads(orjson.dumps(value)) if isinstance(value, (dict, list)) else value
        out.append(rec)
    return out


def rollback(fr: Frame) -> None:
    """Undo every operation of a failed call, newest first."""
    for parent, key, old in reversed(fr.undo):
        if isinstance(parent, dict):
            if old is _ABSENT:
                parent.pop(key, None)
            else:
                parent[key] = old
        elif old is _ABSENT:
            del parent[key]
        elif old[0] == "__removed__":
            parent.insert(key, old[1])
        else:
            parent[key] = old[1]
    fr.undo.clear()
    fr.ops.clear()


def _record(comp: Compiler, name: Any, where: str) -> str:
    comp.writes = True
    if name not in comp.records:
        comp.bad(where, f"'{name}' is not a record bound by an earlier find")
    return str(name)


def _update(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    name = _record(comp, node["update"], where)
    fields = node.get("set")
    if not isinstance(fields, dict) or not fields:
        comp.bad(f"{where}.set", "set is an object {field: value}")
        fields = {}
    sets = [(k, comp.expr(v, f"{where}.set.{k}", depth + 1)) for k, v in fields.items()]

    def run(fr: Frame) -> None:
        rec = fr.vars.get(name)
        at = fr.paths.get(name)
        if not isinstance(rec, dict) or at is None:
            raise ProgramError(f"nothing to update: '{name}' is not a record")
        values = [(k, f(fr)) for k, f in sets]  # read every value before the first write
        for k, v in values:
            v = _copy(fr, v)
            old = rec.get(k, _ABSENT)
            rec[k] = v
            fr.undo.append((rec, k, old))
            fr.ops.append(("add" if old is _ABSENT else "replace", (*at, k), v))
        return None

    return run


def _insert(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    segs, read = comp.collection(node["insert"], where)
    comp.writes = True
    value = comp.expr(node.get("value"), f"{where}.value", depth + 1)
    key = comp.expr(node["key"], f"{where}.key", depth + 1) if "key" in node else None
    exists = template_error(comp, node.get("else"), f"{where}.else", "the record already exists")
    name = comp.bind(node["as"], f"{where}.as", record=True) if "as" in node else None

    def run(fr: Frame) -> None:
        coll = read(fr)
        v = _copy(fr, value(fr))
        if isinstance(coll, dict):
            if key is None:
                raise ProgramError(f"inserting into {'.'.join(segs)} needs a key")
            k = text(key(fr))
            if k in coll:
                raise ProgramError(exists(fr))
            at: tuple[Any, ...] = (*segs, k)
        elif isinstance(coll, list):
            at = (*segs, len(coll))
        else:
            raise ProgramError(f"{'.'.join(segs)} is not a collection")
        apply_op(fr, "add", at, v)
        if name is not None:
            fr.vars[name] = v
            fr.paths[name] = at
        return None

    return run


def _delete(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    name = _record(comp, node["delete"], where)

    def run(fr: Frame) -> None:
        at = fr.paths.pop(name, None)
        if at is None:
            raise ProgramError(f"nothing to delete: '{name}' is not a record")
        apply_op(fr, "remove", at)
        fr.vars[name] = None
        return None

    return run


def _patch(comp: Compiler, node: dict[str, Any], where: str, depth: int) -> Step:
    ops = node["patch"]
    comp.writes = True
    if not isinstance(ops, list) or not ops:
        return comp.bad(where, "patch is a list of JSON Patch operations")
    built: list[tuple[str, Callable[[Frame], tuple[Any, ...]], Fn | None]] = []
    for i, op in enumerate(ops):
        w = f"{where}[{i}]"
        if (
            not isinstance(op, dict)
            or op.get("op") not in ("add", "replace", "remove")
            or not isinstance(op.get("path"), str)
            or not op["path"].startswith(("/", "$"))
        ):
            comp.bad(w, "each operation is {op: add|replace|remove, path: '/a/b' or '$record/field', value}")
            continue
        unknown = set(op) - {"op", "path", "value"}
        if unknown:
            comp.bad(w, f"unknown keys {sorted(unknown)} (move/copy/test are not supported)")
        built.append(
            (
                op["op"],
                _path(comp, op["path"], w),
                comp.expr(op.get("value"), f"{w}.value", depth + 1) if op["op"] != "remove" else None,
            )
        )

    def run(fr: Frame) -> None:
        for kind, path, value in built:
            apply_op(fr, kind, path(fr), _copy(fr, value(fr)) if value is not None else None)
        return None

    return run


def _path(comp: Compiler, tpl: str, where: str) -> Callable[[Frame], tuple[Any, ...]]:
    """A pointer template: ``/users/{args.user_id}/balance`` or ``$order/status`` (a found record)."""
    base: str | None = None
    if tpl.startswith("$"):
        head, _, tpl = tpl[1:].partition("/")
        base = _record(comp, head, where)
        tpl = "/" + tpl if tpl else ""
    tokens = [comp.string(t, where, frozenset()) for t in tpl.split("/")[1:]]
    if base is None and tokens:
        comp.reads.add(tpl.split("/")[1])

    def run(fr: Frame) -> tuple[Any, ...]:
        parts: tuple[Any, ...] = ()
        if base is not None:
            at = fr.paths.get(base)
            if at is None:
                raise ProgramError(f"'{base}' is not a record")
            parts = at
        return (*parts, *(text(t(fr)).replace("~1", "/").replace("~0", "~") for t in tokens))

    return run


WRITE_STEPS: dict[str, Callable[[Compiler, dict[str, Any], str, int], Step]] = {
    "update": _update,
    "insert": _insert,
    "delete": _delete,
    "patch": _patch,
}
