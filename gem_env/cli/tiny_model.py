"""``gem tiny-model OUT``: write a tiny random chat model, for trying SFT and eval with no download.

The model is :func:`gem_env.llm.testing.build_tiny_chat_model` (random Qwen3 weights, a ~1k-token
BPE tokenizer, TRL's qwen3 chat template); it exercises the plumbing and learns nothing useful.
"""

from __future__ import annotations

import typer

__all__ = ["register", "tiny_model_command"]


def register(app: typer.Typer) -> None:
    """Add the ``tiny-model`` command to the ``gem`` app."""
    app.command("tiny-model")(tiny_model_command)


def tiny_model_command(
    out: str = typer.Argument(..., help="Folder to write (must be empty or missing)."),
    seed: int = typer.Option(0, "--seed", help="Seed for the random weights."),
) -> None:
    """Write a tiny random Qwen3 chat model (no download) that hf:OUT and `gem train sft` load."""
    from pathlib import Path

    from tools_registry.errors import ConfigError

    from ..llm.testing import build_tiny_chat_model

    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"{out} already exists and is not an empty folder; name a new one")
    build_tiny_chat_model(path, seed=seed)
    typer.echo(f"wrote a tiny random Qwen3 chat model to {out} (load it as hf:{out})")
