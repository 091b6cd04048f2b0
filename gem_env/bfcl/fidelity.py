"""Fidelity: does replaying BFCL's ground truth through our environments pass BFCL's checker?

For every entry of a category, two verdicts of bfcl-eval's ``multi_turn_checker``:
``bfcl`` - the ground truth handed straight to the checker, one step per turn, over the turns
bfcl-eval's inference can produce (the entry's user turns): what BFCL itself accepts;
``env`` - the ground truth played by ``OracleAgent`` through ``BFCLMultiTurnEnv`` (one call per
assistant message), scored by the env's reward. Every disagreement, and every entry BFCL itself
rejects, is listed with the checker's reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from .data import CATEGORIES, load_entries, resolve_data_dir
from .execution import check_entry

__all__ = ["CategoryFidelity", "category_fidelity", "fidelity_report", "format_fidelity"]


@dataclass
class CategoryFidelity:
    """Pass counts of one category and the entries that did not pass."""

    category: str
    version: str
    total: int
    bfcl_accepts: int
    env_passes: int
    both: int
    seconds: float
    exceptions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return dict(vars(self))


def _reason(entry: Any, verdict: dict[str, Any]) -> str:
    if len(entry.turns) != len(entry.ground_truth):
        return (
            f"the entry has {len(entry.turns)} user turns but {len(entry.ground_truth)} ground-truth turns: "
            "bfcl-eval's inference stops after the user turns, so its evaluation marks every model "
            "force_terminated (no model can pass it, in BFCL or here)"
        )
    return f"{verdict.get('error_type')}: {verdict.get('error_message')}"


def category_fidelity(
    category: str, data_dir: str | os.PathLike[str] | None = None, limit: int | None = None
) -> CategoryFidelity:
    """Replay the ground truth of ``category`` (the first ``limit`` entries) and count passes."""
    from ..agents import OracleAgent
    from ..rollout import run_episode
    from .env import BFCLMultiTurnEnv

    started = time.perf_counter()
    entries = load_entries(category, data_dir)[:limit]
    env = BFCLMultiTurnEnv(category, data_dir=data_dir, task_ids=[e.id for e in entries], per_turn=False)
    bfcl_ok = env_ok = both = 0
    exceptions = []
    try:
        for e in entries:
            # what bfcl-eval's inference can deliver: one turn per user turn of the entry
            steps = [[turn] for turn in e.ground_truth[: len(e.turns)]]
            direct = check_entry(e, steps)
            rec = run_episode(env, OracleAgent(), task_id=e.id)
            ours = rec.reward == 1.0
            bfcl_ok += direct["valid"]
            env_ok += ours
            both += direct["valid"] and ours
            if not (direct["valid"] and ours):
                verdict = rec.breakdown.get("details", {}).get("bfcl", {})
                exceptions.append(
                    {
                        "id": e.id,
                        "bfcl_accepts": direct["valid"],
                        "env_passes": ours,
                        "bfcl_reason": None if direct["valid"] else _reason(e, direct),
                        "env_reason": None if ours else (rec.error or _reason(e, verdict)),
                        "truncated_by": rec.truncated_by,
                    }
                )
    finally:
        env.close()
    return CategoryFidelity(
        category=category,
        version=entries[0].version if entries else "?",
        total=len(entries),
        bfcl_accepts=bfcl_ok,
        env_passes=env_ok,
        both=both,
        seconds=round(time.perf_counter() - started, 2),
        exceptions=exceptions,
    )


def fidelity_report(
    data_dir: str | os.PathLike[str] | None = None, categories: tuple[str, ...] = CATEGORIES, limit: int | None = None
) -> dict[str, Any]:
    """Fidelity of every category of one data folder: ``{"data_dir", "version", "categories": [...]}``."""
    folder = resolve_data_dir(data_dir)
    rows = [category_fidelity(c, folder, limit) for c in categories]
    return {
        "data_dir": str(folder),
        "version": rows[0].version if rows else "?",
        "categories": [r.to_dict() for r in rows],
    }


def format_fidelity(report: dict[str, Any]) -> str:
    """A plain-text table of a report, then every exception with its reason."""
    lines = [
        f"BFCL {report['version']} ({report['data_dir']})",
        f"{'category':<14}{'entries':>8}{'BFCL accepts GT':>17}{'env replay passes':>19}{'seconds':>9}",
    ]
    for r in report["categories"]:
        lines.append(f"{r['category']:<14}{r['total']:>8}{r['bfcl_accepts']:>17}{r['env_passes']:>19}{r['seconds']:>9}")
    for r in report["categories"]:
        for x in r["exceptions"]:
            lines.append(
                f"  exception {x['id']}: BFCL accepts={x['bfcl_accepts']} env passes={x['env_passes']}; "
                f"{x['env_reason'] or x['bfcl_reason']}"
            )
    return "\n".join(lines)
