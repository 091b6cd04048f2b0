"""Reference conversations over Python tools: build them while authoring, check them afterwards.

``ReferenceBuilder`` executes each tool call as it is written, so a reference's tool messages are
exactly what the tools return. ``check_task_reference`` re-executes a task's reference calls on
its initial state and compares outputs and the final state with what the task records.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonpatch

from .errors import ToolError
from .pytools import Toolkit, format_tool_error, format_tool_output
from .records import Criteria, GoldAction, Message, Task, UserScenario

__all__ = [
    "ReferenceBuilder",
    "ReplayResult",
    "replay_calls",
    "expected_final_state",
    "check_task_reference",
    "canonical_state",
    "state_patch",
]

TOOL_EXCEPTIONS = (ToolError, ValueError, KeyError, LookupError, TypeError)


def canonical_state(value: Any) -> Any:
    """Canonical form for state comparison: dict key order ignored, lists of records/scalars sorted."""
    import orjson

    if isinstance(value, dict):
        return {k: canonical_state(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical_state(v) for v in value]
        return sorted(items, key=lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
    return value


def _pointer(parts: tuple[str, ...]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def state_patch(before: Any, after: Any, _at: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """A deterministic JSON Patch from ``before`` to ``after``.

    Objects are diffed key by key in sorted order (remove, then add, then recurse); any other
    changed value, lists included, is replaced whole. Same inputs, same patch, on every run
    (``jsonpatch.make_patch`` orders some operations by string hashing).
    """
    if isinstance(before, dict) and isinstance(after, dict):
        ops: list[dict[str, Any]] = []
        for key in sorted(set(before) - set(after)):
            ops.append({"op": "remove", "path": _pointer(_at + (key,))})
        for key in sorted(set(after) - set(before)):
            ops.append({"op": "add", "path": _pointer(_at + (key,)), "value": copy.deepcopy(after[key])})
        for key in sorted(set(before) & set(after)):
            ops += state_patch(before[key], after[key], _at + (key,))
        return ops
    if before == after and type(before) is type(after):
        return []
    return [{"op": "replace", "path": _pointer(_at), "value": copy.deepcopy(after)}]


def expected_final_state(initial_state: dict[str, Any], criteria: Criteria) -> dict[str, Any] | None:
    """``initial_state`` with the criteria's final-state patch applied, or None when they have none."""
    if criteria.final_state is None:
        return None
    return jsonpatch.apply_patch(initial_state, criteria.final_state, in_place=False)


@dataclass
class ReplayResult:
    """What replaying reference calls gave: output texts, error flags and the final state."""

    outputs: list[str] = field(default_factory=list)
    errors: list[bool] = field(default_factory=list)
    final_state: dict[str, Any] = field(default_factory=dict)


def _call(kit: Toolkit, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    try:
        return format_tool_output(kit.call(name, copy.deepcopy(arguments))), False
    except TOOL_EXCEPTIONS as exc:
        return format_tool_error(exc), True


def replay_calls(toolkit: type[Toolkit], initial_state: dict[str, Any], messages: list[Message]) -> ReplayResult:
    """Execute every assistant tool call in ``messages`` in order on a fresh copy of the state."""
    kit = toolkit(copy.deepcopy(initial_state))
    result = ReplayResult()
    for msg in messages:
        for call in msg.tool_calls or []:
            out, err = _call(kit, call.function.name, call.function.arguments)
            result.outputs.append(out)
            result.errors.append(err)
    result.final_state = kit.dump_state()
    return result


def check_task_reference(toolkit: type[Toolkit], domain_initial_state: dict[str, Any], task: Task) -> list[str]:
    """Problems with a task's reference; an empty list means it is consistent.

    Problems are recorded outputs that differ from the tools', a final state that differs from the
    expected one, and gold actions never performed.
    """
    problems: list[str] = []
    initial = task.initial_state if task.initial_state is not None else domain_initial_state
    replay = replay_calls(toolkit, initial, task.reference)
    recorded = [m.content for m in task.reference if m.role == "tool"]
    if len(recorded) != len(replay.outputs):
        problems.append(f"{task.id}: {len(replay.outputs)} tool calls but {len(recorded)} tool messages")
    for i, (got, want) in enumerate(zip(replay.outputs, recorded)):
        if got != want:
            problems.append(
                f"{task.id}: tool output #{i + 1} differs from the reference: {got[:120]!r} != {want!r:.120}"
            )
    expected = expected_final_state(initial, task.criteria)
    if expected is not None and canonical_state(expected) != canonical_state(replay.final_state):
        diff = jsonpatch.make_patch(expected, replay.final_state).patch[:3]
        problems.append(f"{task.id}: final state differs from the expected one, e.g. {diff}")
    performed = [(c.function.name, c.function.arguments) for m in task.reference for c in (m.tool_calls or [])]
    for gold in task.criteria.actions:
        keys = gold.compare_args if gold.compare_args is not None else list(gold.arguments)
        if not any(n == gold.name and all(a.get(k) == gold.arguments.get(k) for k in keys) for n, a in performed):
            problems.append(f"{task.id}: gold action {gold.name}({gold.arguments}) is not in the reference")
    return problems


class ReferenceBuilder:
    """Write a reference conversation while the tools really run.

    >>> b = ReferenceBuilder(MyToolkit, initial_state)
    >>> b.user("Where is my order O-1?")
    >>> b.call("get_order", order_id="O-1")            # runs the tool, records call + output
    >>> b.assistant("It shipped yesterday.")
    >>> task = b.task("t1", "shop", instruction="...", communicate=["shipped"])
    """

    def __init__(self, toolkit: type[Toolkit], initial_state: dict[str, Any]):
        self.toolkit = toolkit
        self.initial_state = copy.deepcopy(initial_state)
        self.kit = toolkit(copy.deepcopy(initial_state))
        self.messages: list[Message] = []
        self.write_actions: list[GoldAction] = []
        self._n = 0

    def user(self, text: str) -> "ReferenceBuilder":
        """Append a user message; returns self."""
        self.messages.append(Message(role="user", content=text))
        return self

    def assistant(self, text: str) -> "ReferenceBuilder":
        """Append an assistant text message; returns self."""
        self.messages.append(Message(role="assistant", content=text))
        return self

    def call(self, name: str, content: str | None = None, *, expect_error: bool = False, **arguments: Any) -> str:
        """Assistant calls one tool (optionally with text); the tool runs now. Returns the output text."""
        self._n += 1
        call_id = f"call_{self._n}"
        self.messages.append(
            Message.model_validate(
                {
                    "role": "assistant",
                    "content": content,
                    "tool_calls": [
                        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
                    ],
                }
            )
        )
        out, err = _call(self.kit, name, arguments)
        if err != expect_error:
            raise AssertionError(f"call {name}({arguments}) {'failed' if err else 'succeeded'} unexpectedly: {out}")
        self.messages.append(Message(role="tool", tool_call_id=call_id, name=name, content=out))
        spec = self.toolkit._tools[name][1]
        if spec.mutates and not err:
            self.write_actions.append(GoldAction(name=name, arguments=copy.deepcopy(arguments)))
        return out

    def final_state_patch(self) -> list[dict[str, Any]]:
        """The JSON Patch from the initial state to the toolkit's current state."""
        return state_patch(self.initial_state, self.kit.dump_state())

    def task(
        self,
        task_id: str,
        domain: str,
        *,
        user: UserScenario | dict[str, Any],
        description: str | None = None,
        communicate: list[str] | None = None,
        rubric: list[str] | None = None,
        reward_basis: list[Literal["state", "actions", "communicate", "judge"]] | None = None,
        initial_state_override: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> Task:
        """Freeze the conversation into a Task whose criteria come from what the tools did."""
        criteria = Criteria(
            actions=list(self.write_actions),
            final_state=self.final_state_patch(),
            communicate=communicate or [],
            rubric=rubric or [],
            **({"reward_basis": reward_basis} if reward_basis is not None else {}),
        )
        return Task(
            id=task_id,
            domain=domain,
            description=description,
            user=user if isinstance(user, UserScenario) else UserScenario.model_validate(user),
            initial_state=copy.deepcopy(self.initial_state) if initial_state_override else None,
            reference=list(self.messages),
            criteria=criteria,
            meta=meta or {},
        )
