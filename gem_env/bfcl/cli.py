"""``gem bfcl replay`` (fidelity pass counts) and ``gem bfcl score`` (a BFCL result file, ours vs bfcl-eval's)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["bfcl_app", "register"]

bfcl_app = typer.Typer(
    name="bfcl",
    help="BFCL multi-turn: fidelity replay and result-file scoring.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    """Add the ``bfcl`` command group to the ``gem`` app."""
    app.add_typer(bfcl_app, name="bfcl")


@bfcl_app.command("replay")
def replay_command(
    data_dir: str | None = typer.Option(
        None,
        "--data-dir",
        "-d",
        help="BFCL data folder (e.g. the v3 files); default $GEM_BFCL_DATA_DIR, else bfcl-eval's v4 data.",
    ),
    category: list[str] = typer.Option([], "--category", "-c", help="Category (repeatable; default: all four)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Entries per category (default: all)."),
    json_out: str | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
) -> None:
    """Replay every entry's ground truth through the environments; print pass counts and every exception."""
    from .data import CATEGORIES
    from .fidelity import fidelity_report, format_fidelity

    cats = tuple(category) if category else CATEGORIES
    report = fidelity_report(data_dir, categories=cats, limit=limit)
    typer.echo(format_fidelity(report))
    if json_out:
        Path(json_out).write_text(json.dumps(report, indent=2))


@bfcl_app.command("score")
def score_command(
    result_file: str = typer.Argument(..., help="BFCL result file (JSON Lines: id, result) of one category."),
    category: str = typer.Option(..., "--category", "-c", help="base, miss_func, miss_param or long_context."),
    data_dir: str | None = typer.Option(None, "--data-dir", "-d", help="BFCL data folder (default: v4 package data)."),
    official: bool = typer.Option(True, "--official/--no-official", help="Also score with bfcl-eval's evaluation."),
) -> None:
    """Score recorded model outputs with our environment (and bfcl-eval's own evaluation, to compare)."""
    from .results import read_result_file, score_with_bfcl_eval, score_with_env

    rows = read_result_file(result_file)
    ours = score_with_env(rows, category, data_dir=data_dir)
    typer.echo(f"gem env:   {sum(ours.values())}/{len(ours)} = {100 * sum(ours.values()) / max(1, len(ours)):.2f}%")
    if official:
        theirs = score_with_bfcl_eval(rows, category, data_dir=data_dir)
        typer.echo(
            f"bfcl-eval: {sum(theirs.values())}/{len(theirs)} = {100 * sum(theirs.values()) / max(1, len(theirs)):.2f}%"
        )
        differ = sorted(k for k in ours if ours[k] != theirs.get(k))
        typer.echo(f"entries that differ: {', '.join(differ) if differ else 'none'}")
