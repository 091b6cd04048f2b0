"""``gem synth stats``: what a run yielded and what it cost, as text and a PNG figure.

Per-stage yield and drop reasons, trajectory sizes beside the paper's, label histograms, and cost
per kept trajectory, for both modes side by side.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .item import SynthMeta
from .records import STAGES, Drop, Ledger
from .store import iter_rows, repair

__all__ = ["PAPER", "STAGE_ORDER", "collect", "format_stats", "plot_stats"]

#: paper.md: means per trajectory (messages, distinct tools, tool calls) before and after refinement.
PAPER = {"before": (30.05, 5.01, 7.83), "after": (46.1, 8.6, 16.3)}
#: The funnel's order: the one stage list of ``synth.records``.
STAGE_ORDER = STAGES
_SIZE_KEYS = ("messages", "distinct_tools", "tool_calls")


def _summ(values: list[float]) -> dict[str, float]:
    return (
        {"mean": statistics.fmean(values), "median": statistics.median(values), "n": len(values)}
        if values
        else {"mean": 0.0, "median": 0.0, "n": 0}
    )


def collect(outs: Iterable[str | Path]) -> dict[str, Any]:
    """All figures of one or more output folders, per mode ('pipeline', 'synthesizer')."""
    folders = [Path(o) for o in outs]
    for out in folders:
        if not out.is_dir():
            raise ConfigError(f"no such synth output folder: {out}")
        if not (out / "corpus").is_dir() and not (out / "drops").is_dir():
            raise ConfigError(f"{out} is not a `gem synth run` output folder (it has no corpus/ or drops/)")
    modes: dict[str, dict[str, Any]] = {}

    def m(mode: str) -> dict[str, Any]:
        return modes.setdefault(
            mode,
            {
                "kept": 0,
                "drops": Counter(),
                "reasons": Counter(),
                "examples": {},
                "before": {k: [] for k in _SIZE_KEYS},
                "after": {k: [] for k in _SIZE_KEYS},
                "domains": Counter(),
                "tasks": Counter(),
                "calls": 0,
                "tokens": 0,
                "seconds": 0.0,
                "cached": 0,
                "repairs": Counter(),
                "warnings": 0,
                "warned_rows": 0,
                "compile": Counter(),
                "uncompiled": Counter(),
                "compile_rounds": [],
            },
        )

    for out in folders:
        out = Path(out)
        for sub in ("corpus", "drops"):
            if (out / sub).is_dir():
                repair(out / sub)
        for row in iter_rows(out / "corpus"):
            ex = SynthMeta.read(row["meta"].get("extra") or {})
            s = m(ex.mode)
            s["kept"] += 1
            stats = row["meta"]["stats"]
            before = ex.before_refine.model_dump() if ex.before_refine is not None else None
            for k in _SIZE_KEYS:  # messages as the row holds them (rows before 0.x counted no system message)
                s["after"][k].append(len(row["messages"]) if k == "messages" else stats[k])
                if before:
                    s["before"][k].append(before[k])
            s["domains"][ex.tags.domain or "?"] += 1
            s["tasks"][ex.tags.task or "?"] += 1
            _cost(s, ex.ledger)
            s["warnings"] += len(ex.warnings)
            s["warned_rows"] += bool(ex.warnings)
            for r in ex.repairs:
                s["repairs"][_repair_kind(r)] += 1
            if ex.compile is not None:
                c = ex.compile
                s["compile"][c.status] += 1
                s["compile"]["certified"] += c.certified
                s["compile_rounds"].append(c.rounds)
                if not c.compiled:
                    s["uncompiled"][c.reason or "?"] += 1
        for raw in iter_rows(out / "drops"):
            d = Drop.model_validate(raw)
            s = m(d.mode)
            s["drops"][d.stage] += 1
            key = (d.stage, d.reason)
            s["reasons"][key] += 1
            s["examples"].setdefault(key, (d.id, (d.details or [""])[0][:160]))
            _cost(s, d.ledger)
            for r in d.repairs:
                s["repairs"][_repair_kind(r)] += 1
        for mode in _consistency_modes(out):
            m(mode)["consistency_on"] = True
    for mode, s in modes.items():
        always = (
            ["synthesizer", "rules", "judge"]
            if mode == "synthesizer"
            else ["select", "extract", "generate", "rules", "judge"]
        )
        if s.get("consistency_on"):  # the state replay ran (items without a state pass it unchecked)
            always.append("consistency")
        if any(s["before"][k] for k in _SIZE_KEYS):  # refinement ran: rows carry their pre-refinement sizes
            always.append("refine")
        if s["compile"] or s["drops"].get("compile"):
            always.append("compile")
        total = s["kept"] + sum(s["drops"].values())
        s["total"] = total
        funnel, left = [], total
        for st in STAGE_ORDER:
            dropped = s["drops"].get(st, 0)
            if dropped or st in always:
                funnel.append((st, left, dropped))
            left -= dropped
        s["funnel"] = funnel
        k = max(s["kept"], 1)
        s["per_kept"] = {"calls": s["calls"] / k, "tokens": s["tokens"] / k, "seconds": s["seconds"] / k}
        s["size"] = {phase: {key: _summ(v) for key, v in s[phase].items()} for phase in ("before", "after")}
    return modes


def _repair_kind(repair: str) -> str:
    """``"stage: what"`` of a recorded repair, without the item-specific details after a second colon."""
    return ":".join(repair.split(":")[:2]).strip()[:80]


def _consistency_modes(out: Path) -> set[str]:
    """Modes whose runs in ``out`` had the state-consistency check on (from runs.jsonl start lines)."""
    import orjson

    modes: set[str] = set()
    path = out / "runs.jsonl"
    if not path.is_file():
        return modes
    for line in path.read_bytes().splitlines():
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn last line of a killed run
        cfg = rec.get("config") if isinstance(rec, dict) and rec.get("event") == "start" else None
        if isinstance(cfg, dict) and cfg.get("consistency"):
            modes.add(cfg.get("mode") or "pipeline")
    return modes


def _cost(s: dict[str, Any], ledger: Ledger) -> None:
    s["calls"] += ledger.calls
    s["cached"] += ledger.cached
    s["tokens"] += ledger.prompt_tokens + ledger.completion_tokens
    s["seconds"] += ledger.seconds


def format_stats(modes: dict[str, Any]) -> str:
    """The stats of each mode as a text report: funnel, drop reasons, sizes, labels, warnings and cost."""
    lines: list[str] = []
    for mode, s in modes.items():
        lines.append(f"== mode: {mode}   items: {s['total']}   kept: {s['kept']}")
        lines.append(f"{'stage':<12} {'in':>6} {'dropped':>8} {'yield':>7}")
        for st, n_in, dropped in s["funnel"]:
            y = (n_in - dropped) / n_in if n_in else 0.0
            lines.append(f"{st:<12} {n_in:>6} {dropped:>8} {y:>7.1%}")
        lines.append("drop reasons (count, example item: first problem):")
        for (st, reason), n in s["reasons"].most_common():
            sid, detail = s["examples"][(st, reason)]
            lines.append(f"  {st}/{reason}: {n}   e.g. {sid}: {detail}")
        lines.append(f"{'size per trajectory':<22} {'messages':>17} {'distinct tools':>17} {'tool calls':>17}")
        for phase in ("before", "after"):
            sz = s["size"][phase]
            cells = [f"{sz[k]['mean']:>7.2f} / {sz[k]['median']:>6.1f}" for k in _SIZE_KEYS]
            paper = "  paper: " + " / ".join(f"{v}" for v in PAPER[phase])
            lines.append(f"{phase + ' refinement (mean/med)':<22} " + " ".join(f"{c:>17}" for c in cells) + paper)
        lines.append("domains: " + ", ".join(f"{k} {v}" for k, v in s["domains"].most_common()))
        lines.append("tasks:   " + ", ".join(f"{k} {v}" for k, v in s["tasks"].most_common()))
        if s["warnings"]:
            lines.append(
                f"warnings: {s['warnings']} on {s['warned_rows']} kept rows "
                f"(system-prompt quantities the source never states; see meta.extra.warnings)"
            )
        if s["compile"]:
            c = s["compile"]
            n = c["compiled"] + sum(v for k, v in c.items() if k not in ("compiled", "certified"))
            rounds = s["compile_rounds"]
            lines.append(
                f"compile: {c['compiled']} of {n} kept rows compiled ({c['compiled'] / max(n, 1):.1%}), "
                f"{c['certified']} certified; repair rounds mean {statistics.fmean(rounds):.2f}, "
                f"max {max(rounds)}"
            )
            if s["uncompiled"]:
                lines.append("  uncompiled: " + ", ".join(f"{k} {v}" for k, v in s["uncompiled"].most_common()))
        if s["repairs"]:
            lines.append(
                "repairs (stage: what was repaired, count): "
                + "; ".join(f"{k} {v}" for k, v in s["repairs"].most_common())
            )
        else:
            lines.append("repairs: none (every reply parsed as written)")
        lines.append("")
    if modes:
        lines.append(f"{'cost per kept trajectory':<26} {'LLM calls':>10} {'tokens':>10} {'LLM seconds':>12}")
        for mode, s in modes.items():
            p = s["per_kept"]
            note = "" if s["kept"] else "   (nothing kept: totals shown)"
            lines.append(f"{mode:<26} {p['calls']:>10.2f} {p['tokens']:>10.0f} {p['seconds']:>12.3f}{note}")
    return "\n".join(lines)


def plot_stats(modes: dict[str, Any], path: str | Path) -> Path:
    """A 2x2 PNG: stage funnel, drop reasons, sizes beside the paper's, domain histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for mode, s in modes.items():
        axes[0, 0].plot(
            [f[0] for f in s["funnel"]] + ["kept"],
            [f[1] for f in s["funnel"]] + [s["kept"]],
            marker="o",
            label=mode,
        )
    axes[0, 0].set_title("items entering each stage")
    axes[0, 0].tick_params(axis="x", rotation=45)
    axes[0, 0].legend()
    reasons: Counter[str] = Counter()
    for s in modes.values():
        reasons.update({f"{a}/{b}": n for (a, b), n in s["reasons"].items()})
    top = reasons.most_common(12)
    axes[0, 1].barh([k for k, _ in top][::-1], [v for _, v in top][::-1])
    axes[0, 1].set_title("drop reasons")
    labels_, ours_b, ours_a = ["messages", "distinct tools", "tool calls"], [], []
    s0 = next(iter(modes.values())) if modes else None
    if s0:
        ours_b = [s0["size"]["before"][k]["mean"] for k in _SIZE_KEYS]
        ours_a = [s0["size"]["after"][k]["mean"] for k in _SIZE_KEYS]
        x = range(3)
        w = 0.2
        for j, (vals, lab) in enumerate(
            [
                (ours_b, "ours before"),
                (PAPER["before"], "paper before"),
                (ours_a, "ours after"),
                (PAPER["after"], "paper after"),
            ]
        ):
            axes[1, 0].bar([i + (j - 1.5) * w for i in x], vals, w, label=lab)
        axes[1, 0].set_xticks(list(x), labels_)
        axes[1, 0].legend()
    axes[1, 0].set_title("mean size per trajectory")
    dom: Counter[str] = Counter()
    for s in modes.values():
        dom.update(s["domains"])
    axes[1, 1].barh(list(dom)[::-1], list(dom.values())[::-1])
    axes[1, 1].set_title("domains of kept trajectories")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)
