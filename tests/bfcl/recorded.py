"""Recorded BFCL results for tests: ground truth in bfcl-eval's result-file format, with corruptions."""

from __future__ import annotations

import json
from typing import Any

from gem_env.bfcl.data import BFCLEntry
from gem_env.bfcl.execution import ground_truth_tool_calls

#: How entry i is corrupted: CORRUPTIONS[i % len(CORRUPTIONS)].
CORRUPTIONS = (
    "none",
    "drop_call",
    "wrong_value",
    "text_only",
    "unknown_function",
    "bad_json",
    "parallel",
    "step_limit",
    "extra_call",
    "none",
)


def _step(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    return [{name: json.dumps(args)} for name, args in calls]


def chunked(calls: list[Any], limit: int = 20) -> list[list[Any]]:
    """Calls in at most ``limit`` groups, in order (one call per group when they fit)."""
    size = -(-len(calls) // limit) if calls else 1
    return [calls[i : i + size] for i in range(0, len(calls), size)]


def recorded_result(entry: BFCLEntry, corruption: str) -> dict[str, Any]:
    """One BFCL result line built from the entry's ground truth, damaged as ``corruption`` says."""
    gt = ground_truth_tool_calls(entry)
    # one call per step, as a sequential model makes them; a turn with more calls than bfcl-eval's
    # step limit (20) is sent as parallel steps, as a model must to finish it under the limit
    turns: list[list[Any]] = [[_step(chunk) for chunk in chunked(turn)] + ["Done."] for turn in gt]
    busy = [i for i, t in enumerate(gt) if t]
    last = busy[-1]
    if corruption == "drop_call":
        turns[last] = [_step(chunk) for chunk in chunked(gt[last][:-1])] + ["Done."]
    elif corruption == "wrong_value":
        name, args = gt[last][-1]
        key = next((k for k, v in args.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)), None)
        if key is not None:
            args = {**args, key: (args[key] + "_x") if isinstance(args[key], str) else args[key] + 7}
        turns[last] = [_step(chunk) for chunk in chunked([*gt[last][:-1], (name, args)])] + ["Done."]
    elif corruption == "text_only":
        turns[busy[0]] = ["I would rather not do that."]
    elif corruption == "unknown_function":
        turns[busy[0]].insert(0, [{"no_such_function": json.dumps({"x": 1})}])
    elif corruption == "bad_json":
        name, _ = gt[busy[0]][0]
        turns[busy[0]][0] = [{name: "{not json"}]
    elif corruption == "parallel":
        turns = [([_step(t)] if t else []) + ["Done."] for t in gt]
    elif corruption == "step_limit":
        first = gt[busy[0]][0]
        turns = turns[: busy[0]] + [[_step([first]) for _ in range(21)]]
    elif corruption == "extra_call":
        empty = [i for i, t in enumerate(gt) if not t]
        where = empty[0] if empty else busy[0]
        turns[where].insert(0, _step([gt[busy[0]][0]]))
    return {"id": entry.id, "result": turns}
