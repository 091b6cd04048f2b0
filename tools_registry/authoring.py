"""Helpers for writing a domain by hand: the state-record base, money rounding, tasks, the folder.

A bundled domain's ``tools.py`` declares its state with :class:`StateModel` records and rounds
prices with :func:`cents`; its ``build.py`` writes every task as a ``ReferenceBuilder``
conversation run against the real tools, freezes it with :func:`finish_task` (which enforces the
authoring rules) and saves the folder with :func:`write_domain`. How a domain shows money to the
agent (a number or a ``"12.50"`` string) is part of its versioned behaviour; the rounding is this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .domains import save_domain
from .pytools import Toolkit
from .records import Domain, Task, UserScenario
from .reference import ReferenceBuilder

__all__ = ["StateModel", "TaskList", "cents", "finish_task", "write_domain"]

_NEXT = {"user": {"assistant", "call"}, "tool": {"assistant", "call"}, "call": {"tool"}, "assistant": {"user"}}


class StateModel(BaseModel):
    """Base of a domain's state records: unknown fields are an error (and the schema says so)."""

    model_config = ConfigDict(extra="forbid")


def cents(value: float | int | str | Decimal) -> Decimal:
    """``value`` rounded to cents, half up, from its decimal text (``2.675`` -> ``2.68``)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def finish_task(
    b: ReferenceBuilder,
    task_id: str,
    domain: str,
    description: str,
    *,
    instruction: str,
    persona: str,
    known_info: str,
    unknown_info: str,
    communicate: list[str],
    patterns: list[str],
) -> Task:
    """Freeze a reference conversation into a Task, checking the authoring rules.

    Rules: 6 to 20 messages; the user speaks first; turns in order (a call is answered by its tool
    output, the assistant speaks or calls after the user and after a tool output); every ``communicate`` item is said by the assistant; a do-nothing agent fails
    (the task has a write action or something to communicate).

    Raises:
        AssertionError: A rule is broken (the message names the task and the rule).
    """
    n = len(b.messages)
    assert 6 <= n <= 20, f"{task_id}: reference has {n} messages"
    roles = [("call" if m.tool_calls else m.role) for m in b.messages]
    assert roles[0] == "user" and roles[-1] != "call", f"{task_id}: starts {roles[0]}, ends {roles[-1]}"
    for prev, nxt in zip(roles, roles[1:]):
        assert nxt in _NEXT[prev], f"{task_id}: {prev} -> {nxt}"
    said = " ".join(m.content or "" for m in b.messages if m.role == "assistant").lower()
    for fact in communicate:
        assert fact.lower() in said, f"{task_id}: communicate item {fact!r} is not in the reference"
    assert b.write_actions or communicate, f"{task_id}: a do-nothing agent would pass"
    turns = [m.content or "" for m in b.messages if m.role == "user"]
    user = UserScenario(
        instruction=instruction, persona=persona, known_info=known_info, unknown_info=unknown_info, turns=turns
    )
    return b.task(
        task_id, domain, user=user, description=description, communicate=communicate, meta={"patterns": patterns}
    )


class TaskList(list[Task]):
    """The tasks of one domain as they are written: ``b = tasks.new()``, the conversation, ``tasks.finish(b, ...)``.

    Args:
        domain: The domain's name.
        toolkit: Its Toolkit class (the references run against it).
        initial_state: The domain's initial state (every reference starts from it).
    """

    def __init__(self, domain: str, toolkit: type[Toolkit], initial_state: dict[str, Any]):
        super().__init__()
        self.domain, self.toolkit, self.initial_state = domain, toolkit, initial_state

    def new(self) -> ReferenceBuilder:
        """A fresh reference conversation over the initial state."""
        return ReferenceBuilder(self.toolkit, self.initial_state)

    def finish(self, b: ReferenceBuilder, task_id: str, description: str, **scenario: Any) -> Task:
        """:func:`finish_task` for this domain; the task is appended and returned."""
        task = finish_task(b, task_id, self.domain, description, **scenario)
        self.append(task)
        return task


def write_domain(domain: Domain, tasks: Iterable[Task], folder: str | Path) -> Path:
    """Check the task ids are unique, then write ``domain.json`` and ``tasks.jsonl`` into ``folder``."""
    tasks = list(tasks)
    ids = [t.id for t in tasks]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"duplicate task ids: {dup}"
    return save_domain(domain, tasks, folder)
