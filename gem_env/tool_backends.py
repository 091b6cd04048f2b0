"""Tool backends: what answers an agent's tool calls, behind one interface.

A :class:`ToolBackend` is reset at the start of every episode with an :class:`EpisodeSetup`
(task, domain, tools, policy, initial state), then answers calls with :meth:`ToolBackend.call`
(or its async twin :meth:`ToolBackend.acall`), returning the tool message's text. A failing
call raises a ``ToolError`` (or ``ValueError``/``KeyError``/``LookupError``/``TypeError`` from
Python tools; ``SimulatorError`` from an LLM); the environment turns every one of them into the
tool message the agent sees, in one place. Argument validation against the schema is the
environment's job too: a backend gets only calls to known tools with valid arguments.

Implementations: :class:`PythonToolBackend` (a domain's ``Toolkit`` over a fresh state copy per
episode), :class:`ReplayToolBackend` (outputs recorded in a reference conversation, matched by
call; misses are errors or go to a fallback backend) and ``SimulatedToolBackend`` (an LLM plays
the tools, in ``gem_env.simulated``). Any object implementing the interface can be passed to
``ToolUseEnv(tools=...)``. Backends expose ``state`` (a JSON dict, read by rewards) and
``snapshot()``/``restore()`` (cheap, immutable snapshots for GRPO groups and search).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
import orjson
from pydantic import ValidationError

from tools_registry.errors import ConfigError, ToolError
from tools_registry.pytools import Toolkit, format_tool_output
from tools_registry.records import Domain, Message, Task
from tools_registry.reference import TOOL_EXCEPTIONS
from tools_registry.specs import ToolSpec

from .state_reuse import PRISTINE_STATES

__all__ = [
    "TOOL_BACKENDS",
    "EpisodeSetup",
    "JsonStateBackend",
    "PythonToolBackend",
    "RecordedCall",
    "Recording",
    "ReplayToolBackend",
    "ToolBackend",
    "call_key",
]

#: Names accepted by ``ToolUseEnv(tools=...)``.
TOOL_BACKENDS = ("compiled", "python", "replay", "simulated")


@dataclass
class EpisodeSetup:
    """What a backend or user needs to start an episode.

    Attributes:
        task: The task in play.
        domain: Its domain record.
        tools: The tools offered at the start (task tools, else domain tools).
        policy: The system prompt (task's, else the domain policy).
        initial_state: The state the episode starts from (never mutate it: it is shared).
        initial_state_json: ``initial_state`` as JSON bytes (a cheap source of fresh copies).
    """

    task: Task
    domain: Domain
    tools: list[ToolSpec]
    policy: str
    initial_state: dict[str, Any]
    initial_state_json: bytes = b"{}"

    def fresh_state(self) -> dict[str, Any]:
        """A private deep copy of the initial state."""
        return orjson.loads(self.initial_state_json)


class ToolBackend(ABC):
    """Answers tool calls for one environment, one episode at a time.

    Subclasses implement :meth:`reset`, :meth:`call`, :attr:`state`, :meth:`snapshot` and
    :meth:`restore`; LLM-backed ones override :meth:`acall` (and make ``call`` run it).
    """

    kind: str = "custom"

    @abstractmethod
    def reset(self, setup: EpisodeSetup) -> None:
        """Start an episode from ``setup.initial_state`` (a private copy: no leaks between episodes)."""

    @abstractmethod
    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Run one validated call; return the tool message text or raise a tool error.

        Args:
            name: A tool available in the episode.
            arguments: Arguments that validate against its schema (do not keep references to them).
            history: The conversation so far (read-only), for backends that need context.
        """

    async def acall(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Async twin of :meth:`call` (runs it directly by default)."""
        return self.call(name, arguments, history)

    @property
    @abstractmethod
    def state(self) -> dict[str, Any]:
        """The current state as a JSON dict (a copy the caller may keep)."""

    def state_json(self) -> bytes:
        """The current state as JSON bytes (what the episode's outcome carries to the rewards)."""
        return orjson.dumps(self.state)

    @abstractmethod
    def snapshot(self) -> Any:
        """An immutable snapshot of the backend's episode state."""

    @abstractmethod
    def restore(self, snapshot: Any) -> None:
        """Return to a snapshot (the snapshot stays usable for more restores)."""

    def set_state(self, state: dict[str, Any]) -> None:
        """Replace the episode's state (used when a replay backend hands a miss to this one)."""
        raise ConfigError(f"{type(self).__name__} cannot take over a state")

    def add_tools(self, tools: list[ToolSpec]) -> None:
        """Tools revealed mid-episode by a user turn (nothing to do by default)."""

    def close(self) -> None:
        """Release resources (nothing by default)."""


class PythonToolBackend(ToolBackend):
    """A domain's Python tools (a ``Toolkit`` subclass) over a fresh state per episode.

    Args:
        toolkit: The Toolkit class (``LoadedDomain.toolkit``).
    """

    kind = "python"

    def __init__(self, toolkit: type[Toolkit], reuse_states: bool = True):
        if not (isinstance(toolkit, type) and issubclass(toolkit, Toolkit)):
            raise ConfigError(f"PythonToolBackend needs a Toolkit subclass, got {toolkit!r}")
        self.toolkit = toolkit
        self.reuse_states = reuse_states and toolkit.dump_state is Toolkit.dump_state
        self._kit: Toolkit | None = None
        self._setup: EpisodeSetup | None = None
        self._writers = toolkit.writing_tools()
        self._wrote = False  # a tool declared as writing ran this episode (or a restore replaced the state)
        self._version = 0  # bumped by every call and restore: a cached serialisation is stale after one
        self._json: tuple[int, bytes] | None = None  # (self._version when serialised, the bytes)

    def reset(self, setup: EpisodeSetup) -> None:
        """Build the toolkit on the task's initial state (a spare pristine one when there is one)."""
        self._give_back()
        model = self.toolkit.State
        state = PRISTINE_STATES.take(setup, model) if self.reuse_states else None
        if state is None:
            try:
                state = model.model_validate_json(setup.initial_state_json)
            except ValidationError as exc:
                raise ConfigError(
                    f"task {setup.task.id!r} of domain {setup.domain.name!r}: the initial state does not fit "
                    f"{model.__name__}: {str(exc)[:500]}"
                ) from None
            if self.reuse_states and PRISTINE_STATES.pristine(setup, model) is None:
                PRISTINE_STATES.learn(setup, model, model.__pydantic_serializer__.to_json(state))
        self._kit, self._setup, self._version, self._json = self.toolkit(state), setup, 0, None
        self._wrote = False

    def _give_back(self) -> None:
        """Keep the ending episode's state for a later one if it is still pristine (see ``state_reuse``)."""
        kit, setup, done = self._kit, self._setup, self._json
        self._kit = self._setup = self._json = None
        if (
            self.reuse_states
            and not self._wrote
            and kit is not None
            and setup is not None
            and done is not None
            and done[0] == self._version
        ):
            PRISTINE_STATES.give_back(setup, self.toolkit.State, kit.state, done[1])

    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Run the toolkit's Python tool and return its JSON result."""
        kit = self._kit
        if kit is None:
            raise ConfigError("PythonToolBackend.call before reset()")
        for value in arguments.values():  # tools may keep argument containers in the state: copy them
            if isinstance(value, (dict, list)):
                arguments = copy.deepcopy(arguments)
                break
        self._version += 1
        if name in self._writers:
            self._wrote = True
        return format_tool_output(kit.call(name, arguments))

    @property
    def state(self) -> dict[str, Any]:
        """The toolkit's state as a dict (empty before reset)."""
        if self._kit is None:
            return {}
        return self._kit.dump_state()

    def state_json(self) -> bytes:
        """The toolkit's state as JSON bytes (serialised by its model; ``dump_state``'s when overridden)."""
        if self._kit is None:
            return b"{}"
        if self._json is not None and self._json[0] == self._version:
            return self._json[1]
        if type(self._kit).dump_state is not Toolkit.dump_state:
            return orjson.dumps(self._kit.dump_state())
        out = self._kit.state.__pydantic_serializer__.to_json(self._kit.state)
        self._json = (self._version, out)
        return out

    def snapshot(self) -> bytes:
        """The toolkit's state as JSON bytes."""
        if self._kit is None:
            raise ConfigError("PythonToolBackend.snapshot before reset()")
        return self._kit.state.__pydantic_serializer__.to_json(self._kit.state)

    def restore(self, snapshot: bytes) -> None:
        """Rebuild the toolkit on the state of a ``snapshot``."""
        self._kit = self.toolkit(self.toolkit.State.model_validate_json(snapshot))
        self._version, self._json, self._wrote = self._version + 1, None, True

    def set_state(self, state: dict[str, Any]) -> None:
        """Rebuild the toolkit on ``state``."""
        self.restore(orjson.dumps(state))


class JsonStateBackend(ToolBackend):
    """A backend whose episode state is a plain JSON dict, with the calls it recorded.

    Subclasses (compiled programs, the LLM-simulated tools) keep ``_state`` and ``_calls``; this
    class gives them the state copy, snapshots, restore, take-over and the recording.
    """

    _state: dict[str, Any]
    _calls: list[RecordedCall]

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the current state."""
        return orjson.loads(orjson.dumps(self._state))

    def state_json(self) -> bytes:
        """The current state as JSON bytes."""
        return orjson.dumps(self._state)

    def snapshot(self) -> tuple[bytes, tuple[RecordedCall, ...]]:
        """The state (as JSON bytes) and the calls recorded so far."""
        return orjson.dumps(self._state), tuple(self._calls)

    def restore(self, snapshot: tuple[bytes, tuple[RecordedCall, ...]]) -> None:
        """Put the state and recorded calls back to a ``snapshot``."""
        self._state = orjson.loads(snapshot[0])
        self._calls = list(snapshot[1])

    def set_state(self, state: dict[str, Any]) -> None:
        """Replace the state with a copy of ``state``."""
        self._state = orjson.loads(orjson.dumps(state))

    def recording(self) -> Recording:
        """This episode's calls with outputs and patches (for ``ReplayToolBackend``)."""
        return Recording(list(self._calls))


def call_key(name: str, arguments: dict[str, Any]) -> tuple[str, bytes]:
    """Identity of a call for replay matching: the name and the canonical JSON of its arguments."""
    return name, orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS)


@dataclass
class RecordedCall:
    """One recorded call: its output, whether it failed, and the state change it made (if known).

    ``patch`` is a JSON Patch applied to the state when the call is replayed; None means the
    recording does not know the change (the state is left as it is).
    """

    name: str
    arguments: dict[str, Any]
    output: str
    error: bool = False
    patch: list[dict[str, Any]] | None = None


@dataclass
class Recording:
    """The calls of one recorded run, in order."""

    calls: list[RecordedCall] = field(default_factory=list)

    @classmethod
    def from_messages(cls, messages: list[Message] | list[dict[str, Any]]) -> Recording:
        """Pair each assistant tool call with its tool message (by ``tool_call_id``). No patches."""
        dicts = [m.to_dict() if isinstance(m, Message) else m for m in messages]
        outputs = {m.get("tool_call_id"): m.get("content") or "" for m in dicts if m.get("role") == "tool"}
        calls = []
        for m in dicts:
            for c in m.get("tool_calls") or ():
                out = outputs.get(c.get("id"))
                if out is None:
                    continue
                args = c["function"].get("arguments") or {}
                if isinstance(args, str):
                    args = orjson.loads(args) if args.strip() else {}
                calls.append(RecordedCall(c["function"]["name"], args, out, error=out.startswith("Error:")))
        return cls(calls)

    @classmethod
    def from_task(
        cls, task: Task, initial_state: dict[str, Any], tools: list[ToolSpec], toolkit: type[Toolkit] | None = None
    ) -> Recording:
        """The recording of a task's reference conversation, with state patches.

        With ``toolkit`` the reference calls are re-executed to get each call's exact patch.
        Without it, the task's final-state patch is credited to the last successful write call
        (exact for a replay of the whole reference; intermediate states are not known).
        """
        rec = cls.from_messages(task.reference)
        if toolkit is not None:
            kit = toolkit(copy.deepcopy(initial_state))
            before = kit.dump_state()
            for call in rec.calls:
                try:
                    kit.call(call.name, copy.deepcopy(call.arguments))
                except TOOL_EXCEPTIONS:
                    pass
                after = kit.dump_state()
                call.patch = jsonpatch.make_patch(before, after).patch if after != before else []
                before = after
            return rec
        writes = {t.name for t in tools if t.mutates}
        last = None
        for call in rec.calls:
            if call.name in writes and not call.error:
                last = call
            else:
                call.patch = []
        if last is not None:
            last.patch = list(task.criteria.final_state or [])
        return rec

    def to_rows(self) -> list[dict[str, Any]]:
        """The recorded calls as plain dicts."""
        return [vars(c).copy() for c in self.calls]

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> Recording:
        """A recording from rows written by :meth:`to_rows`."""
        return cls([RecordedCall(**r) for r in rows])


class ReplayToolBackend(ToolBackend):
    """Answers calls with the outputs of a recording, matched by name and arguments.

    Identical calls are answered in recorded order; once their recordings are used up the last
    one is repeated. A call with no recording is a miss: with ``fallback`` it goes to that
    backend (which takes over the state), otherwise the agent sees a tool error.

    Args:
        recording: A fixed recording for every episode; None = each task's reference.
        fallback: A backend for misses (e.g. a PythonToolBackend or SimulatedToolBackend).
        toolkit: Python tools used only to compute exact per-call state patches of references.
    """

    kind = "replay"

    def __init__(
        self,
        recording: Recording | None = None,
        *,
        fallback: ToolBackend | None = None,
        toolkit: type[Toolkit] | None = None,
    ):
        self.recording = recording
        self.fallback = fallback
        self.toolkit = toolkit
        self._index: dict[tuple[str, bytes], list[RecordedCall]] = {}
        self._used: dict[tuple[str, bytes], int] = {}
        self._state: dict[str, Any] = {}
        self._cache: dict[str, Recording] = {}
        self.misses = 0

    def reset(self, setup: EpisodeSetup) -> None:
        """Index the given recording (or the task's, recorded once and cached) and start from the initial state."""
        rec = self.recording
        if rec is None:
            rec = self._cache.get(setup.task.id)
            if rec is None:
                rec = Recording.from_task(setup.task, setup.initial_state, setup.tools, self.toolkit)
                self._cache[setup.task.id] = rec
        self._index = {}
        for c in rec.calls:
            self._index.setdefault(call_key(c.name, c.arguments), []).append(c)
        self._used = {}
        self._state = setup.fresh_state()
        self.misses = 0
        if self.fallback is not None:
            self.fallback.reset(setup)

    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Return the recorded result of the same call (name and arguments)."""
        key = call_key(name, arguments)
        entries = self._index.get(key)
        if not entries:
            self.misses += 1
            if self.fallback is None:
                raise ToolError(f"no recorded output for {name}({orjson.dumps(arguments).decode()[:200]})")
            return self._fall_back(name, arguments, history)
        n = self._used.get(key, 0)
        self._used[key] = n + 1
        entry = entries[min(n, len(entries) - 1)]
        if entry.patch and n < len(entries):
            try:
                jsonpatch.apply_patch(self._state, entry.patch, in_place=True)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
                pass  # replayed out of order: the recorded change does not apply to this state
        if entry.error:
            raise ToolError(entry.output.removeprefix("Error: "))
        return entry.output

    def _fall_back(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        assert self.fallback is not None
        self._sync_fallback()
        try:
            return self.fallback.call(name, arguments, history)
        finally:
            self._state = self.fallback.state

    def _sync_fallback(self) -> None:
        assert self.fallback is not None
        self.fallback.set_state(orjson.loads(orjson.dumps(self._state)))

    async def acall(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Replay the call, or ask the fallback backend when it was not recorded."""
        if self.fallback is None or self._index.get(call_key(name, arguments)):
            return self.call(name, arguments, history)
        self.misses += 1
        self._sync_fallback()
        try:
            return await self.fallback.acall(name, arguments, history)
        finally:
            self._state = self.fallback.state

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the current state."""
        return orjson.loads(orjson.dumps(self._state))

    def state_json(self) -> bytes:
        """The current state as JSON bytes."""
        return orjson.dumps(self._state)

    def snapshot(self) -> tuple[bytes, tuple[tuple[Any, int], ...], int]:
        """The state (as JSON bytes), the replay counters and the misses."""
        return orjson.dumps(self._state), tuple(self._used.items()), self.misses

    def restore(self, snapshot: tuple[bytes, tuple[tuple[Any, int], ...], int]) -> None:
        """Put the state, replay counters and misses back to a ``snapshot``."""
        state, used, misses = snapshot
        self._state = orjson.loads(state)
        self._used = dict(used)
        self.misses = misses
