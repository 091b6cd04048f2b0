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

from tools_registry.errors import ConfigError, GemError

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
        """The config and summary as a JSON-able dict."""
        return {"config": self.config, "summary": self.summary}


def expand_envs(envs: list[str] | tuple[str, ...] = (), suite: str | None = None) -> tuple[list[str], Any]:
    """Env ids to evaluate: the given ids plus a named suite's (BFCL's, imported lazily).

    Returns:
        ``(env_ids, suite_module or None)``.

    Raises:
        ConfigError: Unknown suite, suite support missing, or nothing to evaluate.
    """
    ids = list(envs)
    suite_mod: Any = None
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


def make_eval_agent(
    model: Any,
    *,
    cache: str | Path | None = None,
    sampling: dict[str, Any] | None = None,
    backend_options: dict[str, Any] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
):
    """The agent that ``model`` names; model backends get the reply cache.

    ``model`` is a model string (``hf:``, ``openai:``, ``vllm:``, ``scripted:``), ``oracle``/``random``,
    an ``LLMBackend`` or an ``Agent``.
    """
    from gem_env.agents import Agent, LLMAgent, check_agent_spec, make_agent

    if isinstance(model, Agent):
        return model
    if isinstance(model, str):
        check_agent_spec(model)
    if isinstance(model, str) and model in ("oracle", "random"):
        return make_agent(model)
    if isinstance(model, str):
        from gem_env.llm import make_backend

        backend = make_backend(model, cache=cache, **(backend_options or {}))
    else:
        backend = model
    return LLMAgent(backend, sampling=sampling, tool_choice=tool_choice)


_OUTPUTS = ("episodes.jsonl", "results.json", "table.txt")


def claim_output_dir(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse a folder holding an earlier evaluation unless ``resume`` (continue it) or ``overwrite``.

    Raises:
        ConfigError: Earlier results are there and neither flag is set, or both are.
    """
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: continue the evaluation, or replace it")
    if overwrite:  # the parts an interrupted Ray run left (gem_env.ray_rollout) go with the rows
        import shutil

        shutil.rmtree(out / "episodes.jsonl.parts", ignore_errors=True)
    found = [n for n in _OUTPUTS if (out / n).is_file() and (out / n).stat().st_size]
    if not found:
        return
    if overwrite:
        for n in _OUTPUTS:
            (out / n).unlink(missing_ok=True)
    elif not resume:
        raise ConfigError(
            f"{out} already holds an evaluation ({', '.join(found)}): pass --resume to continue it "
            "(finished episodes are kept) or --overwrite to replace it"
        )


def _role_backends(
    env_kwargs: dict[str, Any], roles: dict[str, dict[str, Any]], backend_options: dict[str, Any] | None
) -> tuple[dict[str, Any], list[Any]]:
    """Model strings of the user, simulated tools and judge become backends with their role's sampling."""
    from gem_env.llm import make_backend

    kwargs, opened = dict(env_kwargs), []
    for key, role in (("user_model", "user"), ("tool_model", "tools"), ("judge_model", "judge")):
        spec = kwargs.get(key)
        if isinstance(spec, str):
            opts: dict[str, Any] = {"default_sampling": roles[role]} if roles.get(role) else {}
            if spec.startswith("openai:") and (backend_options or {}).get("base_url"):
                opts["base_url"] = backend_options["base_url"]  # type: ignore[index]
            kwargs[key] = make_backend(spec, **opts)
            opened.append(kwargs[key])
    return kwargs, opened


_ROLE_OF_KWARG = {"user_model": "user", "tool_model": "tools", "judge_model": "judge"}


def _roles_of(env_kwargs: dict[str, Any]) -> dict[str, Any]:
    return {role: env_kwargs.get(key) for key, role in _ROLE_OF_KWARG.items()}


def usage_by_role(backends: dict[str, Any]) -> dict[str, Any]:
    """``{role: usage.as_dict()}`` of the model backends among ``backends`` (others are left out).

    An endpoint pool's rows include ``endpoints`` (each endpoint's requests, failures, moves,
    back-offs and sticky routings); one backend serving several roles appears under each.
    """
    out: dict[str, Any] = {}
    for role, backend in backends.items():
        usage = getattr(backend, "usage", None)
        if usage is not None and callable(getattr(usage, "as_dict", None)):
            out[role] = usage.as_dict()
    return out


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


async def aevaluate(
    model: Any,
    envs: list[str] | tuple[str, ...] = (),
    *,
    k: int = 4,
    suite: str | None = None,
    seed: int = 0,
    max_tasks: int | None = None,
    tasks: list[str] | None = None,
    threshold: float = 1.0,
    concurrency: int = 8,
    cache: str | Path | None = None,
    sampling: dict[str, Any] | None = None,
    backend_options: dict[str, Any] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    output_dir: str | Path | None = None,
    progress: bool = False,
    role_sampling: dict[str, dict[str, Any]] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    ray: int | None = None,
    ray_address: str | None = None,
) -> EvalResult:
    """Async :func:`evaluate`."""
    if k < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    env_ids, suite_mod = expand_envs(envs, suite)
    roles = dict(role_sampling or {})
    if ray is not None and not isinstance(model, str):
        raise ConfigError("evaluating on Ray needs a model string (or oracle/random): each worker builds its own")
    out = Path(output_dir) if output_dir is not None else None
    episodes_path = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        claim_output_dir(out, resume=resume, overwrite=overwrite)
        episodes_path = out / "episodes.jsonl"
    agent = None
    started = time.perf_counter()
    rewards: dict[str, dict[str, list[float]]] = {}
    records: list[Any] = []
    earlier: list[dict[str, Any]] = []
    usage: dict[str, Any] = {}
    if ray is not None:
        records, usage = await asyncio.to_thread(
            _run_on_ray,
            model,
            env_ids,
            k,
            seed,
            max_tasks,
            tasks,
            concurrency,
            cache,
            sampling,
            backend_options,
            env_kwargs,
            episodes_path,
            resume,
            ray,
            ray_address,
            rewards,
            roles,
            tool_choice,
        )
    else:
        agent = make_eval_agent(
            model,
            cache=cache,
            sampling={**roles.get("agent", {}), **(sampling or {})},
            backend_options=backend_options,
            tool_choice=tool_choice,
        )
        env_kwargs, opened = _role_backends(dict(env_kwargs or {}), roles, backend_options)
        try:
            await _run_envs(
                env_ids,
                agent,
                k,
                seed,
                max_tasks,
                tasks,
                concurrency,
                env_kwargs,
                episodes_path,
                progress,
                rewards,
                records,
                earlier if resume else None,
            )
        finally:  # HTTP sessions belong to this event loop
            usage = usage_by_role({"agent": getattr(agent, "backend", None), **_roles_of(env_kwargs)})
            await agent.aclose()
            for b in opened:
                await b.aclose()
    summary = summarize(rewards, k, threshold=threshold)
    if usage:
        summary["usage"] = usage  # per role: callers, total and, for an endpoint pool, each endpoint's counts
    summary["seconds"] = time.perf_counter() - started
    summary["failed_episodes"] = sum(1 for r in records if getattr(r, "error", None)) + sum(
        1 for e in earlier if e.get("error")
    )
    if resume:
        summary["resumed_episodes"] = len(earlier)
    used = getattr(agent, "used_sampling", None)
    config = {
        "model": model if isinstance(model, str) else type(model).__name__,
        "envs": env_ids,
        "suite": suite,
        "k": k,
        "seed": seed,
        "max_tasks": max_tasks,
        "threshold": threshold,
        "sampling": {**roles, **({"agent": used()} if callable(used) else {})},
        "cache": str(cache) if cache is not None else None,
    }
    table = render_table(summary)
    if suite_mod is not None:
        table = _suite_table(suite_mod, suite, summary, str(config["model"]))
    result = EvalResult(
        summary=summary, episodes=records, config=config, output_dir=str(out) if out is not None else None, table=table
    )
    if out is not None:
        (out / "results.json").write_text(json.dumps(result.to_json(), indent=2, default=str), encoding="utf-8")
        (out / "table.txt").write_text(table + "\n", encoding="utf-8")
    return result


async def _run_envs(
    env_ids: list[str],
    agent: Any,
    k: int,
    seed: int,
    max_tasks: int | None,
    tasks: list[str] | None,
    concurrency: int,
    env_kwargs: dict[str, Any] | None,
    episodes_path: Path | None,
    progress: bool,
    rewards: dict[str, dict[str, list[float]]],
    records: list[Any],
    earlier: list[dict[str, Any]] | None = None,
) -> None:
    """K rollouts per task of every env; fills ``rewards`` and ``records``.

    With ``earlier`` (a resumed run), episodes ``episodes_path`` already holds are not run again:
    their rows' ``meta.extra`` are appended to ``earlier`` and their rewards count.
    """
    from gem_env.rollout import arollout

    for env_id in env_ids:
        factory = _env_factory(env_id, dict(env_kwargs or {}))
        ids = _task_ids(factory, max_tasks, tasks)
        # episode i plays task ids[i // k] with seed seed + i: k rollouts per task, all seeds distinct
        order = [t for t in ids for _ in range(k)]
        by_task: dict[str, list[float]] = {t: [] for t in ids}
        if earlier is not None and episodes_path is not None:
            for extra in _finished_rows(episodes_path, factory, seed, order):
                earlier.append(extra)
                by_task[extra["task_id"]].append(float(extra.get("reward", 0.0)))
        recs = await arollout(
            factory,
            agent,
            len(order),
            concurrency=concurrency,
            seed=seed,
            task_ids=order,
            output=episodes_path,
            progress=progress,
            resume=earlier is not None,
        )
        for r in recs:
            r.env_id = env_id
            by_task[r.task_id].append(float(r.reward))
        rewards[env_id] = by_task
        records.extend(recs)


def _finished_rows(path: Path, factory: Any, seed: int, order: list[str]) -> list[dict[str, Any]]:
    """``meta.extra`` of the rows ``path`` holds for this env's episodes (seed ``seed + i``, task ``order[i]``)."""
    import orjson

    from gem_env.rollout import env_label, finished_episodes

    env = factory()
    try:
        label = env_label(env)
    finally:
        env.close()
    done = finished_episodes(path, label, seed, len(order), order)
    out: dict[int, dict[str, Any]] = {}
    if done and path.is_file():
        with open(path, "rb") as fh:
            for line in fh:
                try:
                    extra = orjson.loads(line)["meta"]["extra"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue
                i = extra.get("seed", -1) - seed if isinstance(extra.get("seed"), int) else -1
                if i in done and extra.get("env_id") == label:
                    out[i] = extra
    return [out[i] for i in sorted(out)]


def _run_on_ray(
    model: str,
    env_ids: list[str],
    k: int,
    seed: int,
    max_tasks: int | None,
    tasks: list[str] | None,
    concurrency: int,
    cache: Any,
    sampling: dict[str, Any] | None,
    backend_options: dict[str, Any] | None,
    env_kwargs: dict[str, Any] | None,
    episodes_path: Path | None,
    resume: bool,
    workers: int,
    address: str | None,
    rewards: dict[str, dict[str, list[float]]],
    roles: dict[str, dict[str, Any]] | None = None,
    tool_choice: Any = None,
) -> tuple[list[Any], dict[str, Any]]:
    """The episodes of :func:`_run_envs` on Ray workers and the workers' merged usage per role.

    Rewards are read back from the rows (resume included).

    Model strings of the user, simulated tools and judge are built by each worker as
    :func:`_role_backends` builds them here: with the endpoints and their role's sampling.
    """
    from gem_env.ray_rollout import MODEL_ROLES, EpisodeJob, ModelSpec, job_label, run_jobs_on_ray

    kwargs = dict(env_kwargs or {})
    models = {key: kwargs.pop(key) for key in MODEL_ROLES if isinstance(kwargs.get(key), str)}
    jobs, orders = [], []
    for env_id in env_ids:
        ids = _task_ids(_env_factory(env_id, dict(env_kwargs or {})), max_tasks, tasks)
        orders.append((env_id, ids, [t for t in ids for _ in range(k)]))
        jobs.append(
            EpisodeJob(env=env_id, n=len(orders[-1][2]), seed=seed, task_ids=orders[-1][2], env_kwargs=dict(kwargs))
        )
    spec = ModelSpec(
        agent=model,
        sampling=dict(sampling or {}),
        models=models,
        backend_options=dict(backend_options or {}),
        cache=str(cache) if cache is not None else None,
        role_sampling=dict(roles or {}),
        tool_choice=tool_choice,
    )
    res = run_jobs_on_ray(
        jobs, spec, num_workers=workers, address=address, concurrency=concurrency, output=episodes_path, resume=resume
    )
    if res.unfinished:
        raise GemError(
            f"{res.unfinished} episodes did not finish ({'; '.join(res.errors)}); "
            "run the same command with --resume to finish them"
        )
    rows = _rewards_by_episode(episodes_path, res.records)
    for (env_id, ids, order), job in zip(orders, jobs):
        label = job_label(job)
        rewards[env_id] = _by_task(env_id, label, ids, order, seed, rows)
        for r in res.records:
            if r.env_id == label:
                r.env_id = env_id
    return res.records, res.usage


def _by_task(
    env_id: str, label: str, ids: list[str], order: list[str], seed: int, rows: dict[tuple[str, int], float]
) -> dict[str, list[float]]:
    """``{task: rewards}`` of episode ``i`` (task ``order[i]``, seed ``seed + i``) from the rows."""
    by_task: dict[str, list[float]] = {t: [] for t in ids}
    for i, t in enumerate(order):
        reward = rows.get((label, seed + i))
        if reward is None:
            raise GemError(
                f"episode {i} of {env_id} (seed {seed + i}) has no row in episodes.jsonl; "
                "run the same command with --resume to finish it"
            )
        by_task[t].append(reward)
    return by_task


def _rewards_by_episode(path: Path | None, records: list[Any]) -> dict[tuple[str, int], float]:
    """``{(env label, seed): reward}`` from the rows in ``path`` (or the records when there is no file)."""
    import orjson

    if path is None or not path.is_file():
        return {(r.env_id, r.seed): float(r.reward) for r in records}
    out = {}
    with open(path, "rb") as fh:
        for line in fh:
            extra = orjson.loads(line)["meta"]["extra"]
            out[(extra["env_id"], extra["seed"])] = float(extra["reward"])
    return out


def evaluate(model: Any, envs: list[str] | tuple[str, ...] = (), **kwargs: Any) -> EvalResult:
    """Evaluate a model on gem environments: k rollouts per task, Avg@k / Pass@k / pass^k.

    Args:
        model: A model string (``hf:<path>``, ``openai:<model>`` with ``backend_options={"base_url":
            ...}``, ``vllm:<model>``, ``scripted:``), ``"oracle"`` / ``"random"``, an ``LLMBackend`` or
            a ``gem_env.agents.Agent``.
        envs: Env ids (``gem/<domain>-v0``).
        **kwargs: The options of :func:`aevaluate`, as follows.
        k: Rollouts per task (and the k of the metrics).
        suite: A named suite (``bfcl-multi-turn``) whose env ids are added; its table format is used.
        seed: Base seed: episode ``i`` of an environment uses ``seed + i``.
        max_tasks / tasks: Limit the tasks of each environment (first N, or these ids).
        threshold: Reward counted as a success.
        concurrency: Episodes run at once per environment.
        cache: SQLite reply cache for model backends (a rerun replays exactly).
        sampling: Sampling options for the agent (``temperature``, ``max_tokens``, ...).
        role_sampling: ``{role: options}`` for ``agent``, ``user``, ``tools``, ``judge`` (model strings of
            ``env_kwargs`` become backends carrying their role's options; see ``gem_env.role_sampling``).
        tool_choice: The agent's ``tool_choice`` (``auto``, ``required``, ``none``) on turns with tools.
        env_kwargs: Options for each ``ToolUseEnv`` (user model, tool backend, ...).
        output_dir: Folder for ``results.json``, ``table.txt`` and ``episodes.jsonl``; one holding an
            earlier evaluation is refused unless ``resume`` (finished episodes kept, the rest run) or
            ``overwrite`` (replaced).
        ray / ray_address: Run the episodes on this many Ray workers (``concurrency`` each), on a
            local Ray or the cluster at ``ray_address`` (see ``gem_env.ray_rollout``).

    Returns:
        An :class:`EvalResult` (``summary`` as :func:`trainers.metrics.summarize` plus timing).
    """
    return asyncio.run(aevaluate(model, envs, **kwargs))


def render_table(summary: dict[str, Any]) -> str:
    """A plain-text table: one row per environment plus the overall row (figures in percent)."""
    k = summary["k"]
    head = ["environment", "tasks", "episodes", f"Avg@{k}", f"Pass@{k}", f"pass^{k}"]
    rows = [
        [env, str(b["tasks"]), str(b["episodes"]), *(f"{100 * b[m]:.2f}" for m in ("avg@k", "pass@k", "pass^k"))]
        for env, b in summary["envs"].items()
    ]
    o = summary["overall"]
    rows.append(
        ["overall", str(o["tasks"]), str(o["episodes"]), *(f"{100 * o[m]:.2f}" for m in ("avg@k", "pass@k", "pass^k"))]
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(r) for r in rows[:-1]), sep, fmt(rows[-1])])


def _suite_table(suite_mod: Any, suite: str | None, summary: dict[str, Any], model: str) -> str:
    return str(suite_mod.render_suite_table(suite, summary, model=model))
