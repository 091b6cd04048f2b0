"""The ``gem`` command line. Each area registers its own commands; this module only assembles them.

Errors the project raises on purpose (GemError) become one line on stderr and exit code 2, never a
traceback; ``GEM_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

__all__ = ["app", "main", "COMMAND_MODULES"]

#: Modules that each expose ``register(app)``; imported when the CLI starts (they import heavy
#: libraries only inside their commands).
COMMAND_MODULES = [
    "gem_env.cli.domains",
    "gem_env.cli.rollout",
    "synth.cli",
    "trainers.cli",
    "gem_env.bfcl.cli",
    "gem_env.cli.score",
    "gem_env.cli.tiny_model",
]

app = typer.Typer(
    name="gem",
    help="gem-env: synthesize tool-use trajectories from text; run, train and evaluate agents in gem environments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    _plain_help(app)


def _plain_help(group: typer.Typer) -> None:
    """Click's plain help layout for every group.

    Typer's rich panels print a type beside each flag (``--help <bool>``), which reads as if
    flags took a value.
    """
    group.rich_markup_mode = None
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _plain_help(sub.typer_instance)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from tools_registry.errors import GemError

    try:
        app(args=argv, prog_name="gem", standalone_mode=True)
    except GemError as exc:
        if os.environ.get("GEM_DEBUG"):
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
