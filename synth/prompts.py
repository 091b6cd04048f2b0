"""Prompt templates: files ``synth/prompts/<name>.v<N>.md`` loaded by name, filled safely.

A template holds a system part and a user part split by a ``---user---`` line. Placeholders are
``{{name}}``; filling is one pass over the template, so braces inside the values (JSON, code)
are never read as placeholders, and a placeholder left without a value is an error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tools_registry.errors import ConfigError

__all__ = ["PLACEHOLDER", "PROMPTS_DIR", "Prompt", "load_prompt", "prompt_names"]

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
PLACEHOLDER = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")
_SPLIT = "\n---user---\n"
_FILE = re.compile(r"^([a-z_]+)\.v(\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    """One versioned template. ``version`` is ``v<N>-<sha8>`` of the file's text."""

    name: str
    version: str
    system: str
    user: str

    @property
    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.system)) | set(PLACEHOLDER.findall(self.user))

    def fill(self, **values: object) -> list[dict[str, str]]:
        """The chat messages ``[system, user]`` with every placeholder replaced by ``str(value)``."""
        missing = self.placeholders - set(values)
        if missing:
            raise ConfigError(f"prompt {self.name}: no value for {', '.join(sorted(missing))}")
        unknown = set(values) - self.placeholders
        if unknown:
            raise ConfigError(f"prompt {self.name}: unknown placeholders {', '.join(sorted(unknown))}")

        def sub(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

        return [{"role": "system", "content": sub(self.system)}, {"role": "user", "content": sub(self.user)}]


def prompt_names(directory: Path | None = None) -> dict[str, list[int]]:
    """``{name: [versions...]}`` of the templates in ``directory`` (default: the bundled ones)."""
    out: dict[str, list[int]] = {}
    for path in sorted((directory or PROMPTS_DIR).glob("*.md")):
        m = _FILE.match(path.name)
        if m:
            out.setdefault(m.group(1), []).append(int(m.group(2)))
    return {k: sorted(v) for k, v in out.items()}


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_prompt(name: str, version: int | None = None, directory: str | Path | None = None) -> Prompt:
    """Load template ``name`` (latest version unless given) from ``directory`` or the bundled folder.

    A folder given by the user overrides the bundled template of the same name.
    """
    folders = [Path(directory)] if directory else []
    folders.append(PROMPTS_DIR)
    for folder in folders:
        versions = prompt_names(folder).get(name)
        if not versions:
            continue
        v = version if version is not None else versions[-1]
        if v not in versions:
            raise ConfigError(f"prompt {name!r} has no version {v} in {folder} (has {versions})")
        text = _read(folder / f"{name}.v{v}.md")
        if _SPLIT not in text:
            raise ConfigError(f"prompt {folder / f'{name}.v{v}.md'}: missing the '---user---' line")
        system, user = text.split(_SPLIT, 1)
        sha = hashlib.sha256(text.encode()).hexdigest()[:8]
        return Prompt(name=name, version=f"v{v}-{sha}", system=system.strip(), user=user.strip())
    raise ConfigError(f"unknown prompt {name!r}; known: {', '.join(sorted(prompt_names()))}")
