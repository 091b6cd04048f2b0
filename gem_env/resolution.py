"""Domain resolution: env ids parsed, and domains loaded and cached.

Env ids ``gem/<domain>-v<N>`` are parsed, and a name, folder, env id or records turned into a
cached ``LoadedDomain``. Registration with Gymnasium is ``registration.py``'s; the env
(``env.py``) and registration both use this module, which uses neither.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from tools_registry.domains import LoadedDomain, find_domain, load_domain
from tools_registry.errors import ConfigError
from tools_registry.records import Domain, Task

__all__ = ["NAMESPACE", "env_id", "parse_env_id", "resolve_domain", "unknown_env_message"]

NAMESPACE = "gem"
_ENV_ID = re.compile(r"(?:gem_env:)?gem/([a-z0-9][a-z0-9_\-]{0,63}?)(?:-v(\d+))?")  # fullmatch only
_cache: dict[tuple[str, float, float], LoadedDomain] = {}


def env_id(domain: str, version: int = 0) -> str:
    """``gem/<domain>-v<version>``."""
    return f"{NAMESPACE}/{domain}-v{version}"


def parse_env_id(value: str) -> tuple[str, int | None] | None:
    """``(domain, version or None)`` for ``gem/<domain>[-vN]``, else None."""
    m = _ENV_ID.fullmatch(value)
    if not m:
        return None
    return m.group(1), (int(m.group(2)) if m.group(2) is not None else None)


def unknown_env_message(value: str, limit: int = 40) -> str:
    """The "unknown environment ..." message.

    It gives close matches among, and a list of, every ``gem/*`` id in Gymnasium's registry
    (bundled and folder domains, BFCL's and any suite registered later).
    """
    import difflib

    from gymnasium.envs.registration import registry

    ids = sorted(k for k in registry if k.startswith(f"{NAMESPACE}/"))
    probe = value if parse_env_id(value) is not None else env_id(value)
    near = difflib.get_close_matches(probe, ids, n=3, cutoff=0.6)
    listed = ", ".join(ids[:limit]) + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return f"unknown environment {value!r}{hint}; registered: {listed or 'none'}"


def _find(name: str, extra: Sequence[str | os.PathLike[str]] | None, asked: str) -> Path:
    try:
        return find_domain(name, extra)
    except ConfigError as exc:
        if not str(exc).startswith("unknown domain"):
            raise
        raise ConfigError(unknown_env_message(asked)) from None


def _load_cached(path: Path) -> LoadedDomain:
    path = path.resolve()
    stamps = []
    for f in ("domain.json", "tasks.jsonl", "tools.py"):
        try:
            stamps.append((path / f).stat().st_mtime)
        except OSError:
            stamps.append(0.0)
    key = (str(path), stamps[0], stamps[1] + stamps[2])
    hit = _cache.get(key)
    if hit is None:
        hit = _cache[key] = load_domain(path)
    return hit


def resolve_domain(
    domain: str | os.PathLike[str] | LoadedDomain | Domain,
    tasks: list[Task] | None = None,
    toolkit: Any = None,
    extra: Sequence[str | os.PathLike[str]] | None = None,
) -> LoadedDomain:
    """A ``LoadedDomain`` from a domain name, an env id, a folder, a ``LoadedDomain`` or records.

    Loaded folders are cached (by path and modification times); tasks are shared read-only.
    """
    if isinstance(domain, LoadedDomain):
        if tasks is None and toolkit is None:
            return domain
        return LoadedDomain(
            domain=domain.domain,
            tasks=list(tasks if tasks is not None else domain.tasks),
            path=domain.path,
            toolkit=toolkit or domain.toolkit,
        )
    if isinstance(domain, Domain):
        return LoadedDomain(domain=domain, tasks=list(tasks or []), toolkit=toolkit)
    if not isinstance(domain, (str, os.PathLike)):
        raise ConfigError(f"domain must be a name, an env id, a folder or a Domain, got {type(domain).__name__}")
    text = os.fspath(domain)
    if not isinstance(text, str) or "\x00" in text:
        raise ConfigError(f"domain {text[:100]!r} is not a name, an env id or a folder (it holds a NUL byte)")
    parsed = parse_env_id(text)
    if parsed is not None:
        loaded = _load_cached(_find(parsed[0], extra, text))
    elif text.startswith((f"{NAMESPACE}/", f"gem_env:{NAMESPACE}/")):  # an env id never names a folder
        raise ConfigError(
            f"invalid env id {text[:100]!r}: ids are gem/<domain>-v<N>, the domain in lowercase "
            "letters, digits, '-' and '_'; to load a domain folder, pass its path"
        )
    elif isinstance(domain, os.PathLike) or os.sep in text or "/" in text or text.startswith("."):
        loaded = _load_cached(Path(text))  # an explicit path: the one way a tools.py outside the search path loads
    else:
        loaded = _load_cached(_find(text, extra, text))
    if tasks is not None or toolkit is not None:
        return resolve_domain(loaded, tasks, toolkit)
    return loaded
