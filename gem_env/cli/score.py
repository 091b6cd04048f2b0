"""``gem score ENV_ID FILE.jsonl [--json]``: re-score recorded conversations (see ``gem_env.score``)."""

from __future__ import annotations

import typer

__all__ = ["register", "score_command"]


def register(app: typer.Typer) -> None:
    """Add the ``score`` command to the ``gem`` app."""
    app.command("score")(score_command)


def score_command(
    env_id: str = typer.Argument(
        ..., help="Env id: gem/tau2-airline-v0, gem/bfcl-multi-turn-base-v0, gem/<domain>-v0."
    ),
    file: str = typer.Argument(..., help='JSON Lines, one {"task_id": ..., "messages": [...]} per row.'),
    json_out: bool = typer.Option(
        False, "--json", help="One JSON object per row (task_id, reward, breakdown) on stdout."
    ),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="Model string for judged parts (tau2 NL assertions)."
    ),
    task_split: str | None = typer.Option(
        None, "--task-split", help="tau2 only: the split holding the tasks (default base)."
    ),
) -> None:
    """Replay each row's assistant messages on a fresh episode of its task and print the reward."""
    import orjson

    from ..score import read_rows, score_rows

    kwargs = {}
    if judge_model:
        kwargs["judge_model"] = judge_model
    if task_split:
        kwargs["task_split"] = task_split
    results = score_rows(env_id, read_rows(file), env_kwargs=kwargs, source=file)
    if json_out:
        for r in results:
            typer.echo(orjson.dumps(r.to_json(), default=str).decode())
        return
    width = max([len("task_id"), *(len(r.task_id) for r in results)])
    typer.echo(f"{'row':>4}  {'task_id':<{width}}  reward  parts")
    for r in results:
        parts = ", ".join(
            f"{k}={v:g}"
            for k, v in r.breakdown.items()
            if k not in ("reward", "details") and isinstance(v, (int, float))
        )
        typer.echo(f"{r.row:>4}  {r.task_id:<{width}}  {r.reward:6.3f}  {parts}")
    n = len(results)
    mean = sum(r.reward for r in results) / n if n else 0.0
    full = sum(1 for r in results if r.reward >= 1.0)
    typer.echo(f"{n} rows scored on {env_id}: mean reward {mean:.4f}, {full}/{n} with reward 1")
