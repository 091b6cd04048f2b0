"""Rollouts on Ray: episodes sharded over workers, each with its own event loop and its own output part.

:func:`rollout_on_ray` gives the guarantees of ``arollout`` on one machine or a cluster (with an
output path every node sees): episode ``i`` has seed ``seed + i`` and task ``task_ids[i % len]``
whichever worker runs it, so rows and rewards equal a one-process run's. The driver picks the
episodes still to run (``resume`` skips those whose rows the output holds), deals them out
round-robin, and starts one plain ``ray.remote`` task per worker; each worker builds its own
agent and model backends from strings (backends are not picklable) and runs ``arollout`` on its
share, appending whole rows to ``<output>.parts/part-w<k>.jsonl``. At the end the driver merges
the parts into the output and removes them. Tasks are never retried by Ray (a retry would redo
finished episodes): a worker that dies leaves its finished rows, and ``resume`` runs the rest.
Ray is imported only inside functions: ``import gem_env`` never loads it.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError

from .rollout import EpisodeRecord, cut_torn_tail, finished_episodes

__all__ = [
    "MODEL_ROLES",
    "EnvFactory",
    "EpisodeJob",
    "ModelSpec",
    "RayRollout",
    "job_label",
    "merge_parts",
    "parts_dir",
    "report",
    "rollout_on_ray",
    "run_jobs_on_ray",
]

RAY_HINT = "pip install 'gem-env[ray]'"


@dataclass
class ModelSpec:
    """What a worker needs to build its own agent and model backends.

    Attributes:
        agent: ``oracle``, ``random`` or a model string (``openai:<model>``, ``hf:<path>``, ...).
        sampling: The agent's sampling options.
        models: Env roles built with ``backend_options``: ``{"user_model" | "tool_model" |
            "judge_model": model string}``.
        backend_options: Options of every ``openai:`` backend (``base_url``: one URL or a list for a pool).
        cache: SQLite reply cache of the agent's backend (shared by the workers).
        role_sampling: ``{role: options}`` for ``agent``, ``user``, ``tools``, ``judge``: the
            ``default_sampling`` of that role's backend (``--sampling ROLE.key=value``).
        tool_choice: The agent's ``tool_choice`` on turns with tools.
    """

    agent: str
    sampling: dict[str, Any] = field(default_factory=dict)
    models: dict[str, str | None] = field(default_factory=dict)
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache: str | None = None
    role_sampling: dict[str, dict[str, Any]] = field(default_factory=dict)
    tool_choice: str | dict[str, Any] | None = None


#: Env keyword argument -> the model role it plays.
MODEL_ROLES = {"user_model": "user", "tool_model": "tools", "judge_model": "judge"}


@dataclass
class EpisodeJob:
    """``n`` episodes of one environment: episode ``i`` has seed ``seed + i``, task ``task_ids[i % len]``."""

    env: str
    n: int
    seed: int = 0
    task_ids: list[str] | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RayRollout:
    """What a Ray rollout did: records of the episodes run now, failures, merged usage."""

    records: list[EpisodeRecord]
    skipped: int = 0  #: finished before (resume)
    unfinished: int = 0  #: assigned to a worker that failed and not written: run them with resume
    errors: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


class EnvFactory:
    """A picklable env factory: a BFCL env id or anything ``make_env`` takes, with keyword arguments."""

    def __init__(self, env: str, kwargs: dict[str, Any] | None = None) -> None:
        self.env, self.kwargs = env, dict(kwargs or {})
        self._loaded: Any = None

    def __call__(self) -> Any:
        """A new environment: a BFCL env, or ``make_env`` on the domain (loaded once per factory)."""
        from .bfcl import category_of

        if category_of(self.env) is not None:
            from .bfcl import make_bfcl_env

            return make_bfcl_env(self.env, **self.kwargs)
        from .registration import make_env, resolve_domain

        if self._loaded is None:  # found and loaded once, not once per concurrent env
            self._loaded = resolve_domain(self.env)
        return make_env(self._loaded, **self.kwargs)


def require_ray() -> Any:
    """The ``ray`` module, or a ConfigError naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"running on Ray needs ray: {RAY_HINT}") from exc
    return ray


def parts_dir(output: str | os.PathLike[str]) -> Path:
    """Where the workers of a Ray rollout into ``output`` write their parts."""
    out = Path(output)
    return out.parent / (out.name + ".parts")


def _row_key(line: bytes) -> tuple | None:
    try:
        extra = orjson.loads(line)["meta"]["extra"]
        return extra["env_id"], extra["seed"], extra["task_id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None


def merge_parts(output: str | os.PathLike[str], *, skip_written: bool = False) -> int:
    """Append the rows of ``output``'s parts to it (by env and seed), then remove the parts; returns rows added.

    Args:
        output: The JSONL file; its parts are in :func:`parts_dir` of it.
        skip_written: Leave out rows whose episode (env, seed, task) ``output`` already holds:
            parts left by an interrupted merge are merged again without duplicates.
    """
    out, folder = Path(output), parts_dir(output)
    parts = sorted(folder.glob("part-*.jsonl")) if folder.is_dir() else []
    cut_torn_tail(out)
    seen: set = set()
    if skip_written and out.is_file():
        with open(out, "rb") as fh:
            seen = {_row_key(line) for line in fh}
    rows = []
    for part in parts:
        cut_torn_tail(part)  # a worker killed mid-write
        for line in part.read_bytes().splitlines():
            key = _row_key(line)
            if key is None or key in seen:
                continue
            seen.add(key)
            rows.append((str(key[0]), key[1], line))
    rows.sort(key=lambda r: r[:2])
    if rows:
        with open(out, "ab") as fh:
            fh.write(b"".join(r[2] + b"\n" for r in rows))
            fh.flush()
            os.fsync(fh.fileno())
    for part in parts:
        part.unlink()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return len(rows)


def _build(spec: ModelSpec) -> tuple[Any, dict[str, Any], list[Any]]:
    """The agent, the env's model backends and every backend to close, from ``spec``."""
    from .agents import LLMAgent, make_agent
    from .llm import make_backend

    opened: list[Any] = []

    def backend(model: str, role: str, cache: str | None = None) -> Any:
        opts = dict(spec.backend_options) if model.startswith("openai:") else {}
        if role != "agent" and spec.role_sampling.get(role):
            opts["default_sampling"] = spec.role_sampling[role]
        b = make_backend(model, cache=cache, **opts)
        opened.append(b)
        return b

    if spec.agent in ("oracle", "random"):
        agent = make_agent(spec.agent)
    else:
        agent = LLMAgent(
            backend(spec.agent, "agent", spec.cache),
            sampling={**spec.role_sampling.get("agent", {}), **spec.sampling},
            tool_choice=spec.tool_choice,
        )
    roles = {key: backend(m, MODEL_ROLES.get(key, key)) for key, m in spec.models.items() if m}
    return agent, roles, opened


def _merge_usage(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    for k, v in part.items():
        if isinstance(v, dict):
            _merge_usage(total.setdefault(k, {}), v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            total[k] = max(total.get(k, v), v) if k.startswith("max_") else total.get(k, 0) + v
    return total


def work_part(
    spec: ModelSpec, share: list[tuple[EpisodeJob, list[int]]], part: str | None, concurrency: int
) -> dict[str, Any]:
    """One worker: build the agent and backends, run its share of each job's episodes into ``part``."""
    from .rollout import arollout

    async def go() -> dict[str, Any]:
        agent, roles, opened = _build(spec)
        records: list[EpisodeRecord] = []
        try:
            for job, indices in share:
                factory = EnvFactory(job.env, {**job.env_kwargs, **roles})
                records += await arollout(
                    factory,
                    agent,
                    job.n,
                    concurrency=concurrency,
                    seed=job.seed,
                    task_ids=job.task_ids,
                    output=part,
                    episodes=indices,
                )
        finally:
            for b in opened:
                await b.aclose()
        usage: dict[str, Any] = {}
        for role, b in [("agent", getattr(agent, "backend", None)), *roles.items()]:
            if b is not None:
                _merge_usage(usage.setdefault(role, {}), b.usage.as_dict())
        return {"records": records, "usage": usage}

    return asyncio.run(go())


def job_label(job: EpisodeJob) -> str:
    """The env id the rows of ``job`` carry (as ``arollout`` writes it)."""
    from .rollout import env_label

    kwargs = {k: v for k, v in job.env_kwargs.items() if not k.endswith("_model")}
    try:
        return env_label(EnvFactory(job.env, kwargs)())
    except ConfigError:  # needs a model to build (simulated tools): the domain names it
        from .registration import resolve_domain

        d = resolve_domain(job.env).domain
        return f"gem/{d.name}-v{d.version}"


def run_jobs_on_ray(
    jobs: list[EpisodeJob],
    spec: ModelSpec,
    *,
    num_workers: int = 2,
    address: str | None = None,
    concurrency: int = 16,
    output: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> RayRollout:
    """Run every job's episodes on ``num_workers`` Ray tasks; merge their parts into ``output``.

    Args:
        jobs: The episodes to run, per environment.
        spec: How workers build the agent and model backends.
        num_workers: Ray tasks (1 CPU each).
        concurrency: Episodes each worker runs at once.
        address: A running cluster (``ray.init(address=...)``); else a local Ray with
            ``num_workers`` CPUs is started and shut down. An already initialised Ray is used as it is.
        output: JSONL file the rows end up in; on a cluster, a path every node sees.
        resume: Skip episodes whose rows ``output`` (or parts an interrupted run left) holds.

    Raises:
        ConfigError: No ray, fewer than one worker, an agent that is not a string, or parts of an
            interrupted run in the way without ``resume``.
    """
    if num_workers < 1:
        raise ConfigError(f"--ray needs at least 1 worker, got {num_workers}")
    if not isinstance(spec.agent, str):
        raise ConfigError("on Ray the agent is a string (oracle, random or a model string): workers build their own")
    ray = require_ray()
    labels = [job_label(job) for job in jobs]
    todo: list[tuple[int, int]] = []  # (job, episode index), in order
    skipped = 0
    part_paths: list[str | None] = [None] * num_workers
    if output is not None:
        folder = parts_dir(output)
        if folder.is_dir() and any(folder.glob("part-*.jsonl")) and not resume:
            raise ConfigError(
                f"{output}: {folder} holds the parts of an interrupted Ray run; pass --resume to "
                "finish it (or remove the folder)"
            )
        merge_parts(output, skip_written=True)
        folder.mkdir(parents=True, exist_ok=True)
        part_paths = [str(folder / f"part-w{k:03d}.jsonl") for k in range(num_workers)]
    for j, job in enumerate(jobs):
        done: set[int] = set()
        if resume and output is not None:
            done = finished_episodes(Path(output), labels[j], job.seed, job.n, job.task_ids)
        skipped += len(done)
        todo += [(j, i) for i in range(job.n) if i not in done]
    shares: list[dict[int, list[int]]] = [{} for _ in range(num_workers)]
    for k, (j, i) in enumerate(todo):
        shares[k % num_workers].setdefault(j, []).append(i)
    result = RayRollout(records=[], skipped=skipped)
    started = False
    try:
        if any(shares) and not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=num_workers, include_dashboard=False, log_to_driver=False)
            started = True
        task = ray.remote(num_cpus=1, max_retries=0)(work_part)
        refs = {
            task.remote(spec, [(jobs[j], idx) for j, idx in share.items()], part_paths[k], concurrency): k
            for k, share in enumerate(shares)
            if share
        }
        waiting = list(refs)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            k = refs[ready[0]]
            try:
                part = ray.get(ready[0])
            except ray.exceptions.RayError as exc:  # died or raised: its unwritten episodes wait for resume
                written = _written(part_paths[k])
                result.unfinished += sum(
                    1 for j, idx in shares[k].items() for i in idx if (labels[j], jobs[j].seed + i) not in written
                )
                result.errors.append(f"ray worker {k} failed: {type(exc).__name__}: {exc}"[:500])
                continue
            result.records += part["records"]
            _merge_usage(result.usage, part["usage"])
    finally:
        if started:
            ray.shutdown()
        if output is not None:
            merge_parts(output)
    order: dict[tuple[str, int | None], int] = {(labels[j], jobs[j].seed + i): n for n, (j, i) in enumerate(todo)}
    result.records.sort(key=lambda r: order.get((r.env_id, r.seed), len(order)))
    return result


def _written(part: str | None) -> set[tuple[str, int]]:
    """(env id, seed) of the complete rows in a worker's part."""
    if part is None or not Path(part).is_file():
        return set()
    keys = (_row_key(line) for line in Path(part).read_bytes().split(b"\n")[:-1])
    return {(k[0], k[1]) for k in keys if k is not None}


def rollout_on_ray(
    env: str,
    agent: str,
    n: int,
    *,
    num_workers: int = 2,
    address: str | None = None,
    concurrency: int = 16,
    seed: int = 0,
    task_ids: list[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    resume: bool = False,
    env_kwargs: dict[str, Any] | None = None,
    sampling: dict[str, Any] | None = None,
    models: dict[str, str | None] | None = None,
    backend_options: dict[str, Any] | None = None,
    cache: str | None = None,
    role_sampling: dict[str, dict[str, Any]] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
) -> RayRollout:
    """``arollout`` on Ray workers: same episodes, seeds, rows and rewards; ``output`` merged from parts.

    Args:
        env: An env id (``gem/<domain>-v0``), a domain name or folder (every worker must see it).
        agent: ``oracle``, ``random`` or a model string; each worker builds its own.
        n: Number of episodes, as for :func:`~gem_env.rollout.arollout`.
        num_workers: Ray tasks, as for :func:`run_jobs_on_ray`.
        address: A running cluster, as for :func:`run_jobs_on_ray`.
        concurrency: Episodes each worker runs at once.
        seed: Seed of episode 0, as for :func:`~gem_env.rollout.arollout`.
        task_ids: Tasks to cycle through, as for :func:`~gem_env.rollout.arollout`.
        output: JSONL file the rows end up in (merged from the workers' parts).
        resume: Skip episodes whose rows ``output`` (or parts an interrupted run left) holds.
        env_kwargs: Plain options of each env (``tools``, ``user``, ``max_turns``, ...).
        sampling: The agent's sampling options.
        models: ``{"user_model" | "tool_model" | "judge_model": model string}``.
        backend_options: Options of every ``openai:`` backend (``base_url``: a URL or a list).
        cache: SQLite reply cache for the agent.
        role_sampling: Sampling options per role, as for :class:`ModelSpec`.
        tool_choice: The agent's ``tool_choice``, as for :class:`ModelSpec`.
    """
    spec = ModelSpec(
        agent=agent,
        sampling=dict(sampling or {}),
        models=dict(models or {}),
        backend_options=dict(backend_options or {}),
        cache=cache,
        role_sampling=dict(role_sampling or {}),
        tool_choice=tool_choice,
    )
    job = EpisodeJob(env=env, n=n, seed=seed, task_ids=task_ids, env_kwargs=dict(env_kwargs or {}))
    return run_jobs_on_ray(
        [job], spec, num_workers=num_workers, address=address, concurrency=concurrency, output=output, resume=resume
    )


def report(result: RayRollout, summary: Any, output: Any = None) -> str:
    """The one-process rollout line (``summary``) with what Ray adds, then per-endpoint tables of pools."""
    from .llm.pool import endpoint_table

    line = str(summary)
    if result.skipped:
        line += f"; {result.skipped} finished earlier, skipped"
    if result.unfinished:
        line += f"; {result.unfinished} episodes of a failed worker wait for --resume"
    if output:
        line += f"; wrote {output}"
    lines = [line, *result.errors]
    for role, usage in result.usage.items():
        if usage.get("endpoints"):
            lines += [f"{role} endpoints:", endpoint_table(usage["endpoints"])]
    return "\n".join(lines)
