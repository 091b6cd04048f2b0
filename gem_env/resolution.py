"""Domain resolution: env ids ``gem/<domain>-v<N>`` parsed, and a name, folder, env id or records
turned into a cached ``LoadedDomain``. Registration with Gymnasium is ``registration.py``'s; the
env (``env.py``) and registration both use this module, which uses neither.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tools_registry.domains import LoadedDomain, find_domain, load_domain
from tools_registry.errors import ConfigError
from tools_registry.records import Domain, Task

__all__ = ["NAMESPACE", "env_id", "parse_env_id", "resolve_domain"]

NAMESPACE = "gem"
_ENV_ID = re.compile(r"^(?:gem_env:)?gem/([a-z0-9][a-z0-9_\-]{0,63}?)(?:-v(\d+))?$")
_cache: dict[tuple[str, float, float], LoadedDomain] = {}


def env_id(domain: str, version: int = 0) -> str:
    """``gem/<domain>-v<version>``."""
    return f"{NAMESPACE}/{domain}-v{version}"


def parse_env_id(value: str) -> tuple[str, int | None] | None:
    """``(domain, version or None)`` for ``gem/<domain>[-vN]``, else None."""
    m = _ENV_ID.match(value)
    if not m:
        return None
    return m.group(1), (int(m.group(2)) if m.group(2) is not None else None)


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
    extra: list[str | os.PathLike[str]] | None = None,
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
    parsed = parse_env_id(text)
    if parsed is not None:
        text = parsed[0]
    if os.sep in text or "/" in text or text.startswith("."):
        loaded = _load_cached(Path(text))
    else:
        loaded = _load_cached(find_domain(text, extra))
    if tasks is not None or toolkit is not None:
        return resolve_domain(loaded, tasks, toolkit)
    return loaded
