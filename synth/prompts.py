"""The pipeline's prompt templates: files ``synth/prompts/<name>.v<N>.md``, loaded by gem_env's loader.

A template holds a system part and a user part split by a ``---user---`` line; ``Prompt.fill``
gives the two chat messages. Loading, versions and safe filling are ``gem_env.prompts``'s.
"""

from __future__ import annotations

import os
from pathlib import Path

from gem_env.prompts import PLACEHOLDER, Prompt, find_prompt, template_names

__all__ = ["PLACEHOLDER", "PROMPTS_DIR", "Prompt", "load_prompt", "prompt_names"]

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


def prompt_names(prompts_dir: Path | None = None) -> dict[str, list[int]]:
    """``{name: [versions...]}`` of the templates in ``prompts_dir`` (default: the bundled ones)."""
    names = template_names(prompts_dir or PROMPTS_DIR).items()
    return {k: [v for v in vs if v is not None] for k, vs in names if any(v is not None for v in vs)}


def load_prompt(name: str, version: int | None = None, prompts_dir: str | os.PathLike[str] | None = None) -> Prompt:
    """Template ``name`` (latest version unless given): ``prompts_dir`` overrides the bundled folder."""
    folders = [Path(prompts_dir)] if prompts_dir else []
    return find_prompt(name, [*folders, PROMPTS_DIR], version=version, versioned=True)
