"""Validated tool states that an episode left exactly as it found them, kept for the next episode.

Building a Python toolkit's state (a pydantic model from the task's initial JSON) is the biggest
cost of a reset: a photo-framing state is 13 KB of JSON and about a thousand objects. Episodes
that only read (a status question, a refused request) end with the state they started from, and
the environment serialises every final state for the reward anyway. A state is returned here,
and the next episode of the same setup starts from it instead of validating the JSON again, when
both hold:

- no tool declared ``mutates=True`` ran in the episode (only those assign; an assignment could
  leave two places of the state sharing one object, which the bytes would not show), and
- the final bytes equal the setup's *pristine* bytes (its initial state, validated and serialised
  by the same model): a tool that writes without declaring it is caught by what the state is at
  the end.

What neither check can see (a read tool that swaps a list for a tuple with the same items) is a
toolkit bug that validation would have let through as well.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["PristineStates", "PRISTINE_STATES"]


class PristineStates:
    """Per setup: its pristine state bytes and a few spare validated states equal to them.

    Args:
        per_setup: Spare states kept per setup.
        max_spares: Spare states kept in all (each is a whole validated state in memory).
        max_setups: Setups remembered; past it, the pool is cleared (states are rebuilt on demand).
    """

    def __init__(self, per_setup: int = 16, max_spares: int = 512, max_setups: int = 4096):
        self.per_setup = per_setup
        self.max_spares = max_spares
        self.max_setups = max_setups
        self._spares = 0
        self._lock = threading.Lock()
        # id(setup) -> (setup, model class, pristine bytes, spare states); the setup is held so its id stays unique
        self._pools: dict[int, tuple[Any, type, bytes, list[Any]]] = {}

    def take(self, setup: Any, model: type) -> Any | None:
        """A spare state of ``model`` for ``setup``, or None (validate one then)."""
        entry = self._pools.get(id(setup))
        if entry is None or entry[0] is not setup or entry[1] is not model or not entry[3]:
            return None
        with self._lock:
            if not entry[3]:
                return None
            self._spares -= 1
            return entry[3].pop()

    def pristine(self, setup: Any, model: type) -> bytes | None:
        """The setup's pristine bytes, once :meth:`learn` has seen them."""
        entry = self._pools.get(id(setup))
        if entry is None or entry[0] is not setup or entry[1] is not model:
            return None
        return entry[2]

    def learn(self, setup: Any, model: type, fresh_bytes: bytes) -> None:
        """Remember ``fresh_bytes``: a state of ``model`` just validated from the setup's JSON, serialised."""
        with self._lock:
            if len(self._pools) >= self.max_setups:
                self._pools.clear()
                self._spares = 0
            old = self._pools.get(id(setup))
            self._spares -= len(old[3]) if old is not None else 0
            self._pools[id(setup)] = (setup, model, fresh_bytes, [])

    def give_back(self, setup: Any, model: type, state: Any, final_bytes: bytes) -> bool:
        """Keep ``state`` for a later episode if ``final_bytes`` (its serialisation) is pristine."""
        entry = self._pools.get(id(setup))
        if entry is None or entry[0] is not setup or entry[1] is not model or entry[2] != final_bytes:
            return False
        with self._lock:
            if len(entry[3]) >= self.per_setup or self._spares >= self.max_spares:
                return False
            entry[3].append(state)
            self._spares += 1
        return True

    def clear(self) -> None:
        """Forget every setup and spare state."""
        with self._lock:
            self._pools.clear()
            self._spares = 0

    def __len__(self) -> int:
        """Spare states held."""
        return self._spares


#: The process-wide pool ``PythonToolBackend`` uses.
PRISTINE_STATES = PristineStates()
