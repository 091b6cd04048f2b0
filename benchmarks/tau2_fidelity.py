"""Print τ²-bench gold-replay fidelity: each task's gold conversation re-scored by gem (``gem score``).

For every task of each domain, the conversation made of the task's gold actions (one assistant call
each, user-side actions as the user's calls) plus a closing text with the facts to communicate is
scored on ``gem/tau2-<domain>-v0``; every task not scoring 1 is then run through tau2's own
pipeline (Orchestrator + ``evaluate_simulation`` on tau2's own environment) to show what tau2's
evaluator does with the same conversation. Also: a conversation with no tool calls, on every task
whose gold actions write.

Usage: python benchmarks/tau2_fidelity.py [--domain airline --domain retail] [--limit N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gem_env.score import score_rows
from gem_env.tau2.data import load_tasks
from gem_env.tau2.fidelity import gold_conversation, run_tau2_pipeline

READ_PREFIXES = ("get_", "find_", "search_", "list_", "calculate", "think", "transfer_to_human")


def writes(task) -> bool:
    return any(not a.name.startswith(READ_PREFIXES) for a in task.evaluation_criteria.actions or [])


def report(domain: str, limit: int | None) -> dict:
    tasks = load_tasks(domain, "base")[:limit]
    t0 = time.perf_counter()
    gold = score_rows(f"gem/tau2-{domain}-v0", [{"task_id": t.id, "messages": gold_conversation(t)} for t in tasks])
    seconds = time.perf_counter() - t0
    exceptions = []
    for task, res in zip(tasks, gold):
        if res.reward != 1.0:
            ref, sim = run_tau2_pipeline(domain, task, gold_conversation(task))
            parts = {k: v for k, v in res.breakdown.items() if k not in ("reward", "details")}
            exceptions.append(
                {
                    "task_id": task.id,
                    "gem": res.reward,
                    "tau2": ref,
                    "parts": parts,
                    "why": res.breakdown.get("details", {}).get("evaluator_error")
                    or res.breakdown.get("details", {}).get("tau2_reward_breakdown"),
                }
            )
    writing = [t for t in tasks if writes(t)]
    silent_rows = [
        {
            "task_id": t.id,
            "messages": [
                gold_conversation(t)[0],
                {"role": "assistant", "content": "All done."},
                {"role": "user", "content": "###STOP###"},
            ],
        }
        for t in writing
    ]
    silent = score_rows(f"gem/tau2-{domain}-v0", silent_rows)
    silent_exceptions = []
    for task, row, res in zip(writing, silent_rows, silent):
        if res.reward != 0.0:
            ref, _ = run_tau2_pipeline(domain, task, row["messages"])
            silent_exceptions.append(
                {
                    "task_id": task.id,
                    "gem": res.reward,
                    "tau2": ref,
                    "gold_action_errors": gold_action_errors(domain, task),
                }
            )
    return {
        "domain": domain,
        "tasks": len(tasks),
        "gold_reward_1": sum(r.reward == 1.0 for r in gold),
        "exceptions": exceptions,
        "seconds": round(seconds, 1),
        "writing_tasks": len(writing),
        "no_calls_reward_0": sum(r.reward == 0.0 for r in silent),
        "no_calls_exceptions": silent_exceptions,
    }


def gold_action_errors(domain: str, task) -> list[str]:
    """The gold actions that fail in tau2's own environment (tau2's evaluator logs them and goes on)."""
    from gem_env.tau2._tau2 import require_tau2

    env = require_tau2().registry.get_env_constructor(domain)()
    out = []
    for a in task.evaluation_criteria.actions or []:
        try:
            env.make_tool_call(a.name, requestor=a.requestor, **a.arguments)
        except Exception as exc:  # what tau2's EnvironmentEvaluator catches for gold actions
            out.append(f"{a.name}: {exc}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--domain", action="append", default=None, help="airline, retail, telecom, mock (default: airline, retail)"
    )
    ap.add_argument("--limit", type=int, default=None, help="first N tasks per domain (default: all)")
    ap.add_argument("--json", default=None, help="also write the reports as JSON here")
    args = ap.parse_args()
    reports = [report(d, args.limit) for d in (args.domain or ["airline", "retail"])]
    for r in reports:
        print(
            f"{r['domain']}: gold replay reward 1 on {r['gold_reward_1']}/{r['tasks']} tasks ({r['seconds']} s); "
            f"no tool calls -> reward 0 on {r['no_calls_reward_0']}/{r['writing_tasks']} tasks whose gold actions write"
        )
        for e in r["exceptions"]:
            print(
                f"  task {e['task_id']}: gem {e['gem']}, tau2's own pipeline {e['tau2']}; parts {e['parts']}; {e['why']}"
            )
        for e in r["no_calls_exceptions"]:
            print(
                f"  no calls, task {e['task_id']}: gem {e['gem']}, tau2's own pipeline {e['tau2']}; gold actions that "
                f"fail in tau2's own environment (the gold DB stays unchanged): {'; '.join(e['gold_action_errors'])}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2, default=str))


if __name__ == "__main__":
    main()
