"""Prompt templates as data: the one loader for gem_env's and synth's templates, and safe filling.

A template is a file ``<name>.md`` (gem_env's) or ``<name>.v<N>.md`` (synth's, versioned; the
latest is taken unless a version is asked for) found in the first folder that has it: the caller's
``prompts_dir``, then (for this package's templates) the folder named by ``GEM_PROMPTS_DIR``,
then the bundled folder. Placeholders are ``{{name}}``; filling is one pass, so values that hold
braces (JSON, code) are never re-read as placeholders, and a missing or unknown value is an
error. A chat template splits its system and user parts at a ``---user---`` line.

This package's templates (simulated tools, LLM users, the judge) are ``<name>.md`` here;
``synth.prompts`` loads the pipeline's versioned ones with the same code.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tools_registry.errors import ConfigError
from tools_registry.limits import read_text_file

__all__ = [
    "BUNDLED_DIR",
    "PLACEHOLDER",
    "PROMPTS_ENV",
    "PROMPT_NAMES",
    "Prompt",
    "fill",
    "find_prompt",
    "load_prompt",
    "placeholders",
    "prompt_version",
    "template_names",
]

PROMPTS_ENV = "GEM_PROMPTS_DIR"
BUNDLED_DIR = Path(__file__).resolve().parent
#: The templates this package ships.
PROMPT_NAMES = ("simulated_tool", "llm_user", "judge", "tau2_nl_assertions")
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FILE = re.compile(r"^([a-z][a-z0-9_]{0,63})(?:\.v(\d+))?\.md$")
_SPLIT = "\n---user---\n"


@dataclass(frozen=True)
class Prompt:
    """One template. ``version`` is ``v<N>-<sha8>`` for a versioned file, else ``<sha8>`` of its text."""

    name: str
    version: str
    text: str
    path: Path

    @property
    def placeholders(self) -> set[str]:
        """The names of the template's placeholders."""
        return placeholders(self.text)

    @property
    def system(self) -> str:
        """The part before the ``---user---`` line (a chat template's system message)."""
        return self._parts()[0]

    @property
    def user(self) -> str:
        """The part after the ``---user---`` line."""
        return self._parts()[1]

    def _parts(self) -> tuple[str, str]:
        if _SPLIT not in self.text:
            raise ConfigError(f"prompt {self.path}: missing the '---user---' line")
        system, user = self.text.split(_SPLIT, 1)
        return system.strip(), user.strip()

    def render(self, **values: object) -> str:
        """The whole text with every placeholder replaced by ``str(value)``."""
        return fill(self, **values)

    def fill(self, **values: object) -> list[dict[str, str]]:
        """The chat messages ``[system, user]`` with every placeholder replaced by ``str(value)``."""
        _check(self.name, self.placeholders, values)
        return [
            {"role": "system", "content": _sub(self.system, values)},
            {"role": "user", "content": _sub(self.user, values)},
        ]


def placeholders(template: str | Prompt) -> set[str]:
    """Names of the ``{{placeholders}}`` in a template."""
    text = template.text if isinstance(template, Prompt) else template
    return set(PLACEHOLDER.findall(text))


def _check(name: str, names: set[str], values: dict[str, object]) -> None:
    missing = names - values.keys()
    unknown = values.keys() - names
    if missing:
        raise ConfigError(f"prompt {name}: no value for {', '.join(sorted(missing))} (missing placeholders)")
    if unknown:
        raise ConfigError(f"prompt {name}: unknown placeholders {', '.join(sorted(unknown))}")


def _sub(text: str, values: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def fill(template: str | Prompt, **values: object) -> str:
    """Substitute every ``{{name}}`` of ``template`` with ``str(values[name])`` in one pass.

    Raises:
        ConfigError: A placeholder has no value (missing), or a value names no placeholder.
    """
    name = template.name if isinstance(template, Prompt) else "template"
    text = template.text if isinstance(template, Prompt) else template
    _check(name, placeholders(text), values)
    return _sub(text, values)


def template_names(folder: Path) -> dict[str, list[int | None]]:
    """``{name: [versions...]}`` of the templates in ``folder`` (``None`` for an unversioned file)."""
    out: dict[str, list[int | None]] = {}
    for path in sorted(folder.glob("*.md")):
        m = _FILE.match(path.name)
        if m:
            out.setdefault(m.group(1), []).append(int(m.group(2)) if m.group(2) else None)
    return {k: sorted(v, key=lambda x: -1 if x is None else x) for k, v in out.items()}


@lru_cache(maxsize=128)
def _read(path: str) -> str:
    return read_text_file(path, "prompt template")


def find_prompt(name: str, folders: list[Path], *, version: int | None = None, versioned: bool = False) -> Prompt:
    """Template ``name`` from the first of ``folders`` that has it.

    Args:
        name: Template name (lowercase letters, digits, underscores).
        folders: Where to look, in order (overrides first, the bundled folder last).
        version: A version to take (default: the latest); only with ``versioned``.
        versioned: Templates are ``<name>.v<N>.md`` files (synth's), else ``<name>.md`` files (gem_env's).

    Raises:
        ConfigError: A bad name, an unknown version, or no folder has the template.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"invalid prompt name {name!r}")
    for folder in folders:
        versions = [v for v in template_names(folder).get(name, []) if (v is not None) == versioned]
        if not versions:
            continue
        v = version if version is not None else versions[-1]
        if v not in versions:
            raise ConfigError(f"prompt {name!r} has no version {v} in {folder} (has {versions})")
        path = folder / (f"{name}.v{v}.md" if v is not None else f"{name}.md")
        text = _read(str(path))
        sha = hashlib.sha256(text.encode()).hexdigest()[:8]
        return Prompt(name=name, version=f"v{v}-{sha}" if v is not None else sha, text=text, path=path)
    known = sorted({n for f in folders if f.is_dir() for n in template_names(f)})
    raise ConfigError(f"unknown prompt {name!r} in {', '.join(map(str, folders))}; known: {', '.join(known) or 'none'}")


def load_prompt(name: str, prompts_dir: str | os.PathLike[str] | None = None) -> Prompt:
    """This package's template ``name``: ``prompts_dir`` first, then ``$GEM_PROMPTS_DIR``, then bundled."""
    folders = [Path(p) for p in (prompts_dir, os.environ.get(PROMPTS_ENV)) if p]
    return find_prompt(name, [*folders, BUNDLED_DIR])


def prompt_version(name: str, prompts_dir: str | os.PathLike[str] | None = None) -> str:
    """Short content hash of one of this package's templates, for provenance (``name@hash``)."""
    return f"{name}@{hashlib.sha256(load_prompt(name, prompts_dir).text.encode()).hexdigest()[:12]}"
