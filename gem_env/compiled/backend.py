"""``CompiledToolBackend``: a domain's compiled programs answer the calls, over a private JSON state.

Each episode starts from a fresh copy of the initial state; a call runs its tool's program in the
sandbox (``program.py``), which patches the state in place or fails with the state unchanged.
The recording of an episode (outputs plus the JSON Patch each call applied) feeds the replay
backend, and the audit compares it with the simulated backend's.
"""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.errors import ConfigError
from tools_registry.records import Domain

from ..tool_backends import EpisodeSetup, JsonStateBackend, RecordedCall
from .limits import DEFAULT_LIMITS, Limits, ProgramError
from .program import ProgramSet

__all__ = ["CompiledToolBackend", "programs_of"]

_SETS: dict[tuple[int, str], ProgramSet] = {}


def programs_of(domain: Domain, limits: Limits = DEFAULT_LIMITS) -> ProgramSet:
    """The compiled programs of a domain (compiled once per domain record and limits)."""
    if not domain.programs:
        raise ConfigError(
            f"domain '{domain.name}' has no compiled programs (synthesize it with the compile "
            "stage, or pick another tool backend)"
        )
    key = (id(domain), repr(limits))
    hit = _SETS.get(key)
    if hit is None or hit.data is not domain.programs:
        if len(_SETS) > 256:
            _SETS.clear()
        hit = _SETS[key] = ProgramSet(domain.programs, limits)
    return hit


class CompiledToolBackend(JsonStateBackend):
    """Compiled programs over a fresh state per episode (``tools="compiled"``).

    Args:
        programs: A ProgramSet; None = the programs of each episode's domain.
        limits: Sandbox limits (used when compiling the domain's programs).
        record: Keep every call with its patch (for ``recording()``); off on the hot path.
    """

    kind = "compiled"

    def __init__(self, programs: ProgramSet | None = None, *, limits: Limits = DEFAULT_LIMITS, record: bool = False):
        self.programs = programs
        self.limits = limits
        self.record = record
        self._set: ProgramSet | None = programs
        self._state: dict[str, Any] = {}
        self._calls: list[RecordedCall] = []

    def reset(self, setup: EpisodeSetup) -> None:
        """Compile (or reuse) the domain's programs and start from the task's initial state."""
        self._set = self.programs if self.programs is not None else programs_of(setup.domain, self.limits)
        self._state = setup.fresh_state()
        self._calls = []

    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Run the tool's compiled program on the state and return its JSON result."""
        ps = self._set
        if ps is None:
            raise ConfigError("CompiledToolBackend.call before reset()")
        try:
            out, ops = ps.call(self._state, name, arguments, patch=self.record)
        except ProgramError as exc:
            if self.record:
                self._calls.append(
                    RecordedCall(name, orjson.loads(orjson.dumps(arguments)), f"Error: {exc}", error=True, patch=[])
                )
            raise
        if self.record:
            self._calls.append(RecordedCall(name, orjson.loads(orjson.dumps(arguments)), out, patch=ops))
        return out
