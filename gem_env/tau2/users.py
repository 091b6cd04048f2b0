"""Users of the tau2 environments.

tau2's user simulator run through gem's LLM backends, and a scripted user for tests and
re-scoring.

:class:`Tau2LLMUser` builds tau2's own system prompt (its global simulation guidelines - the
"tools" variant when the domain gives the user tools - and ``str(task.user_scenario)``: persona,
reason for call, known and unknown info, task instructions), keeps the user's side of the
conversation as tau2's ``UserState`` does (roles flipped; the agent's tool traffic hidden; the
user's own tool calls and their results kept), and ends when a reply holds one of tau2's stop
markers (``###STOP###``, ``###TRANSFER###``, ``###OUT-OF-SCOPE###``). In telecom the user model
gets tau2's user tools and its calls run on the user's device through the backend.
"""

from __future__ import annotations

from typing import Any

from tools_registry.errors import ConfigError, SimulatorError
from tools_registry.records import parse_arguments

from ..tool_backends import EpisodeSetup
from ..users import User, UserTurn
from ._tau2 import require_tau2
from .backend import Tau2ToolBackend

__all__ = ["STOP_MARKERS", "Tau2LLMUser", "Tau2ScriptedUser", "is_stop"]

#: tau2's user stop markers (``tau2.user.base``; a test checks them against the package).
STOP_MARKERS = ("###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###")


def is_stop(text: str | None) -> bool:
    """tau2's ``UserSimulator.is_stop`` for a text reply."""
    return bool(text) and any(m in text for m in STOP_MARKERS)  # type: ignore[operator]


_SYSTEM: dict[tuple[int, bool], tuple[Any, dict[str, str]]] = {}
_USER_TOOLS: dict[int, tuple[Any, list[dict[str, Any]] | None]] = {}


def _user_tools(backend: Tau2ToolBackend) -> list[dict[str, Any]] | None:
    """The OpenAI schemas of the user's tools (telecom), built once per domain store."""
    store = backend.store
    hit = _USER_TOOLS.get(id(store))
    if hit is None or hit[0] is not store:
        env = backend.env
        tools = env.get_user_tools() if env.user_tools is not None else None
        hit = _USER_TOOLS[id(store)] = (store, [t.openai_schema for t in tools] if tools else None)
    return hit[1]


def _system_message(task: Any, use_tools: bool) -> dict[str, str]:
    """tau2's user system prompt for a task, as one message object per task and process.

    The same object every episode, so the LLM client encodes its 10 kB once (``BodyEncoder``).
    """
    key = (id(task), use_tools)
    hit = _SYSTEM.get(key)
    if hit is None or hit[0] is not task:
        t2 = require_tau2()
        content = t2.USER_SYSTEM_PROMPT.format(
            global_user_sim_guidelines=t2.user_guidelines(use_tools=use_tools),
            instructions=str(task.user_scenario),
        )
        hit = _SYSTEM[key] = (task, {"role": "system", "content": content})
    return hit[1]


class _Tau2User(User):
    """Shared wiring: the backend (for user tools) and the tau2 task of the episode."""

    def __init__(self) -> None:
        self.backend: Tau2ToolBackend | None = None
        self.task: Any = None

    def bind(self, backend: Tau2ToolBackend) -> None:
        self.backend = backend

    def reset(self, setup: EpisodeSetup) -> None:
        if self.backend is None:
            raise ConfigError("a tau2 user must be bound to the environment's backend")
        self.task = self.backend.tasks[setup.task.id]

    def _limited(self) -> bool:
        """Whether tau2's limits ended the episode before this reply (the user then says nothing)."""
        return self.backend is not None and self.backend.limit is not None

    def _tool_round_done(self) -> bool:
        """Count a tool round of the user (its message and the results: two of tau2's steps).

        Returns:
            True when tau2's limits end the episode after it (checked as tau2 checks after the results).
        """
        return self.backend is not None and self.backend.count_steps(2) is not None


class Tau2LLMUser(_Tau2User):
    """tau2's user simulator on a gem LLM backend.

    Args:
        backend: An ``LLMBackend`` or a model string (``openai:...``, ``hf:...``, ``scripted:...``).
        sampling: Sampling options (tau2's default: temperature 0).
        max_tool_rounds: User tool-call rounds allowed before a text reply is required.
    """

    kind = "llm"

    def __init__(self, backend: Any, *, sampling: dict[str, Any] | None = None, max_tool_rounds: int = 10):
        super().__init__()
        if isinstance(backend, str):
            from ..llm import make_backend

            backend = make_backend(backend)
        self.llm = backend
        self.sampling = {"temperature": 0.0, **(sampling or {})}
        self.max_tool_rounds = max_tool_rounds
        self._system: dict[str, str] = {"role": "system", "content": ""}
        self._tools: list[dict[str, Any]] | None = None
        self._state: list[dict[str, Any]] = []
        self._seen = 0

    def reset(self, setup: EpisodeSetup) -> None:
        """Build tau2's user system prompt and the user's tools for the task."""
        super().reset(setup)
        self._tools = _user_tools(self.backend)  # type: ignore[arg-type]
        self._system = _system_message(self.task, self._tools is not None)
        self._state = []
        self._seen = 0

    def _catch_up(self, messages: list[dict[str, Any]]) -> None:
        """Add the agent's new text messages (as "user") and the user's own past turns (as "assistant")."""
        for m in messages[self._seen :]:
            role = m.get("role")
            if role == "assistant" and not m.get("tool_calls") and m.get("content"):
                self._state.append({"role": "user", "content": m["content"]})
            elif role == "user":
                self._state.append({"role": "assistant", "content": m.get("content") or ""})
        self._seen = len(messages)

    def view(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The user model's prompt: tau2's system prompt and the flipped conversation."""
        self._catch_up(messages)
        return [self._system, *self._state]

    def reply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """The user's next turn (runs :meth:`areply` to completion)."""
        from .._sync import run_sync

        return run_sync(self.areply(messages))

    async def areply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """The simulator's next turn, running its tool calls on the user's side."""
        at = len(messages)
        view = self.view(messages)
        if self._limited():
            return UserTurn(stop=True)
        for _ in range(self.max_tool_rounds + 1):
            kwargs = {"tools": self._tools} if self._tools else {}
            reply = await self.llm.chat(view, caller="user", **kwargs, **self.sampling)
            calls = reply.tool_calls or []
            if calls and self._tools:
                out = {"role": "assistant", "content": None, "tool_calls": calls}
                self._state.append(out)
                for c in calls:
                    fn = c.get("function", {})
                    try:
                        args: dict[str, Any] | str = parse_arguments(fn.get("arguments"))
                    except Exception as exc:  # unreadable arguments: the tool reports it
                        args = f"unreadable arguments ({exc})"
                    content = self.backend.call_user(str(fn.get("name", "")), args, at)  # type: ignore[union-attr]
                    self._state.append({"role": "tool", "tool_call_id": c.get("id"), "content": content})
                if self._tool_round_done():
                    return UserTurn(stop=True)
                view = [self._system, *self._state]
                continue
            text = (reply.content or "").strip()
            if not text:
                raise SimulatorError("tau2 user: empty reply")
            self._state.append({"role": "assistant", "content": text})
            self._seen = at + 1  # the env adds this turn as the user message at index `at`
            return UserTurn(content=text, stop=is_stop(text))
        raise SimulatorError(f"tau2 user: no text reply after {self.max_tool_rounds} tool rounds")

    def snapshot(self) -> Any:
        """The simulator's conversation state."""
        return (tuple(self._state), self._seen)

    def restore(self, snapshot: Any) -> None:
        """Put the simulator's conversation state back to a ``snapshot``."""
        state, self._seen = snapshot
        self._state = list(state)


class Tau2ScriptedUser(_Tau2User):
    """Fixed user turns, for tests and re-scoring; a turn holding a stop marker ends the episode.

    Args:
        turns: Per turn, a text, or ``{"content": str, "tool_calls": [{"name", "arguments"}]}`` whose
            calls run on the user's device (telecom) before the text is said. When they run out the
            user stops. None: each task's reason for call, then ``###STOP###`` (an offline smoke user).
    """

    kind = "scripted"

    def __init__(self, turns: list[str | dict[str, Any]] | None = None):
        super().__init__()
        self.turns = list(turns) if turns is not None else None
        self._turns: list[Any] = []
        self._next = 0

    def reset(self, setup: EpisodeSetup) -> None:
        """Load the scripted turns (given, or the task's)."""
        super().reset(setup)
        if self.turns is not None:
            self._turns = self.turns
        else:
            ins = self.task.user_scenario.instructions
            self._turns = [(ins if isinstance(ins, str) else ins.reason_for_call) or "Hello.", STOP_MARKERS[0]]
        self._next = 0

    def reply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """The next scripted turn (a stop once they run out)."""
        if self._next >= len(self._turns) or self._limited():
            return UserTurn(stop=True)
        turn = self._turns[self._next]
        self._next += 1
        if isinstance(turn, dict):
            calls = turn.get("tool_calls") or []
            for c in calls:
                fn = c.get("function", c)
                self.backend.call_user(fn["name"], parse_arguments(fn.get("arguments") or {}), len(messages))  # type: ignore[union-attr]
            if calls and self._tool_round_done():  # the turn's calls are one tool-call message
                return UserTurn(stop=True)
            turn = turn.get("content") or ""
        return UserTurn(content=turn, stop=is_stop(turn))

    def snapshot(self) -> int:
        """The index of the next turn."""
        return self._next

    def restore(self, snapshot: int) -> None:
        """Go back to the turn index of a ``snapshot``."""
        self._next = snapshot
