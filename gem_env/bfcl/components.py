"""The BFCL pieces of a gem environment: tool backend, scripted user, reward, and conversation decoding.

:class:`BFCLToolBackend` executes calls with bfcl-eval's classes (via :class:`BFCLExecutor`);
:class:`BFCLUser` says the entry's turns and reveals miss_func's held-out functions at their
turn; :class:`BFCLReward` decodes the conversation the way bfcl-eval decodes a function-calling
model's output and scores it with bfcl-eval's ``multi_turn_checker``. The env class that wires
them is in ``env.py``.
"""

from __future__ import annotations

import copy
from typing import Any

from tools_registry.errors import ArgumentError, ConfigError, UnknownToolError
from tools_registry.specs import ToolSpec

from ..rewards import EpisodeOutcome, Reward, RewardResult
from ..tool_backends import EpisodeSetup, ToolBackend
from ..users import ScriptedUser, UserTurn
from .data import BFCLEntry
from .execution import BFCLExecutor, check_entry, check_turns, to_call_strings, unsafe_call_reason

__all__ = ["BFCLReward", "BFCLToolBackend", "BFCLUser", "conversation_to_result", "conversation_turns"]


def _jsonable(value: Any, seen: set[int] | None = None) -> Any:
    """A JSON copy of bfcl-eval's instance state.

    Objects become their public attributes; each object appears once, later references become
    its repr, so parent links do not recurse.
    """
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    seen = set() if seen is None else seen
    if isinstance(value, dict):
        return {str(k): _jsonable(v, seen) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v, seen) for v in value]
    if hasattr(value, "__dict__"):
        if id(value) in seen:
            return f"<{type(value).__name__}>"
        seen.add(id(value))
        return {k: _jsonable(v, seen) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def _last_assistant(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    for m in reversed(history):
        if m.get("role") == "assistant":
            return m
    return None


def _readable(message: dict[str, Any] | None) -> bool:
    """bfcl-eval decodes a message's calls all together: one unreadable argument string drops them all."""
    return message is None or all(
        isinstance(c.get("function", {}).get("arguments"), dict) for c in message.get("tool_calls") or ()
    )


class BFCLToolBackend(ToolBackend):
    """Executes calls with bfcl-eval's classes, seeded by the entry's ``initial_config``.

    Results are bfcl-eval's own result strings (errors inside a tool come back as
    ``"Error during execution: ..."``, as BFCL shows them). A call that names no function of the
    entry, uses a non-identifier argument name, or shares a message with unreadable arguments
    raises a tool error instead (it is never passed to bfcl-eval's ``eval``).

    Args:
        entries: The entries by task id.
    """

    kind = "bfcl"

    def __init__(self, entries: dict[str, BFCLEntry]):
        self.entries = entries
        self.executor: BFCLExecutor | None = None

    def reset(self, setup: EpisodeSetup) -> None:
        """Start a bfcl-eval executor for the task's entry."""
        self.close()
        entry = self.entries.get(setup.task.id)
        if entry is None:
            raise ConfigError(f"no BFCL entry for task '{setup.task.id}'")
        self.executor = BFCLExecutor(entry)

    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Run the call in bfcl-eval's classes and return its output."""
        ex = self.executor
        if ex is None:
            raise ConfigError("BFCLToolBackend.call before reset()")
        reason = unsafe_call_reason(name, arguments, ex.allowed)
        if reason is not None:
            raise (UnknownToolError if reason.startswith("unknown") else ArgumentError)(reason)
        if not _readable(_last_assistant(history)):
            raise ArgumentError("not run: another call in this message has unreadable arguments")
        return ex.execute_step([(name, arguments)])[0]

    @property
    def state(self) -> dict[str, Any]:
        """The executor's instance state as JSON (empty before reset)."""
        return _jsonable(self.executor.state()) if self.executor is not None else {}

    def snapshot(self) -> Any:
        """A copy of the executor's instances and turns."""
        if self.executor is None:
            raise ConfigError("BFCLToolBackend.snapshot before reset()")
        return self.executor.snapshot()

    def restore(self, snapshot: Any) -> None:
        """Put the executor back to a ``snapshot``."""
        if self.executor is None:
            raise ConfigError("BFCLToolBackend.restore before reset()")
        self.executor.restore(snapshot)

    def close(self) -> None:
        """Close the executor, if any."""
        if self.executor is not None:
            self.executor.close()
            self.executor = None


class BFCLUser(ScriptedUser):
    """The entry's user turns in order; a miss_func turn reveals its held-out functions.

    The revealed tools come from ``task.meta["bfcl"]["reveal"]`` (turn index -> OpenAI tools) and
    that turn's text is bfcl-eval's "I have updated some more functions" prompt.
    """

    kind = "bfcl"

    def reset(self, setup: EpisodeSetup) -> None:
        """Load the task's scripted turns and the tools each turn reveals."""
        meta = setup.task.meta.get("bfcl", {})
        reveal = {int(k): [ToolSpec.from_openai(t) for t in v] for k, v in meta.get("reveal", {}).items()}
        turns = setup.task.user.turns or []
        if not turns:
            raise ConfigError(f"task '{setup.task.id}' has no user turns")
        self._turns = [UserTurn(content=text, tools=reveal.get(i, [])) for i, text in enumerate(turns)]
        self._next = 0


def conversation_turns(messages: list[dict[str, Any]], allowed: set[str]) -> list[list[list[str]]]:
    """Per user turn, per assistant message with calls, the call strings bfcl-eval's checker runs.

    Decoded as bfcl-eval decodes a function-calling model (``convert_to_function_call``); calls
    the backend refuses (see :class:`BFCLToolBackend`) are left out, as they were not executed.
    """
    turns: list[list[list[str]]] = []
    for m in messages:
        role = m.get("role")
        if role == "user":
            turns.append([])
        elif role == "assistant" and m.get("tool_calls") and turns:
            if not _readable(m):
                continue
            calls = [(c["function"]["name"], c["function"]["arguments"]) for c in m["tool_calls"]]
            safe = [(n, a) for n, a in calls if unsafe_call_reason(n, a, allowed) is None]
            if safe:
                turns[-1].append(to_call_strings(safe))
    return turns


def conversation_to_result(messages: list[dict[str, Any]]) -> list[list[Any]]:
    """The conversation in bfcl-eval's result-file format for function-calling models.

    Per turn, per assistant message: ``[{name: arguments_json}, ...]`` for calls, else the text.
    """
    import json

    turns: list[list[Any]] = []
    for m in messages:
        if m.get("role") == "user":
            turns.append([])
        elif m.get("role") == "assistant" and turns:
            if m.get("tool_calls"):
                turns[-1].append(
                    [
                        {
                            c["function"]["name"]: c["function"]["arguments"]
                            if isinstance(c["function"]["arguments"], str)
                            else json.dumps(c["function"]["arguments"])
                        }
                        for c in m["tool_calls"]
                    ]
                )
            else:
                turns[-1].append(m.get("content") or "")
    return turns


class BFCLReward(Reward):
    """bfcl-eval's multi-turn checker: 1.0 when every turn passes its state and response checks.

    ``details`` holds the checker's verdict (``error_type``, ``error_message``) and ``turns``:
    per turn, whether bfcl-eval's checker accepts the episode up to that turn.

    Args:
        entries: The entries by task id.
        per_turn: Compute the per-turn breakdown (one extra checker run per turn).
    """

    name = "bfcl"

    def __init__(self, entries: dict[str, BFCLEntry], *, per_turn: bool = True):
        self.entries = entries
        self.per_turn = per_turn

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Score the episode with bfcl-eval's multi-turn checker against the ground truth."""
        entry = self.entries[outcome.setup.task.id]
        allowed = {d["name"] for d in entry.all_functions}
        turns = conversation_turns(outcome.messages, allowed)
        verdict = check_entry(entry, copy.deepcopy(turns))
        value = 1.0 if verdict["valid"] else 0.0
        details: dict[str, Any] = {"bfcl": verdict, "bfcl_id": entry.id, "bfcl_version": entry.version}
        parts = {"bfcl": value}
        if self.per_turn:
            per_turn = check_turns(entry, turns[: len(entry.ground_truth)])
            details["turns"] = per_turn
            parts["turns_passed"] = float(sum(1 for t in per_turn if t["valid"]))
            parts["turns_total"] = float(len(entry.ground_truth))
        return RewardResult(value, parts, details)
