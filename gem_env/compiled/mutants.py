"""Program mutants, to measure how strong the verifier is (``benchmarks/bench_compile.py``).

Four kinds: ``constant`` (a literal changed: text gets a suffix, numbers +1, booleans flipped),
``drop_write`` (one field of an ``update`` or one write step removed), ``invert`` (a ``check``/``if``
condition negated, ``$eq``/``$ne`` and ``$lt``/``$ge``/``$gt``/``$le`` swapped) and ``swap_field``
(a field named in a ``where``, a ``set`` or a ``$name.field`` read replaced by another field of the
state). :func:`mutation_score` replays a reference on the original and on each mutant and counts
the mutants that change an output or the final state which the verifier rejects.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson

from .limits import ProgramCompileError, ProgramError
from .program import ProgramSet
from .verify import reference_calls, verify_reference

__all__ = ["mutants", "mutation_score"]

_FLIP = {"$eq": "$ne", "$ne": "$eq", "$lt": "$ge", "$ge": "$lt", "$gt": "$le", "$le": "$gt"}
_WRITES = ("update", "insert", "delete", "patch")
_STRUCT = {"find", "filter", "insert", "as", "let", "update", "delete", "sort_by", "op", "path"}


def _fields(state: Any, out: set[str] | None = None) -> set[str]:
    out = set() if out is None else out
    if isinstance(state, dict):
        for k, v in state.items():
            out.add(k)
            _fields(v, out)
    elif isinstance(state, list):
        for v in state[:20]:
            _fields(v, out)
    return out


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    root = copy.deepcopy(root)
    node = root
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return root


def _drop(root: Any, path: tuple[Any, ...]) -> Any:
    root = copy.deepcopy(root)
    node = root
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return root


def mutants(program: dict[str, Any], state: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(kind, description, mutated program)`` for one tool's program over ``state``."""
    fields = sorted(_fields(state))
    for path, node in _walk(program):
        key = path[-1] if path else None
        if isinstance(key, str) and key in _STRUCT:
            continue
        if isinstance(node, bool):
            yield "constant", f"{path}: {node} -> {not node}", _set(program, path, not node)
        elif isinstance(node, (int, float)) and key is not None:
            yield "constant", f"{path}: {node} -> {node + 1}", _set(program, path, node + 1)
        elif isinstance(node, str) and key is not None and not node.startswith("$"):
            yield "constant", f"{path}: {node!r} + 'X'", _set(program, path, node + "X")
        if isinstance(node, str) and node.startswith("$") and "." in node:
            root, _, field = node.rpartition(".")
            for other in fields[:]:
                if other != field:
                    yield "swap_field", f"{path}: .{field} -> .{other}", _set(program, path, f"{root}.{other}")
                    break
        if isinstance(node, dict):
            if "check" in node or ("if" in node and ("then" in node or "else" in node)):
                k = "check" if "check" in node else "if"
                yield "invert", f"{path}.{k}: negated", _set(program, (*path, k), {"$not": node[k]})
            for op, flipped in _FLIP.items():
                if op in node and len(node) == 1:
                    yield "invert", f"{path}: {op} -> {flipped}", _set(program, path, {flipped: node[op]})
            if isinstance(node.get("set"), dict):
                for f in node["set"]:
                    yield "drop_write", f"{path}.set.{f}: dropped", _drop(program, (*path, "set", f))
                    for other in fields:
                        if other != f and other not in node["set"]:
                            swapped = {(other if k == f else k): v for k, v in node["set"].items()}
                            yield "swap_field", f"{path}.set: {f} -> {other}", _set(program, (*path, "set"), swapped)
                            break
            if isinstance(node.get("where"), dict):
                for f in node["where"]:
                    for other in fields:
                        if other != f and other not in node["where"]:
                            swapped = {(other if k == f else k): v for k, v in node["where"].items()}
                            yield (
                                "swap_field",
                                f"{path}.where: {f} -> {other}",
                                _set(program, (*path, "where"), swapped),
                            )
                            break
            if any(k in node for k in _WRITES) and path and isinstance(path[-1], int):
                yield "drop_write", f"{path}: write step dropped", _drop(program, path)


def _replay(ps: ProgramSet, calls: list[tuple[str, dict[str, Any], str]], state: dict[str, Any]) -> Any:
    state = orjson.loads(orjson.dumps(state))
    outs = []
    for name, args, _ in calls:
        try:
            outs.append(ps.call(state, name, orjson.loads(orjson.dumps(args)))[0])
        except ProgramError as exc:
            outs.append(f"Error: {exc}")
    return outs, state


def mutation_score(
    programs: dict[str, Any],
    messages: list[Any],
    initial_state: dict[str, Any],
    *,
    expected_final_state: dict[str, Any] | None = None,
    read_only: set[str] | None = None,
) -> dict[str, Any]:
    """Mutants of every program, replayed on a reference; how many the verifier rejects.

    A mutant that does not compile counts as rejected (``compile_rejected``); one whose outputs and
    final state on the reference equal the original's is equivalent there and not scored.
    """
    base = ProgramSet(programs)
    calls = reference_calls(messages)
    want = _replay(base, calls, initial_state)
    counts: dict[str, dict[str, int]] = {}
    missed: list[str] = []
    for tool, src in programs["tools"].items():
        for kind, desc, mutated in mutants(src, initial_state):
            row = counts.setdefault(kind, {"mutants": 0, "equivalent": 0, "rejected": 0, "compile_rejected": 0})
            row["mutants"] += 1
            data = {**programs, "tools": {**programs["tools"], tool: mutated}}
            try:
                ps = ProgramSet(data)
            except ProgramCompileError:
                row["compile_rejected"] += 1
                row["rejected"] += 1
                continue
            if _replay(ps, calls, initial_state) == want:
                row["equivalent"] += 1
                continue
            ver = verify_reference(
                ps, messages, initial_state, expected_final_state=expected_final_state, read_only=read_only
            )
            if ver.passed:
                missed.append(f"{tool} {kind} {desc}")
            else:
                row["rejected"] += 1
    scored = sum(r["mutants"] - r["equivalent"] for r in counts.values())
    rejected = sum(r["rejected"] for r in counts.values())
    return {
        "kinds": counts,
        "scored": scored,
        "rejected": rejected,
        "score": rejected / scored if scored else 1.0,
        "missed": missed,
    }
