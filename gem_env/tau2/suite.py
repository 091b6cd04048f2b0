"""The ``tau2`` evaluation suite: its env ids and the paper-style results table.

``gem eval --suite tau2 --model ... --user-model ... -k 4`` evaluates airline, retail and telecom
(trainers/evaluate.py runs the rollouts and computes Avg@k / Pass@k / pass^k per env);
:func:`render_suite_table` lays the figures out like the paper's τ²-bench table: one row per model,
a column group per domain and overall (the mean of the domains evaluated), each with Avg@k,
Pass@k and pass^k in percent. No tau2 import here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools_registry.errors import ConfigError

from . import SUITE_DOMAINS, env_id_for, name_of

__all__ = ["METRICS", "SUITE_ENV_IDS", "render_paper_table", "render_suite_table", "suite_rows"]

SUITE_ENV_IDS: dict[str, list[str]] = {"tau2": [env_id_for(d) for d in SUITE_DOMAINS]}
METRICS = ("avg@k", "pass@k", "pass^k")


def suite_rows(summary: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """``{column: {metric: fraction or None}}`` from one model's summary; Overall = mean of evaluated domains."""
    blocks = {name_of(e): b for e, b in summary.get("envs", {}).items() if name_of(e) is not None}
    out: dict[str, dict[str, float | None]] = {}
    found = []
    for d in SUITE_DOMAINS:
        b = blocks.get(d)
        out[d.capitalize()] = {m: (float(b[m]) if b is not None else None) for m in METRICS}
        if b is not None:
            found.append(b)
    out["Overall"] = {m: (sum(float(b[m]) for b in found) / len(found) if found else None) for m in METRICS}
    return out


def _cell(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def render_paper_table(results: Mapping[str, Mapping[str, Any]], k: int | None = None) -> str:
    """Several models' summaries (``{model: summary}``) as one table, two header lines."""
    if not results:
        raise ConfigError("no results to tabulate")
    if k is None:
        k = int(next(iter(results.values())).get("k", 4))
    columns = [*(d.capitalize() for d in SUITE_DOMAINS), "Overall"]
    heads = (f"Avg@{k}", f"Pass@{k}", f"pass^{k}")
    rows = [
        [name, *(_cell(r[c][m]) for c in columns for m in METRICS)]
        for name, r in ((n, suite_rows(s)) for n, s in results.items())
    ]
    w = max(8, *(len(x) for r in rows for x in r[1:]))
    nw = max(len("Model"), *(len(r[0]) for r in rows))
    gw = 3 * w + 2
    line1 = "Model".ljust(nw) + " | " + " | ".join(c.center(gw) for c in columns)
    line2 = "".ljust(nw) + " | " + " | ".join(" ".join(f"{h:>{w}}" for h in heads) for _ in columns)
    body = [
        r[0].ljust(nw)
        + " | "
        + " | ".join(" ".join(f"{x:>{w}}" for x in r[1 + 3 * i : 4 + 3 * i]) for i in range(len(columns)))
        for r in rows
    ]
    return "\n".join(line.rstrip() for line in [line1, line2, "-" * len(line1), *body])


def render_suite_table(suite: str | None, summary: Mapping[str, Any], model: str | None = None) -> str:
    """One model's ``gem eval --suite tau2`` summary as the paper's table (one row)."""
    if suite is not None and suite not in SUITE_ENV_IDS:
        raise ConfigError(f"unknown suite {suite!r}; known: {', '.join(SUITE_ENV_IDS)}")
    return render_paper_table({model or str(summary.get("model") or "model"): summary}, k=int(summary.get("k", 4)))
