"""Multi-trial metrics: Avg@k, Pass@k (unbiased) and pass^k, per task, per environment and overall.

For a task run ``n`` times with ``c`` successes (reward >= threshold):

- Avg@k   = mean reward of the task's rollouts (the paper's Avg@4 with n = k = 4);
- Pass@k  = 1 - C(n-c, k) / C(n, k), the chance that at least one of k draws succeeds (Chen et al. 2021);
- pass^k  = C(c, k) / C(n, k), the chance that all k draws succeed (tau-bench).

With n = k, Pass@k is "any success" and pass^k is "all succeed". Environment figures are means over
its tasks; ``overall`` is the mean over environments (every environment weighs the same, as BFCL's
overall does) and ``all_tasks`` the mean over every task pooled. Pure Python; no heavy imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb
from statistics import fmean
from typing import Any

from tools_registry.errors import ConfigError

__all__ = ["METRIC_NAMES", "avg_at_k", "pass_at_k", "pass_hat_k", "summarize", "task_scores"]

METRIC_NAMES = ("avg@k", "pass@k", "pass^k")


def _check(n: int, c: int, k: int) -> None:
    if k < 1 or n < 1:
        raise ConfigError(f"need n >= 1 and k >= 1 (n={n}, k={k})")
    if k > n:
        raise ConfigError(f"k={k} is larger than the number of trials n={n}")
    if not 0 <= c <= n:
        raise ConfigError(f"successes c={c} must lie in [0, n={n}]")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased Pass@k: 1 - C(n-c, k) / C(n, k)."""
    _check(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k: C(c, k) / C(n, k)."""
    _check(n, c, k)
    return comb(c, k) / comb(n, k)


def avg_at_k(rewards: Sequence[float]) -> float:
    """Mean reward over a task's rollouts."""
    if not rewards:
        raise ConfigError("avg@k of no rollouts")
    return fmean(float(r) for r in rewards)


def task_scores(rewards: Sequence[float], k: int, *, threshold: float = 1.0) -> dict[str, Any]:
    """One task's figures from its rollout rewards (success: reward >= threshold)."""
    n = len(rewards)
    c = sum(1 for r in rewards if float(r) >= threshold)
    return {
        "n": n,
        "successes": c,
        "avg@k": avg_at_k(rewards),
        "pass@k": pass_at_k(n, c, k),
        "pass^k": pass_hat_k(n, c, k),
    }


def _mean_block(scores: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {m: fmean(s[m] for s in scores) for m in METRIC_NAMES}
    out["tasks"] = len(scores)
    out["episodes"] = sum(s["n"] for s in scores)
    return out


def summarize(
    rewards: Mapping[str, Mapping[str, Sequence[float]]], k: int, *, threshold: float = 1.0
) -> dict[str, Any]:
    """Figures per task, per environment and overall.

    Args:
        rewards: ``{env_id: {task_id: [reward of each rollout]}}``.
        k: The k of the metrics (each task needs at least k rollouts).
        threshold: Reward at or above which a rollout counts as a success.

    Returns:
        ``{"k", "threshold", "envs": {env_id: {"avg@k", "pass@k", "pass^k", "tasks", "episodes",
        "per_task": {task_id: {...}}}}, "overall": {...}, "all_tasks": {...}}``.
    """
    envs: dict[str, Any] = {}
    pooled: list[dict[str, Any]] = []
    for env_id, tasks in rewards.items():
        if not tasks:
            raise ConfigError(f"environment {env_id!r} has no evaluated task")
        per_task = {tid: task_scores(r, k, threshold=threshold) for tid, r in tasks.items()}
        block = _mean_block(list(per_task.values()))
        block["per_task"] = per_task
        envs[env_id] = block
        pooled.extend(per_task.values())
    if not envs:
        raise ConfigError("nothing was evaluated")
    overall: dict[str, Any] = {m: fmean(e[m] for e in envs.values()) for m in METRIC_NAMES}
    overall["tasks"] = len(pooled)
    overall["episodes"] = sum(s["n"] for s in pooled)
    return {"k": k, "threshold": threshold, "envs": envs, "overall": overall, "all_tasks": _mean_block(pooled)}
