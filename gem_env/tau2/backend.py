"""The tau2 tool backend: calls run in tau2's own environment classes on a private DB copy.

Each episode builds the domain's tau2 ``Environment`` (its ``get_environment``) on a cheap private
copy of the DB parsed once per process, then applies the task's ``initial_state`` exactly as tau2's
orchestrator does (``Environment.set_state``: initialization data, initialization actions, message
history). A call goes through ``Environment.get_response`` - tau2's one place that catches a tool's
error and reports it as ``"Error: ..."`` - so the tool message is byte-for-byte what tau2 shows.
The user's side of telecom's dual control (:meth:`Tau2ToolBackend.call_user`) runs the same way
with ``requestor="user"``; those calls are logged with their place in the conversation, for the
evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools_registry.errors import ConfigError

from ..tool_backends import EpisodeSetup, ToolBackend
from ._tau2 import require_tau2
from .data import DomainStore

__all__ = ["Tau2ToolBackend", "UserCall", "history_messages"]


@dataclass(frozen=True)
class UserCall:
    """A tool call made by the simulated user (telecom), anchored before gem message ``at``."""

    at: int
    id: str
    name: str
    arguments: dict[str, Any]
    content: str
    error: bool


def history_messages(task: Any) -> list[Any]:
    """The tau2 messages of a task's ``initial_state.message_history`` (empty when none)."""
    st = task.initial_state
    return list(st.message_history) if st is not None and st.message_history else []


class Tau2ToolBackend(ToolBackend):
    """Runs the agent's (and the user's) calls in tau2's environment for the task in play.

    It also keeps tau2's step and error counts, which both sides advance (:meth:`count_steps`).

    Args:
        store: The domain store (parsed DBs, the environment constructor).
        tasks: tau2 ``Task`` objects by task id.
        max_steps: tau2's ``max_steps``.
        max_errors: tau2's ``max_errors``.
    """

    kind = "tau2"

    def __init__(self, store: DomainStore, tasks: dict[str, Any], max_steps: int = 200, max_errors: int = 10):
        self.store = store
        self.tasks = tasks
        self.max_steps = max_steps
        self.max_errors = max_errors
        self.env: Any = None
        self.errors = 0
        self.steps = 0
        self.limit: str | None = None  # "max_steps" or "too_many_errors" once tau2 would end the episode
        self.user_calls: list[UserCall] = []
        self._seq = 0
        self._plain: bool | None = None  # whether the environment class keeps tau2's get_response

    def reset(self, setup: EpisodeSetup) -> None:
        """Build a tau2 environment for the task at its initial state."""
        task = self.tasks.get(setup.task.id)
        if task is None:
            raise ConfigError(f"no tau2 task {setup.task.id!r}")
        env = self.store.new_environment()
        st = task.initial_state
        env.set_state(
            initialization_data=st.initialization_data if st is not None else None,
            initialization_actions=st.initialization_actions if st is not None else None,
            message_history=history_messages(task),
        )
        self.env = env
        self.errors = self.steps = 0
        self.limit = None
        self.user_calls = []
        self._seq = 0

    def count_steps(self, n: int, *, check: bool = True) -> str | None:
        """Count ``n`` of tau2's steps; with ``check``, apply tau2's limits as its orchestrator does.

        tau2 counts a step per message (agent, user, the user's tool-call messages) and per batch
        of tool results, and checks ``max_steps`` then ``max_errors`` after every step that does
        not hand a tool call to the environment (the error limit wins when both are reached).

        Returns:
            tau2's termination reason once a limit is reached (``"max_steps"``,
            ``"too_many_errors"``), else None.
        """
        self.steps += n
        if check:
            if self.steps >= self.max_steps:
                self.limit = "max_steps"
            if self.errors >= self.max_errors:
                self.limit = "too_many_errors"
        return self.limit

    def _run(self, name: str, arguments: dict[str, Any], requestor: str) -> tuple[str, bool]:
        """tau2's ``Environment.get_response`` for one call: (the tool message's content, error).

        The same steps - ``make_tool_call``, ``sync_tools``, an exception reported as ``"Error:
        ..."``, ``to_json_str`` - without its ``logger.debug(f"Response: {resp}")``, whose f-string
        formats the whole result (pydantic reprs) even when the log is disabled: about 40% of
        ``get_response``'s time on a reservation lookup. An environment class that overrides
        ``get_response`` (none in tau2 26.3) is called through it.
        """
        env = self.env
        if env is None:
            raise ConfigError("Tau2ToolBackend.call before reset()")
        if self._plain is None:
            self._plain = type(env).get_response is require_tau2().Environment.get_response
        if not self._plain:
            tc = require_tau2().ToolCall.model_construct(id="", name=name, arguments=arguments, requestor=requestor)
            msg = env.get_response(tc)
            content, error = msg.content, bool(msg.error)
        else:
            error = False
            try:
                resp = env.make_tool_call(name, requestor=requestor, **arguments)
                env.sync_tools()
            except Exception as e:  # exactly what get_response catches and how it reports it
                resp = f"Error: {e}"
                error = True
            content = env.to_json_str(resp)
        if error:
            self.errors += 1
        return content, error

    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Run the assistant's call in the tau2 environment and return its output."""
        return self._run(name, arguments, "assistant")[0]

    def call_user(self, name: str, arguments: Any, at: int) -> str:
        """Run a call of the simulated user on its device (telecom); logged for the evaluator."""
        self._seq += 1
        cid = f"user_call_{self._seq}"
        if not isinstance(arguments, dict):
            content, error = f"Error: arguments must be a JSON object, got {arguments!r}", True
            self.errors += 1
            self.user_calls.append(UserCall(at, cid, name, {}, content, error))
            return content
        content, error = self._run(name, arguments, "user")
        self.user_calls.append(UserCall(at, cid, name, dict(arguments), content, error))
        return content

    @property
    def has_user_tools(self) -> bool:
        """Whether the user has tools of its own (telecom)."""
        return self.store.domain == "telecom"

    @property
    def state(self) -> dict[str, Any]:
        """A light summary (the DBs are compared by tau2's evaluator, not here): domain and error count."""
        return {"tau2_domain": self.store.domain, "tool_errors": self.errors}

    def snapshot(self) -> Any:
        """Private copies of the DBs, the errors and the user calls so far."""
        if self.env is None:
            raise ConfigError("Tau2ToolBackend.snapshot before reset()")
        from .db import private_copy

        user_db = self.env.user_tools.db if self.env.user_tools is not None else None
        return (
            private_copy(self.env.tools.db),
            private_copy(user_db) if user_db is not None else None,
            self.errors,
            tuple(self.user_calls),
            self._seq,
            self.steps,
            self.limit,
        )

    def restore(self, snapshot: Any) -> None:
        """Put the environment and the recorded calls back to a ``snapshot``."""
        db, user_db, self.errors, calls, self._seq, self.steps, self.limit = snapshot
        self.env = self.store.new_environment(db=db, user_db=user_db)
        self.user_calls = list(calls)

    def close(self) -> None:
        """Drop the tau2 environment."""
        self.env = None
