"""Multi-turn evaluation: k rollouts per task on gem environments, scored as Avg@k, Pass@k and pass^k.

The episodes run through ``gem_env.rollout`` (one fixed driver); this module only decides which
episodes to run (every task of each environment, k times, episode seeds ``seed + i``), scores them
with :mod:`trainers.metrics`, and writes a table, ``results.json`` and ``episodes.jsonl`` (one
corpus row per episode, reward and seed in ``meta.extra``). With a fixed seed and a reply cache
(``cache=``) a rerun replays the same episodes and figures.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .metrics import summarize

__all__ = ["EvalResult", "aevaluate", "evaluate", "expand_envs", "make_eval_agent", "render_table"]


@dataclass
class EvalResult:
    """Figures and episodes of one evaluation."""

    summary: dict[str, Any]
    episodes: list[Any] = field(repr=False)
    config: dict[str, Any] = field(default_factory=dict)
    output_dir: str | None = None
    table: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "summary": self.summary}


def expand_envs(envs: list[str] | tuple[str, ...] = (), suite: str | None = None) -> tuple[list[str], Any]:
    """Env ids to evaluate: the given ids plus a named suite's (BFCL's, imported lazily).

    Returns:
        ``(env_ids, suite_module or None)``.

    Raises:
        ConfigError: Unknown suite, suite support missing, or nothing to evaluate.
    """
    ids = list(envs)
    suite_mod = None
    if suite is not None:
        try:
            if suite == "tau2":
                from gem_env.tau2 import suite as suite_mod
            else:
                from gem_env.bfcl import suite as suite_mod
        except ImportError as exc:
            raise ConfigError(f"suite {suite!r} cannot be loaded: {exc}") from exc
        table = getattr(suite_mod, "SUITE_ENV_IDS", {})
        if suite not in table:
            raise ConfigError(f"unknown suite {suite!r}; known: {', '.join(sorted(table)) or 'none'}")
        ids += [e for e in table[suite] if e not in ids]
    if not ids:
        raise ConfigError("nothing to evaluate: give --env (repeatable) or --suite")
    return ids, suite_mod


def make_eval_agent(model: Any, *, cache: str | Path | None = None, sampling: dict[str, Any] | None = None,
                    backend_options: dict[str, Any] | None = None):
    """An agent from a model string (``hf:``, ``openai:``, ``vllm:``, ``scripted:``), ``oracle``/``random``,
    an ``LLMBackend`` or an ``Agent``; model backends get the reply cache."""
    from gem_env.agents import Agent, LLMAgent, make_agent

    if isinstance(model, Agent):
        return model
    if isinstance(model, str) and model in ("oracle", "random"):
        return make_agent(model)
    if isinstance(model, str):
        from gem_env.llm import make_backend

        backend = make_backend(model, cache=cache, **(backend_options or {}))
    else:
        backend = model
    return LLMAgent(backend, sampling=sampling)


def _env_factory(env_id: str, env_kwargs: dict[str, Any]):
    from gem_env.bfcl import category_of, make_bfcl_env

    if category_of(env_id) is not None:
        return lambda: make_bfcl_env(env_id, **env_kwargs)
    from gem_env.tau2 import domain_of, make_tau2_env

    if domain_of(env_id) is not None:
        return lambda: make_tau2_env(env_id, **env_kwargs)
    from gem_env.registration import make_env

    return lambda: make_env(env_id, **env_kwargs)


def _task_ids(factory, max_tasks: int | None, tasks: list[str] | None) -> list[str]:
    env = factory()
    try:
        ids = [t.id for t in env.tasks]
    finally:
        env.close()
    if tasks:
        missing = [t for t in tasks if t not in ids]
        if missing:
            raise ConfigError(f"unknown task ids {missing}")
        ids = list(tasks)
    return ids[:max_tasks] if max_tasks is not None else ids


async def aevaluate(model: Any, envs: list[str] | tuple[str, ...] = (), *, k: int = 4, suite: str | None = None,
                    seed: int = 0, max_tasks: int | None = None, tasks: list[str] | None = None,
                    threshold: float = 1.0, concurrency: int = 8, cache: str | Path | None = None,
                    sampling: dict[str, Any] | None = None, backend_options: dict[str, Any] | None = None,
                    env_kwargs: dict[str, Any] | None = None, output_dir: str | Path | None = None,
                    progress: bool = False) -> EvalResult:
    """Async :func:`evaluate`."""

    if k < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    env_ids, suite_mod = expand_envs(envs, suite)
    agent = make_eval_agent(model, cache=cache, sampling=sampling, backend_options=backend_options)
    out = Path(output_dir) if output_dir is not None else None
    episodes_path = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        episodes_path = out / "episodes.jsonl"
        episodes_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rewards: dict[str, dict[str, list[float]]] = {}
    records: list[Any] = []
    try:
        await _run_envs(env_ids, agent, k, seed, max_tasks, tasks, concurrency, env_kwargs, episodes_path, progress,
                        rewards, records)
    finally:  # the agent's HTTP session belongs to this event loop
        await agent.aclose()
    summary = summarize(rewards, k, threshold=threshold)
    summary["seconds"] = time.perf_counter() - started
    summary["failed_episodes"] = sum(1 for r in records if getattr(r, "error", None))
    config = {"model": model if isinstance(model, str) else type(model).__name__, "envs": env_ids, "suite": suite,
              "k": k, "seed": seed, "max_tasks": max_tasks, "threshold": threshold, "sampling": sampling or {},
              "cache": str(cache) if cache is not None else None}
    table = render_table(summary)
    if suite_mod is not None:
        table = _suite_table(suite_mod, suite, summary, config["model"])
    result = EvalResult(summary=summary, episodes=records, config=config,
                        output_dir=str(out) if out is not None else None, table=table)
    if out is not None:
        (out / "results.json").write_text(json.dumps(result.to_json(), indent=2, default=str), encoding="utf-8")
        (out / "table.txt").write_text(table + "\n", encoding="utf-8")
    return result


async def _run_envs(env_ids: list[str], agent: Any, k: int, seed: int, max_tasks: int | None,
                    tasks: list[str] | None, concurrency: int, env_kwargs: dict[str, Any] | None,
                    episodes_path: Path | None, progress: bool, rewards: dict[str, dict[str, list[float]]],
                    records: list[Any]) -> None:
    """k rollouts per task of every env; fills ``rewards`` and ``records``."""
    from gem_env.rollout import arollout

    for env_id in env_ids:
        factory = _env_factory(env_id, dict(env_kwargs or {}))
        ids = _task_ids(factory, max_tasks, tasks)
        # episode i plays task ids[i // k] with seed seed + i: k rollouts per task, all seeds distinct
        order = [t for t in ids for _ in range(k)]
        recs = await arollout(factory, agent, len(order), concurrency=concurrency, seed=seed, task_ids=order,
                              output=episodes_path, progress=progress)
        by_task: dict[str, list[float]] = {t: [] for t in ids}
        for r in recs:
            r.env_id = env_id
            by_task[r.task_id].append(float(r.reward))
        rewards[env_id] = by_task
        records.extend(recs)


def evaluate(model: Any, envs: list[str] | tuple[str, ...] = (), **kwargs: Any) -> EvalResult:
    """Evaluate a model on gem environments: k rollouts per task, Avg@k / Pass@k / pass^k.

    Args:
        model: A model string (``hf:<path>``, ``openai:<model>`` with ``backend_options={"base_url":
            ...}``, ``vllm:<model>``, ``scripted:``), ``"oracle"`` / ``"random"``, an ``LLMBackend`` or
            a ``gem_env.agents.Agent``.
        envs: Env ids (``gem/<domain>-v0``).
        k: Rollouts per task (and the k of the metrics).
        suite: A named suite (``bfcl-multi-turn``) whose env ids are added; its table format is used.
        seed: Base seed: episode ``i`` of an environment uses ``seed + i``.
        max_tasks / tasks: Limit the tasks of each environment (first N, or these ids).
        threshold: Reward counted as a success.
        concurrency: Episodes run at once per environment.
        cache: SQLite reply cache for model backends (a rerun replays exactly).
        sampling: Sampling options for the agent (``temperature``, ``max_tokens``, ...).
        env_kwargs: Options for each ``ToolUseEnv`` (user model, tool backend, ...).
        output_dir: Folder for ``results.json``, ``table.txt`` and ``episodes.jsonl``.

    Returns:
        An :class:`EvalResult` (``summary`` as :func:`trainers.metrics.summarize` plus timing).
    """
    return asyncio.run(aevaluate(model, envs, **kwargs))


def render_table(summary: dict[str, Any]) -> str:
    """A plain-text table: one row per environment plus the overall row (figures in percent)."""
    k = summary["k"]
    head = ["environment", "tasks", "episodes", f"Avg@{k}", f"Pass@{k}", f"pass^{k}"]
    rows = [[env, str(b["tasks"]), str(b["episodes"]), *(f"{100 * b[m]:.2f}" for m in ("avg@k", "pass@k", "pass^k"))]
            for env, b in summary["envs"].items()]
    o = summary["overall"]
    rows.append(["overall", str(o["tasks"]), str(o["episodes"]),
                 *(f"{100 * o[m]:.2f}" for m in ("avg@k", "pass@k", "pass^k"))])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(r) for r in rows[:-1]), sep, fmt(rows[-1])])


def _suite_table(suite_mod: Any, suite: str | None, summary: dict[str, Any], model: str) -> str:
    return str(suite_mod.render_suite_table(suite, summary, model=model))
