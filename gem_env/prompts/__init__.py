"""Prompt templates of the environment runtime (simulated tools, LLM users, the judge), as data.

Templates are ``<name>.md`` files in this folder, loaded by name; a folder named by
``GEM_PROMPTS_DIR`` (or passed as ``override_dir``) overrides them file by file. Placeholders are
``{{name}}``; :func:`fill` substitutes them in one pass, so values that hold braces (JSON, code)
are never re-read as placeholders, and a missing or unknown value is an error.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

from tools_registry.errors import ConfigError

__all__ = ["PROMPTS_ENV", "PROMPT_NAMES", "fill", "load_prompt", "placeholders", "prompt_version"]

PROMPTS_ENV = "GEM_PROMPTS_DIR"
#: The templates this package ships.
PROMPT_NAMES = ("simulated_tool", "llm_user", "judge", "tau2_nl_assertions")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


@lru_cache(maxsize=64)
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_prompt(name: str, override_dir: str | os.PathLike[str] | None = None) -> str:
    """The template text named ``name`` (override folder first, then the bundled one)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
        raise ConfigError(f"invalid prompt name {name!r}")
    folders = [Path(p) for p in (override_dir, os.environ.get(PROMPTS_ENV)) if p]
    folders.append(Path(__file__).resolve().parent)
    for folder in folders:
        path = folder / f"{name}.md"
        if path.is_file():
            return _read(str(path))
    raise ConfigError(f"no prompt template '{name}' in {', '.join(map(str, folders))}")


def placeholders(template: str) -> set[str]:
    """Names of the ``{{placeholders}}`` in a template."""
    return set(_PLACEHOLDER.findall(template))


def fill(template: str, **values: object) -> str:
    """Substitute every ``{{name}}`` with ``str(values[name])`` in one pass.

    Raises:
        ConfigError: A placeholder has no value, or a value names no placeholder.
    """
    names = placeholders(template)
    missing = names - values.keys()
    unused = values.keys() - names
    if missing or unused:
        raise ConfigError(f"prompt placeholders: missing {sorted(missing)}, unknown {sorted(unused)}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def prompt_version(name: str, override_dir: str | os.PathLike[str] | None = None) -> str:
    """Short content hash of a template, for provenance (``name@hash``)."""
    return f"{name}@{hashlib.sha256(load_prompt(name, override_dir).encode()).hexdigest()[:12]}"
