"""Users: who speaks the user's turns of an episode, behind one interface.

A :class:`User` is reset with the episode's :class:`~gem_env.tool_backends.EpisodeSetup` and
asked for a :class:`UserTurn` at the start and whenever the agent hands the turn back (an
assistant message without tool calls). A turn carries the text, optional extra tools that
become available from then on (BFCL's miss-function turns), or ``stop=True`` to end the episode.

Implementations: :class:`ScriptedUser` (fixed turns, BFCL style: ``task.user.turns`` or a given
list), :class:`ReplayUser` (the user messages of the task's reference conversation) and
:class:`LLMUser` (an LLM plays the task's scenario and ends with a stop marker). Pass any
object implementing the interface as ``ToolUseEnv(user=...)``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from tools_registry.errors import ConfigError, SimulatorError
from tools_registry.specs import ToolSpec

from .role_sampling import role_sampling
from .tool_backends import EpisodeSetup

__all__ = ["STOP_MARKER", "USER_KINDS", "LLMUser", "ReplayUser", "ScriptedUser", "User", "UserTurn", "make_user"]

#: What an LLM user writes to end the conversation.
STOP_MARKER = "###STOP###"
#: Names accepted by ``ToolUseEnv(user=...)``.
USER_KINDS = ("scripted", "replay", "llm")


@dataclass
class UserTurn:
    """One user turn.

    Attributes:
        content: The user's message (None when the user only stops).
        tools: Tools revealed from this turn on (added to the episode's tools).
        stop: The user ends the episode (``content``, if any, is added as the last message).
    """

    content: str | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    stop: bool = False


class User(ABC):
    """The user side of an episode."""

    kind: str = "custom"

    @abstractmethod
    def reset(self, setup: EpisodeSetup) -> None:
        """Start a new episode."""

    @abstractmethod
    def reply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """The next user turn given the conversation so far (first call: the opening turn)."""

    async def areply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """Async twin of :meth:`reply` (runs it directly by default)."""
        return self.reply(messages)

    def snapshot(self) -> Any:
        """An immutable snapshot of the user's episode state."""
        return None

    def restore(self, snapshot: Any) -> None:
        """Return to a snapshot."""


class _ListUser(User):
    """Gives a list of turns in order; stops when they run out."""

    def __init__(self) -> None:
        self._turns: list[UserTurn] = []
        self._next = 0

    def reply(self, messages: list[dict[str, Any]]) -> UserTurn:
        if self._next >= len(self._turns):
            return UserTurn(stop=True)
        turn = self._turns[self._next]
        self._next += 1
        return turn

    def snapshot(self) -> int:
        return self._next

    def restore(self, snapshot: int) -> None:
        self._next = snapshot


class ScriptedUser(_ListUser):
    """A fixed list of user turns, each given when the agent hands the turn back.

    Args:
        turns: Turns for every episode (str or UserTurn); None = each task's ``user.turns``.
    """

    kind = "scripted"

    def __init__(self, turns: list[str | UserTurn] | None = None):
        super().__init__()
        self.turns = turns

    def reset(self, setup: EpisodeSetup) -> None:
        """Load the scripted turns (given, or the task's ``user.turns``)."""
        turns = self.turns if self.turns is not None else setup.task.user.turns
        if not turns:
            raise ConfigError(f"task '{setup.task.id}' has no scripted user turns (user.turns)")
        self._turns = [t if isinstance(t, UserTurn) else UserTurn(content=t) for t in turns]
        self._next = 0


class ReplayUser(_ListUser):
    """The user messages of the task's reference conversation, in order."""

    kind = "replay"

    def reset(self, setup: EpisodeSetup) -> None:
        """Load the user turns of the task's reference conversation."""
        ref = setup.task.reference
        turns = [m.content for m in ref if m.role == "user" and m.content is not None]
        if not turns:
            raise ConfigError(f"task '{setup.task.id}' has no reference user messages to replay")
        self._turns = [UserTurn(content=t) for t in turns]
        if ref[-1].role == "user" and len(turns) > 1:  # the reference ends with the user's goodbye
            self._turns[-1].stop = True
        self._next = 0


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class LLMUser(User):
    """An LLM plays the task's user scenario (prompt template ``llm_user``).

    The model sees the conversation from the user's side (roles flipped, tool traffic hidden).
    It ends with :data:`STOP_MARKER`. Replies that are empty or paste the whole instruction are
    retried; after ``retries`` the user raises ``SimulatorError`` (the env ends the episode).

    Args:
        backend: An ``LLMBackend`` (or a model string for ``gem_env.llm.make_backend``).
        sampling: Sampling options for the user's calls (defaults: ``ROLE_DEFAULTS["user"]``, then the
            backend's ``default_sampling``; see :mod:`gem_env.role_sampling`).
        retries: Extra attempts for an unusable reply.
        prompts_dir: Folder overriding the bundled prompt templates.
    """

    kind = "llm"

    def __init__(
        self,
        backend: Any,
        *,
        sampling: dict[str, Any] | None = None,
        retries: int = 2,
        prompts_dir: str | None = None,
        stop_marker: str = STOP_MARKER,
    ):
        if isinstance(backend, str):
            from gem_env.llm import make_backend

            backend = make_backend(backend)
        self.backend = backend
        self.sampling = role_sampling("user", backend, sampling)
        self.retries = retries
        self.prompts_dir = prompts_dir
        self.stop_marker = stop_marker
        self._system = ""
        self._instruction = ""

    def reset(self, setup: EpisodeSetup) -> None:
        """Fill the user prompt from the task's user scenario."""
        from .prompts import fill, load_prompt

        u = setup.task.user
        self._instruction = u.instruction
        self._system = fill(
            load_prompt("llm_user", self.prompts_dir),
            instruction=u.instruction,
            persona=u.persona or "An ordinary customer.",
            known_info=u.known_info or "Nothing beyond your goal.",
            unknown_info=u.unknown_info or "Nothing in particular.",
            stop_marker=self.stop_marker,
        )

    def user_view(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conversation as the user model sees it: its own turns as assistant, the agent's as user."""
        view: list[dict[str, Any]] = [{"role": "system", "content": self._system}]
        for m in messages:
            role = m.get("role")
            if role == "user":
                view.append({"role": "assistant", "content": m.get("content") or ""})
            elif role == "assistant" and m.get("content") and not m.get("tool_calls"):
                view.append({"role": "user", "content": m["content"]})
        if len(view) == 1:
            view.append({"role": "user", "content": "Hello, how can I help you today?"})
        return view

    def reply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """The user's next turn (runs :meth:`areply` to completion)."""
        from ._sync import run_sync

        return run_sync(self.areply(messages))

    async def areply(self, messages: list[dict[str, Any]]) -> UserTurn:
        """Ask the user model for the next turn, retrying empty replies and ones that reveal the whole scenario."""
        view = self.user_view(messages)
        problem = ""
        for _ in range(self.retries + 1):
            reply = await self.backend.chat(view, caller="user", **self.sampling)
            text = (reply.content or "").strip()
            if self.stop_marker in text:
                return UserTurn(content=text.replace(self.stop_marker, "").strip() or None, stop=True)
            if not text:
                problem = "empty reply"
            elif len(self._instruction) >= 40 and _norm(self._instruction) in _norm(text):
                problem = "reply reveals the whole scenario"
            else:
                return UserTurn(content=text)
            view = [
                *view,
                {"role": "assistant", "content": text},
                {
                    "role": "system",
                    "content": f"That reply is unusable ({problem}). Write the customer's "
                    "next message again, in character.",
                },
            ]
        raise SimulatorError(f"LLM user: {problem} after {self.retries + 1} attempts")


def make_user(kind: str | User, *, model: Any = None, **kwargs: Any) -> User:
    """A user by name (``scripted``, ``replay``, ``llm``) or the given User unchanged."""
    if isinstance(kind, User):
        return kind
    if kind == "scripted":
        return ScriptedUser(**kwargs)
    if kind == "replay":
        return ReplayUser()
    if kind == "llm":
        if model is None:
            raise ConfigError("the llm user needs a model (user_model=... or an LLMBackend)")
        return LLMUser(model, **kwargs)
    raise ConfigError(f"unknown user {kind!r}; choose one of {', '.join(USER_KINDS)} or pass a User")
