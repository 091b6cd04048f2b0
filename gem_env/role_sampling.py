"""Sampling options per model role of an episode: ``agent``, ``user``, ``tools`` (simulated), ``judge``.

A role's calls use, from weakest to strongest: :data:`ROLE_DEFAULTS` (a token budget for every
role, temperature 0 for the simulators), the ``default_sampling`` of the backend that plays the
role (how the CLI hands ``--sampling ROLE.key=value`` over), then the options given to the role's
object (``LLMAgent(sampling=...)``, ``LLMUser(sampling=...)``, ...). A backend with a token budget
of its own (``hf:``, ``vllm:`` ``max_tokens=``) keeps it: the default budget is not sent to it.
:func:`episode_sampling` reports what each role of an env used (``meta.provenance.sampling``).
"""

from __future__ import annotations

import json
from typing import Any

from tools_registry.errors import ConfigError

__all__ = ["ROLES", "ROLE_DEFAULTS", "TOOL_CHOICES", "episode_sampling", "parse_sampling", "role_sampling"]

ROLES = ("agent", "user", "tools", "judge")

#: The options each role sends unless told otherwise. Without a budget a served model may write
#: until its context is full: an LLM user or simulated tool then takes minutes per turn.
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "agent": {"max_tokens": 1024},
    "user": {"temperature": 0.0, "max_tokens": 256},
    "tools": {"temperature": 0.0, "max_tokens": 1024},
    "judge": {"temperature": 0.0, "max_tokens": 512},
}

TOOL_CHOICES = ("auto", "required", "none")


def _own_budget(backend: Any) -> bool:
    while backend is not None:
        if isinstance(getattr(backend, "max_tokens", None), int):
            return True
        backend = getattr(backend, "inner", None)
    return False


def role_sampling(role: str, backend: Any = None, explicit: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sampling options a role's calls send: defaults < backend ``default_sampling`` < ``explicit``."""
    if role not in ROLE_DEFAULTS:
        raise ConfigError(f"unknown model role {role!r}; roles: {', '.join(ROLES)}")
    out = dict(ROLE_DEFAULTS[role])
    if _own_budget(backend):
        out.pop("max_tokens")
    layers = []
    while backend is not None:  # a wrapper (the reply cache) over the backend that holds the defaults
        layers.append(getattr(backend, "default_sampling", None) or {})
        backend = getattr(backend, "inner", None)
    for defaults in reversed(layers):
        out.update(defaults)
    out.update(explicit or {})
    return out


def parse_sampling(items: list[str] | tuple[str, ...] | None) -> dict[str, dict[str, Any]]:
    """``["user.max_tokens=256", "agent.temperature=0.7"]`` -> ``{"user": {...}, "agent": {...}}``.

    Values are read as JSON when they parse (numbers, booleans, lists, objects), else as text.

    Raises:
        ConfigError: An item is not ``ROLE.key=value``, or names an unknown role.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items or ():
        head, eq, raw = item.partition("=")
        role, dot, key = head.strip().partition(".")
        if not eq or not dot or not key:
            raise ConfigError(
                f"--sampling {item!r}: write ROLE.key=value, e.g. user.max_tokens=256 (roles: {', '.join(ROLES)})"
            )
        if role not in ROLES:
            raise ConfigError(f"--sampling {item!r}: unknown role {role!r}; roles: {', '.join(ROLES)}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(role, {})[key] = value
    return out


def episode_sampling(env: Any, agent: Any = None) -> dict[str, dict[str, Any]]:
    """``{role: options}`` for every model role the env (and the agent) play with."""
    out: dict[str, dict[str, Any]] = {}
    used = getattr(agent, "used_sampling", None)
    if callable(used):
        out["agent"] = used()
    sim: Any = getattr(env, "backend", None)
    if getattr(sim, "llm", None) is not None and isinstance(getattr(sim, "sampling", None), dict):
        out["tools"] = dict(sim.sampling)
    for user in getattr(env, "_users", {}).values():
        if getattr(user, "backend", None) is not None and isinstance(getattr(user, "sampling", None), dict):
            out["user"] = dict(user.sampling)
    parts = getattr(getattr(env, "reward_fn", None), "parts", None)
    judge = parts.get("judge") if isinstance(parts, dict) else None
    if judge is not None and isinstance(getattr(judge, "sampling", None), dict):
        out["judge"] = dict(judge.sampling)
    return out
