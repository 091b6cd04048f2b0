"""The ``bfcl-multi-turn`` evaluation suite: its env ids and the paper-style results table.

``gem eval --suite bfcl-multi-turn --model ... -k 4`` evaluates the four envs (trainers/evaluate.py
runs the rollouts and computes Avg@k / Pass@k per env); :func:`render_suite_table` lays the
figures out like the paper's BFCL table: one row per model, columns base / miss func /
miss param / long context / overall, each with Avg@k and Pass@k, in percent. Overall is the
mean of the four categories (BFCL's multi-turn overall). No bfcl-eval import here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools_registry.errors import ConfigError

from . import CATEGORIES, ENV_IDS, category_of

__all__ = ["COLUMNS", "SUITE_ENV_IDS", "render_paper_table", "render_suite_table", "suite_rows"]

SUITE_ENV_IDS: dict[str, list[str]] = {"bfcl-multi-turn": list(ENV_IDS)}
#: Column titles, in order (the four categories, then overall).
COLUMNS = ("Base", "Miss Func", "Miss Param", "Long Context", "Overall")


def _block(summary: Mapping[str, Any], category: str) -> Mapping[str, Any] | None:
    for env_id, block in summary.get("envs", {}).items():
        if category_of(env_id) == category:
            return block
    return None


def suite_rows(summary: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """``{column: {"avg@k", "pass@k"}}`` (fractions) from one model's evaluation summary.

    ``summary`` is ``trainers.metrics.summarize``'s output: ``{"k", "envs": {env_id: {"avg@k",
    "pass@k", ...}}}``. Overall is the mean over the four categories, and None unless all four
    were evaluated.
    """
    out: dict[str, dict[str, float | None]] = {}
    found: list[Mapping[str, Any] | None] = []
    for title, cat in zip(COLUMNS, CATEGORIES):
        block = _block(summary, cat)
        out[title] = {m: (float(block[m]) if block is not None else None) for m in ("avg@k", "pass@k")}
        found.append(block)
    done = [b for b in found if b is not None]
    out["Overall"] = {
        m: (sum(float(b[m]) for b in done) / len(found) if len(done) == len(found) else None)
        for m in ("avg@k", "pass@k")
    }
    return out


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def render_paper_table(results: Mapping[str, Mapping[str, Any]], k: int | None = None) -> str:
    """The paper's layout for several models: ``results`` maps a model name to its summary.

    Two header lines: the columns, then ``Avg@k Pass@k`` under each; one row per model.
    """
    if not results:
        raise ConfigError("no results to tabulate")
    if k is None:
        k = int(next(iter(results.values())).get("k", 4))
    rows = [
        [name, *(_cell(r[c][m]) for c in COLUMNS for m in ("avg@k", "pass@k"))]
        for name, r in ((n, suite_rows(s)) for n, s in results.items())
    ]
    head2 = ["", *(h for _ in COLUMNS for h in (f"Avg@{k}", f"Pass@{k}"))]
    cell_w = max(9, *(len(x) for r in rows for x in r[1:]))
    name_w = max(len("Model"), *(len(r[0]) for r in rows))
    group_w = 2 * cell_w + 1
    line1 = "Model".ljust(name_w) + " | " + " | ".join(c.center(group_w) for c in COLUMNS)
    line2 = (
        "".ljust(name_w)
        + " | "
        + " | ".join(f"{head2[1 + 2 * i]:>{cell_w}} {head2[2 + 2 * i]:>{cell_w}}" for i in range(len(COLUMNS)))
    )
    sep = "-" * len(line1)
    body = [
        r[0].ljust(name_w)
        + " | "
        + " | ".join(f"{r[1 + 2 * i]:>{cell_w}} {r[2 + 2 * i]:>{cell_w}}" for i in range(len(COLUMNS)))
        for r in rows
    ]
    return "\n".join(line.rstrip() for line in [line1, line2, sep, *body])


def render_suite_table(suite: str | None, summary: Mapping[str, Any], model: str | None = None) -> str:
    """One model's ``gem eval --suite bfcl-multi-turn`` summary as the paper's table (one row)."""
    if suite is not None and suite not in SUITE_ENV_IDS:
        raise ConfigError(f"unknown suite {suite!r}; known: {', '.join(SUITE_ENV_IDS)}")
    name = model or str(summary.get("model") or "model")
    return render_paper_table({name: summary}, k=int(summary.get("k", 4)))
