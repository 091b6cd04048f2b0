"""The certificate of a compiled domain: evidence that its reward separates right from wrong.

For every task, on the compiled backend with the reference user replayed: the reference replays
cleanly (``verify``), the reward's basis holds the state match, the oracle (reference actions)
earns 1, a random agent (schema-typed random calls to random tools, several seeds) and a
do-nothing agent earn 0, and the oracle with any
one argument of any one gold write action changed earns 0. The result is a plain dict stored as
``domain.json``'s ``certificate``: ``passed``, each check's result, counts, the programs' hash.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import os

from tools_registry.domains import LoadedDomain, load_domain, save_domain
from tools_registry.records import Domain, Task
from tools_registry.reference import expected_final_state

from .backend import CompiledToolBackend, programs_of
from .limits import DEFAULT_LIMITS, Limits
from .verify import verify_reference

__all__ = ["CERTIFICATE_VERSION", "certify", "certify_domain", "mutate_value"]

CERTIFICATE_VERSION = 1
Policy = Callable[[dict[str, Any]], dict[str, Any]]


def _random_value(schema: dict[str, Any], rng: random.Random) -> Any:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return rng.randint(0, 1000)
    if kind == "number":
        return round(rng.uniform(0, 1000), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return rng.choice(("abc", "X-1", "item", "0")) + str(rng.randint(0, 9999))


def _random_policy(rng: random.Random, p_call: float = 0.5) -> Policy:
    """A random agent: schema-typed random calls to random tools, or text that hands the turn back."""

    def act(obs: dict[str, Any]) -> dict[str, Any]:
        tools = obs["tools"]
        if not tools or rng.random() >= p_call:
            return {"role": "assistant", "content": rng.choice(("ok", "Done.", "Could you say more?", "Sure."))}
        fn = rng.choice(tools)["function"]
        props = (fn.get("parameters") or {}).get("properties") or {}
        args = {k: _random_value(v if isinstance(v, dict) else {}, rng) for k, v in props.items()}
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"type": "function", "function": {"name": fn["name"], "arguments": args}}],
        }

    return act


def mutate_value(value: Any, schema: dict[str, Any] | None = None) -> Any:
    """A different value of the same kind: another enum member, +1, not, a changed string."""
    enum = (schema or {}).get("enum")
    if isinstance(enum, list):
        for other in enum:
            if other != value:
                return other
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "-X" if value else "X"
    if isinstance(value, list):
        return value[:-1] if value else ["X"]
    if isinstance(value, dict):
        return {**value, "_changed": True}
    return "X"


def _play(env: Any, task_id: str, policy: Policy, seed: int | None) -> float:
    obs, _ = env.reset(seed=seed, options={"task_id": task_id})
    for _ in range(env.max_turns + 1):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        if terminated or truncated:
            return float(reward)
    return 0.0


def _script(replies: list[dict[str, Any]]) -> Policy:
    it = iter(replies)
    return lambda obs: next(it, {"role": "assistant", "content": ""})


def _mutants(task: Task, domain: Domain) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(label, assistant replies)`` for every gold write call with one argument changed."""
    specs = {t.name: t for t in (task.tools or domain.tools)}
    gold = [(g.name, g.arguments) for g in task.criteria.actions]
    replies = [m.to_dict() for m in task.reference if m.role == "assistant"]
    out = []
    for j, reply in enumerate(replies):
        for k, call in enumerate(reply.get("tool_calls") or ()):
            name, args = call["function"]["name"], call["function"]["arguments"]
            if (name, args) not in gold:
                continue
            props = (specs[name].parameters.get("properties") or {}) if name in specs else {}
            for arg in args:
                changed = list(replies)
                changed[j] = copy.deepcopy(reply)
                new_args = changed[j]["tool_calls"][k]["function"]["arguments"]
                new_args[arg] = mutate_value(args[arg], props.get(arg))
                out.append((f"{name}.{arg}={new_args[arg]!r}"[:120], changed))
    return out


def _certify_task(env: Any, task: Task, domain: Domain, random_episodes: int, seed: int) -> dict[str, Any]:
    initial = task.initial_state if task.initial_state is not None else domain.initial_state
    tools = task.tools or domain.tools
    ver = verify_reference(
        programs_of(domain),
        task.reference,
        initial,
        expected_final_state=expected_final_state(initial, task.criteria),
        read_only={t.name for t in tools if not t.mutates},
        state_schema=domain.state_schema,
    )
    replies = [m.to_dict() for m in task.reference if m.role == "assistant"]
    oracle = _play(env, task.id, _script(replies), seed)
    randoms = [
        _play(env, task.id, _random_policy(random.Random(seed * 1_000_003 + i)), None) for i in range(random_episodes)
    ]
    idle = _play(env, task.id, lambda obs: {"role": "assistant", "content": "I cannot do that."}, None)
    rewarded = []
    mutants = _mutants(task, domain)
    for label, changed in mutants:
        if _play(env, task.id, _script(changed), None) > 0:
            rewarded.append(label)
    basis = task.criteria.reward_basis
    state_ok = task.criteria.final_state is not None and "state" in basis
    return {
        "reference": {"passed": ver.passed, "calls": len(ver.calls), "problems": ver.problems[:5]},
        "state_in_basis": {"passed": state_ok, "basis": list(basis)},
        "oracle": {"passed": oracle == 1.0, "reward": oracle},
        "random": {
            "passed": all(r == 0.0 for r in randoms),
            "episodes": len(randoms),
            "max_reward": max(randoms, default=0.0),
        },
        "do_nothing": {"passed": idle == 0.0, "reward": idle},
        "mutated_gold": {"passed": bool(mutants) and not rewarded, "mutants": len(mutants), "rewarded": rewarded[:10]},
    }


def certify(
    domain: LoadedDomain, *, random_episodes: int = 4, seed: int = 0, limits: Limits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """Certify a domain's compiled programs over all its tasks; returns the certificate dict.

    ``mutated_gold`` fails for a task without gold write actions (nothing would show the reward
    depends on what the agent wrote). A domain whose programs do not compile raises
    ``ProgramCompileError``.
    """
    from gem_env.env import ToolUseEnv

    ps = programs_of(domain.domain, limits)
    env = ToolUseEnv(domain, tools=CompiledToolBackend(ps), user="replay")
    per_task = {t.id: _certify_task(env, t, domain.domain, random_episodes, seed) for t in domain.tasks}
    names = ("reference", "state_in_basis", "oracle", "random", "do_nothing", "mutated_gold")
    checks = {n: all(r[n]["passed"] for r in per_task.values()) for n in names}
    failing = {tid: [n for n in names if not r[n]["passed"]] for tid, r in per_task.items()}
    return {
        "passed": bool(per_task) and all(checks.values()),
        "version": CERTIFICATE_VERSION,
        "programs_hash": ps.hash,
        "checks": checks,
        "counts": {
            "tasks": len(per_task),
            "tools": len(ps.programs),
            "reference_calls": sum(r["reference"]["calls"] for r in per_task.values()),
            "random_episodes": sum(r["random"]["episodes"] for r in per_task.values()),
            "mutants": sum(r["mutated_gold"]["mutants"] for r in per_task.values()),
        },
        "failing": {tid: f for tid, f in failing.items() if f},
        "tasks": per_task,
    }


def certify_domain(
    target: LoadedDomain | str | os.PathLike[str], *, write: bool = False, random_episodes: int = 4, seed: int = 0
) -> dict[str, Any]:
    """Certify a domain (a folder or a LoadedDomain); ``write`` stores the certificate in its domain.json."""
    loaded = target if isinstance(target, LoadedDomain) else load_domain(target, load_tools=False)
    cert = certify(loaded, random_episodes=random_episodes, seed=seed)
    if write:
        if loaded.path is None:
            from tools_registry.errors import ConfigError

            raise ConfigError("certify_domain(write=True) needs a domain loaded from a folder")
        domain = loaded.domain.model_copy(update={"certificate": cert})
        save_domain(domain, loaded.tasks, loaded.path)
    return cert
