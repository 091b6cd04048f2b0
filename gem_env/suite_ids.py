"""Gymnasium ids of a benchmark suite (BFCL, tau2): registration and the error for an unknown id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["register_ids", "unknown_id"]


def register_ids(entries: Mapping[str, dict[str, Any]], entry_point: str) -> list[str]:
    """Register each ``env id -> constructor kwargs`` with Gymnasium; return the ids.

    An id already registered with the same kwargs is left alone; one registered with other kwargs
    is registered again with these (e.g. a new ``data_dir``).
    """
    import gymnasium as gym
    from gymnasium.envs.registration import registry

    for eid, want in entries.items():
        spec = registry.get(eid)
        if spec is not None and spec.kwargs == want:
            continue
        if spec is not None:
            del registry[eid]
        gym.register(id=eid, entry_point=entry_point, kwargs=want, max_episode_steps=None, disable_env_checker=True)
    return list(entries)


def unknown_id(suite: str, env_id: str, known: Sequence[str]) -> Exception:
    """The ConfigError for an id that is not one of the suite's, naming the closest known id."""
    import difflib

    from tools_registry.errors import ConfigError

    near = difflib.get_close_matches(env_id, list(known), n=1)
    return ConfigError(f"not a {suite} env id: {env_id!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
