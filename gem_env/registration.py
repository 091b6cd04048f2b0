"""Environment ids and registration: ``gem/<domain>-v<version>`` for every known domain.

:func:`register_envs` scans the domain search path (bundled, ``GEM_DOMAINS_PATH``, extra
folders) reading only each ``domain.json`` - no domain's tools are imported - and registers a
Gymnasium id per domain with a string entry point, so ``gym.make("gem/<domain>-v0")`` builds a
``ToolUseEnv`` on demand and ``gym.make("gem/<domain>")`` resolves to the latest version.
Gymnasium >= 1.0 has no plugin entry points: ``import gem_env`` calls this once, and
``gym.make("gem_env:gem/<domain>-v0")`` works without importing gem_env first.
:func:`make_env` builds a bare env; turning a name, a path or an env id into a loaded domain is
``gem_env.resolution``'s (re-exported here).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from tools_registry.domains import LoadedDomain, discover_domains
from tools_registry.records import Domain, Task

from .resolution import NAMESPACE, env_id, parse_env_id, resolve_domain, unknown_env_message

__all__ = [
    "ENTRY_POINT",
    "NAMESPACE",
    "env_id",
    "make_env",
    "parse_env_id",
    "register_envs",
    "registered_ids",
    "resolve_domain",
    "unknown_env_message",
]

ENTRY_POINT = "gem_env.env:ToolUseEnv"


def _domain_header(path: Path) -> dict[str, Any]:
    try:
        raw = orjson.loads((path / "domain.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return raw if isinstance(raw, dict) else {}


def register_envs(extra: list[str | os.PathLike[str]] | None = None) -> list[str]:
    """Register ``gem/<domain>-v<version>`` for every discovered domain; return the ids.

    Cheap: reads each ``domain.json`` for its version and turn limit; imports no tools.
    Re-registering an id with the same domain folder is a no-op.
    """
    import gymnasium as gym
    from gymnasium.envs.registration import registry

    ids = []
    for name, path in discover_domains(extra).items():
        head = _domain_header(path)
        version = head.get("version", 0)
        version = version if isinstance(version, int) and version >= 0 else 0
        max_turns = head.get("max_turns", 30)
        eid = env_id(name, version)
        kwargs = {"domain": str(path)}
        spec = registry.get(eid)
        if spec is None or spec.kwargs != kwargs:
            if spec is not None:
                del registry[eid]
            gym.register(
                id=eid,
                entry_point=ENTRY_POINT,
                kwargs=kwargs,
                max_episode_steps=max_turns if isinstance(max_turns, int) and max_turns > 0 else None,
            )
        ids.append(eid)
    from .bfcl import register_bfcl_envs  # cheap: registers only when bfcl-eval is installed, imports none of it

    ids += register_bfcl_envs()
    from .tau2 import register_tau2_envs  # cheap: registers only when tau2 is installed, imports none of it

    ids += register_tau2_envs()
    return ids


def registered_ids() -> list[str]:
    """Every ``gem/...`` id in Gymnasium's registry."""
    from gymnasium.envs.registration import registry

    return sorted(k for k in registry if k.startswith(f"{NAMESPACE}/"))


def make_env(
    env: str | os.PathLike[str] | LoadedDomain | Domain, tasks: list[Task] | None = None, **kwargs: Any
) -> Any:
    """A bare ``ToolUseEnv`` (no Gymnasium wrappers) from an env id, a domain name or folder, or records.

    ``make_env("gem/photo-framing-v0", tools="replay")`` equals
    ``gym.make("gem/photo-framing-v0", tools="replay").unwrapped``, without the registry lookup;
    keyword arguments go to :class:`~gem_env.env.ToolUseEnv` (for ``gem/tau2-*`` ids, to
    :class:`~gem_env.tau2.env.Tau2Env`).
    """
    from .tau2 import domain_of, make_tau2_env

    if isinstance(env, str) and tasks is None and domain_of(env) is not None:  # tau2's own env class
        return make_tau2_env(env, **kwargs)
    from .env import ToolUseEnv

    return ToolUseEnv(env, tasks, **kwargs)
