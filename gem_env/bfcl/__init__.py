"""BFCL multi-turn (v3 and v4) as gem environments and an evaluation suite, executed by bfcl-eval.

``register_bfcl_envs()`` registers ``gem/bfcl-multi-turn-{base,miss-func,miss-param,long-context}-v0``
when bfcl-eval is installed (checked without importing it). Nothing here imports bfcl-eval at
``import gem_env`` time; the env classes load it on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CATEGORIES",
    "DATA_DIR_ENV",
    "ENTRY_POINT",
    "ENV_IDS",
    "bfcl_available",
    "category_of",
    "env_id_for",
    "make_bfcl_env",
    "register_bfcl_envs",
]

CATEGORIES = ("base", "miss_func", "miss_param", "long_context")
DATA_DIR_ENV = "GEM_BFCL_DATA_DIR"
ENTRY_POINT = "gem_env.bfcl.env:BFCLMultiTurnEnv"


def env_id_for(category: str) -> str:
    """``miss_func`` -> ``gem/bfcl-multi-turn-miss-func-v0``."""
    return f"gem/bfcl-multi-turn-{category.replace('_', '-')}-v0"


#: The four environment ids, in the paper's column order.
ENV_IDS = tuple(env_id_for(c) for c in CATEGORIES)


def category_of(env_id: str) -> str | None:
    """The BFCL category of one of the four env ids (None for any other id)."""
    for c in CATEGORIES:
        if env_id.split(":")[-1] in (env_id_for(c), env_id_for(c)[: -len("-v0")]):
            return c
    return None


def bfcl_available() -> bool:
    """True when bfcl-eval can be imported (checked without importing it)."""
    from ._bfcl import bfcl_available as available

    return available()


def register_bfcl_envs(**kwargs: Any) -> list[str]:
    """Register the four BFCL multi-turn env ids with Gymnasium when bfcl-eval is installed.

    Cheap (no data is read, bfcl-eval is not imported); returns the registered ids, or ``[]``
    without bfcl-eval. ``kwargs`` become default constructor arguments (e.g. ``data_dir``).
    """
    if not bfcl_available():
        return []
    from ..suite_ids import register_ids

    register_ids({env_id_for(c): {"category": c, **kwargs} for c in CATEGORIES}, ENTRY_POINT)
    return list(ENV_IDS)


def make_bfcl_env(env_id: str, **kwargs: Any) -> Any:
    """Build the env of a BFCL id directly (same as ``gym.make(env_id, **kwargs).unwrapped``)."""
    from ..suite_ids import unknown_id

    category = category_of(env_id)
    if category is None:
        raise unknown_id("BFCL", env_id, ENV_IDS)
    from .env import BFCLMultiTurnEnv

    return BFCLMultiTurnEnv(category, **kwargs)
