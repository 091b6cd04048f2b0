"""Fidelity audit: the same calls through the LLM-simulated backend and the compiled one, compared.

For every task, each reference call (and, with ``mutants``, each reference call with one argument
changed, which mostly exercises error paths) runs on both backends from the same state: the
compiled program's state before the call. Outputs are compared with ``verify.canonical_output``,
the states after the call with ``canonical_state``; the audit then follows the compiled state.
The report counts, per tool, calls and agreements of outputs and states: how far simulation
drifts from the program.
"""

from __future__ import annotations

from typing import Any

import orjson

from tools_registry.domains import LoadedDomain
from tools_registry.errors import SimulatorError, ToolError
from tools_registry.reference import canonical_state

from ..tool_backends import EpisodeSetup
from .backend import CompiledToolBackend, programs_of
from .certify import mutate_value
from .verify import reference_calls, canonical_output

__all__ = ["audit_domain", "format_audit"]


async def _answer(backend: Any, name: str, args: dict[str, Any]) -> str:
    try:
        return await backend.acall(name, orjson.loads(orjson.dumps(args)), [])
    except SimulatorError as exc:
        return f"Error: (simulator failed) {exc}"
    except ToolError as exc:
        return f"Error: {exc}"


def _calls(task: Any, specs: dict[str, Any], mutants: bool) -> list[tuple[str, dict[str, Any]]]:
    calls = [(n, a) for n, a, _ in reference_calls(task.reference)]
    if mutants:
        for name, args in list(calls):
            props = (specs[name].parameters.get("properties") or {}) if name in specs else {}
            for k in args:
                calls.append((name, {**args, k: mutate_value(args[k], props.get(k))}))
    return calls


async def audit_domain(
    domain: LoadedDomain, llm: Any, *, mutants: bool = True, simulator_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the audit on every task of ``domain`` with ``llm`` simulating the tools.

    Returns ``{"model", "tools": {name: {calls, outputs_agree, states_agree, examples}}, "totals"}``.
    """
    from ..simulated import SimulatedToolBackend

    ps = programs_of(domain.domain)
    tools: dict[str, dict[str, Any]] = {}
    sim = SimulatedToolBackend(llm, **(simulator_options or {}))
    for task in domain.tasks:
        d = domain.domain
        initial = task.initial_state if task.initial_state is not None else d.initial_state
        specs = list(task.tools if task.tools is not None else d.tools)
        setup = EpisodeSetup(
            task=task,
            domain=d,
            tools=specs,
            policy=task.system_prompt or d.policy,
            initial_state=initial,
            initial_state_json=orjson.dumps(initial),
        )
        comp = CompiledToolBackend(ps)
        comp.reset(setup)
        sim.reset(setup)
        state = comp.state
        for name, args in _calls(task, {s.name: s for s in specs}, mutants):
            comp.set_state(state)
            sim.set_state(state)
            want = await _answer(comp, name, args)
            got = await _answer(sim, name, args)
            row = tools.setdefault(name, {"calls": 0, "outputs_agree": 0, "states_agree": 0, "examples": []})
            row["calls"] += 1
            same_out = canonical_output(want) == canonical_output(got)
            after = comp.state
            same_state = canonical_state(after) == canonical_state(sim.state)
            row["outputs_agree"] += same_out
            row["states_agree"] += same_state
            if not (same_out and same_state) and len(row["examples"]) < 3:
                row["examples"].append(
                    {"arguments": args, "compiled": want[:200], "simulated": got[:200], "state_agrees": same_state}
                )
            state = after
    calls = sum(r["calls"] for r in tools.values())
    return {
        "model": getattr(llm, "name", str(llm)),
        "tools": tools,
        "totals": {
            "calls": calls,
            "outputs_agree": sum(r["outputs_agree"] for r in tools.values()) / max(calls, 1),
            "states_agree": sum(r["states_agree"] for r in tools.values()) / max(calls, 1),
        },
    }


def format_audit(report: dict[str, Any]) -> str:
    """The audit as a table: tool, calls, output agreement, state agreement."""
    lines = [f"simulated ({report['model']}) vs compiled", f"{'tool':<32} {'calls':>6} {'outputs':>8} {'states':>8}"]
    for name, r in sorted(report["tools"].items()):
        n = max(r["calls"], 1)
        lines.append(f"{name:<32} {r['calls']:>6} {r['outputs_agree'] / n:>8.1%} {r['states_agree'] / n:>8.1%}")
    t = report["totals"]
    lines.append(f"{'all':<32} {t['calls']:>6} {t['outputs_agree']:>8.1%} {t['states_agree']:>8.1%}")
    return "\n".join(lines)
