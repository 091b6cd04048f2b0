"""Executing calls and checking episodes with bfcl-eval's own code (no re-implementation).

:class:`BFCLExecutor` runs an episode's calls through ``execute_multi_turn_func_call`` against
bfcl-eval's classes seeded with the entry's ``initial_config``; :func:`check_entry` scores the
recorded calls with ``multi_turn_checker``. bfcl-eval keeps class instances in a module-level
dict keyed by model name and entry id: each executor and each check uses a unique key prefix and
removes its instances when done, so episodes never share state and memory does not grow.

Calls are data, never code: bfcl-eval builds ``name(key=repr(value))`` strings and ``eval``s them,
so a call is executed (and recorded for the checker) only when its name is one of the entry's
functions and every argument name is a plain identifier; any other call gets an error result and
is not recorded (see docs/sections/bfcl.md, "Deviations").
"""

from __future__ import annotations

import ast
import copy
import inspect
import itertools
import keyword
import re
import uuid
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from tools_registry.errors import ConfigError

from ._bfcl import require_bfcl
from .data import BFCLEntry

__all__ = [
    "BFCLExecutor",
    "check_entry",
    "check_turns",
    "ground_truth_tool_calls",
    "parse_call_string",
    "to_call_strings",
    "unsafe_call_reason",
]

_COUNTER = itertools.count()


def _namespace() -> str:
    return f"gem{next(_COUNTER)}x{uuid.uuid4().hex[:8]}"


def _forget(prefix: str) -> None:
    """Drop bfcl-eval's cached instances whose names start with ``prefix`` (they are per-episode)."""
    g = require_bfcl().utils_globals
    prefix = re.sub(r"[-./:]", "_", prefix)
    for key in [k for k in g if k.startswith(prefix) and k.endswith("_instance")]:
        del g[key]


def unsafe_call_reason(name: str, arguments: Any, allowed: Iterable[str]) -> str | None:
    """Why a call must not reach bfcl-eval's ``eval`` (None when it may)."""
    if name not in set(allowed):
        return f"unknown function '{name}'"
    if not isinstance(arguments, dict):
        return f"arguments for '{name}' must be an object, got {type(arguments).__name__}"
    for key in arguments:
        if not (isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)):
            return f"invalid argument name {key!r} for '{name}'"
    return None


def to_call_strings(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """bfcl-eval's own FC decoding (``convert_to_function_call``) of ``[(name, arguments), ...]``."""
    return require_bfcl().convert_to_function_call([{name: args} for name, args in calls])


class BFCLExecutor:
    """bfcl-eval's classes for one episode of one entry; executes calls and records them per turn and step.

    Args:
        entry: The BFCL entry.

    Attributes:
        turns: Per user turn, per assistant step, the executed call strings (the checker's input).
    """

    def __init__(self, entry: BFCLEntry):
        self.entry = entry
        self._ns = _namespace()
        self.allowed = {d["name"] for d in entry.all_functions}
        self.turns: list[list[list[str]]] = []
        self.instances: dict[str, Any] = {}
        self._run([])  # instantiate and seed the classes now, as bfcl-eval's inference does

    def _run(self, call_strings: list[str]) -> list[str]:
        bfcl = require_bfcl()
        results, self.instances = bfcl.execute_multi_turn_func_call(
            call_strings,
            self.entry.initial_config,
            self.entry.involved_classes,
            self._ns,
            self.entry.id,
            long_context=self.entry.long_context,
            is_evaL_run=False,
        )
        return results

    def begin_turn(self) -> None:
        """Start recording a new user turn."""
        self.turns.append([])

    def execute_step(self, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Execute one assistant message's calls (in order); returns one result string per call.

        Safe calls run through bfcl-eval and are recorded as one step of the current turn; unsafe
        ones are answered with an error and not recorded.
        """
        if not self.turns:
            self.begin_turn()
        results: list[str | None] = []
        safe: list[tuple[str, dict[str, Any]]] = []
        for name, args in calls:
            reason = unsafe_call_reason(name, args, self.allowed)
            if reason is None:
                safe.append((name, copy.deepcopy(args)))
                results.append(None)
            else:
                results.append(f"Error during execution: {reason}")
        if safe:
            strings = to_call_strings(safe)
            executed = iter(self._run(strings))
            self.turns[-1].append(strings)
            results = [next(executed) if r is None else r for r in results]
        return [r for r in results if r is not None]

    def state(self) -> dict[str, Any]:
        """Public attributes of every stateful instance (bfcl-eval's notion of state), by class."""
        stateless = set(require_bfcl().STATELESS_CLASSES)
        return {
            cls: {k: v for k, v in vars(inst).items() if not k.startswith("_")}
            for cls, inst in self.instances.items()
            if cls not in stateless
        }

    def snapshot(self) -> tuple[dict[str, Any], list[list[list[str]]]]:
        """Deep copies of the class instances and the executed turns."""
        return copy.deepcopy(self.instances), copy.deepcopy(self.turns)

    def restore(self, snapshot: tuple[dict[str, Any], list[list[list[str]]]]) -> None:
        """Put the instances and turns back to a ``snapshot``."""
        instances, turns = copy.deepcopy(snapshot)
        g = require_bfcl().utils_globals
        for cls, inst in instances.items():
            g[re.sub(r"[-./:]", "_", f"{self._ns}_{self.entry.id}_{cls}_instance")] = inst
        self.instances, self.turns = instances, turns

    def close(self) -> None:
        """Drop this executor's instances and namespace."""
        _forget(self._ns)
        self.instances = {}

    def __del__(self) -> None:  # pragma: no cover - best effort when close() was not called
        try:
            _forget(self._ns)
        except (ConfigError, ImportError, AttributeError, TypeError, KeyError):  # interpreter shutdown
            return


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"valid": bool(result.get("valid"))}
    if not out["valid"]:
        out["error_type"] = result.get("error_type")
        out["error_message"] = result.get("error_message")
    return out


def check_entry(entry: BFCLEntry, turns: list[list[list[str]]], *, details: bool = False) -> dict[str, Any]:
    """bfcl-eval's ``multi_turn_checker`` on recorded calls (per turn, per step, call strings).

    Fewer turns than the ground truth fails as bfcl-eval's evaluation fails it
    (``multi_turn:force_terminated``). Returns ``{"valid", "error_type", "error_message"}``
    (plus bfcl-eval's ``details`` when asked).
    """
    bfcl = require_bfcl()
    if len(turns) != len(entry.ground_truth):
        return {
            "valid": False,
            "error_type": "multi_turn:force_terminated",
            "error_message": f"The length of the model result turns ({len(turns)}) does not match "
            f"the length of the ground truth turns ({len(entry.ground_truth)}).",
        }
    # bfcl-eval's evaluation skips steps whose decoded calls are empty
    decoded = [[step for step in turn if not bfcl.is_empty_execute_response(step)] for turn in turns]
    ns = _namespace()
    try:
        result = bfcl.multi_turn_checker(
            decoded, copy.deepcopy(entry.ground_truth), entry.test_entry, entry.id.rsplit("_", 1)[0], ns
        )
    finally:
        _forget(ns)
    return result if details else _summary(result)


def check_turns(entry: BFCLEntry, turns: list[list[list[str]]]) -> list[dict[str, Any]]:
    """Per-turn breakdown: turn ``t`` passes when bfcl-eval's checker accepts turns ``0..t``.

    The checker stops at the first failing turn, so later turns are reported as not checked.
    """
    out: list[dict[str, Any]] = []
    failed = False
    for t in range(len(turns)):
        if failed:
            out.append(
                {"turn": t, "valid": False, "error_type": "not_checked", "error_message": "an earlier turn failed"}
            )
            continue
        prefix = BFCLEntry(**{**vars(entry), "ground_truth": entry.ground_truth[: t + 1]})
        res = check_entry(prefix, turns[: t + 1])
        out.append({"turn": t, **res})
        failed = not res["valid"]
    return out


# ---- ground truth as tool calls ----------------------------------------------------------------


def _methods(entry: BFCLEntry) -> dict[str, inspect.Signature]:
    mapping = require_bfcl().CLASS_FILE_PATH_MAPPING
    out: dict[str, inspect.Signature] = {}
    for cls_name in entry.involved_classes:
        cls = getattr(import_module(mapping[cls_name]), cls_name)
        for name, fn in inspect.getmembers(cls, predicate=inspect.isfunction):
            if not name.startswith("_"):
                out.setdefault(name, inspect.signature(fn))
    return out


def parse_call_string(call: str, signatures: dict[str, inspect.Signature] | None = None) -> tuple[str, dict[str, Any]]:
    """Parse a call string: ``"cd(folder='x')"`` -> ``("cd", {"folder": "x"})``.

    Positional arguments are named from the method's signature in bfcl-eval's class (BFCL's
    ground truth sometimes writes them positionally).
    """
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"not a call: {call!r} ({exc})") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ConfigError(f"not a plain function call: {call!r}")
    name = node.func.id
    args: dict[str, Any] = {}
    if node.args:
        sig = (signatures or {}).get(name)
        if sig is None:
            raise ConfigError(f"{call!r}: positional arguments but no signature for '{name}'")
        params = [p for p in sig.parameters.values() if p.name != "self"]
        for param, value in zip(params, node.args):
            args[param.name] = ast.literal_eval(value)
    for kw in node.keywords:
        if kw.arg is None:
            raise ConfigError(f"{call!r}: '**' argument unpacking is not supported")
        args[kw.arg] = ast.literal_eval(kw.value)
    return name, args


def ground_truth_tool_calls(entry: BFCLEntry) -> list[list[tuple[str, dict[str, Any]]]]:
    """The entry's ground truth as ``(name, arguments)`` tool calls, per turn."""
    sigs = _methods(entry)
    return [[parse_call_string(c, sigs) for c in turn] for turn in entry.ground_truth]
