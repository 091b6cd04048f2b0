"""Rollouts: run an agent through episodes, one at a time or thousands concurrently.

:func:`arun_episode` / :func:`run_episode` drive one episode (reset, then ``agent.act`` and
``env.astep`` until it ends) into an :class:`EpisodeRecord`. :func:`rollout` runs ``n`` episodes
on up to ``concurrency`` environments at once in one event loop (each worker owns an env and a
clone of the agent), shows a progress bar, appends every finished episode to a JSONL file as a
corpus row (``{"messages", "tools", "meta"}``, the ``Trajectory.to_row()`` format, with reward,
breakdown, env id, task id, seed and agent in ``meta.extra``) and returns the records. Episode
``i`` uses seed ``seed + i``; with ``task_ids`` episodes cycle through those tasks in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import gc
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import BackendError, ModelOutputError, SimulatorError
from tools_registry.limits import clean_text
from tools_registry.records import Provenance, Trajectory, TrajectoryMeta

from .agents import Agent, make_agent
from .env import ToolUseEnv
from .role_sampling import episode_sampling
from .llm.pool import episode_affinity

__all__ = ["EpisodeRecord", "RolloutSummary", "arollout", "arun_episode", "rollout", "run_episode"]

YOUNG_GC_THRESHOLD = 5_000  # arollout's default young-generation GC threshold (young_gc_threshold)


@dataclass
class EpisodeRecord:
    """One finished episode."""

    env_id: str
    task_id: str
    seed: int | None
    agent: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    reward: float
    breakdown: dict[str, Any]
    terminated: bool
    truncated: bool
    truncated_by: str | None = None
    turns: int = 0
    tool_calls: int = 0
    errors: int = 0
    error: str | None = None
    seconds: float = 0.0
    models: dict[str, str] = field(default_factory=dict)
    sampling: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ended_by(self) -> str:
        """How the episode ended.

        ``terminated`` (the user closed it), the truncation reason (``max_turns``, ...), or
        ``error:<ExceptionName>`` when a model failed for good.
        """
        if self.error:
            return "error:" + self.error.split(":", 1)[0]
        if self.terminated:
            return "terminated"
        return self.truncated_by or ("truncated" if self.truncated else "running")

    def to_row(self) -> dict[str, Any]:
        """The corpus row, as ``Trajectory.to_row()`` writes it (messages, OpenAI tools, meta)."""
        messages = [_row_message(m) for m in self.messages]
        traj = Trajectory.model_validate(
            {
                "messages": messages,
                "tools": self.tools,
                "meta": TrajectoryMeta(
                    provenance=Provenance(
                        source_id=f"{self.env_id}/{self.task_id}",
                        pipeline="rollout",
                        seed=self.seed,
                        models={"agent": self.agent, **self.models},
                        sampling=self.sampling,
                        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                        version=_version(),
                    ),
                    extra={
                        "reward": self.reward,
                        "breakdown": self.breakdown,
                        "env_id": self.env_id,
                        "task_id": self.task_id,
                        "seed": self.seed,
                        "agent": self.agent,
                        "terminated": self.terminated,
                        "truncated": self.truncated,
                        "truncated_by": self.truncated_by,
                        "ended_by": self.ended_by,
                        "turns": self.turns,
                        "errors": self.errors,
                        "error": self.error,
                    },
                ),
            }
        )
        return traj.with_stats().to_row()


def _version() -> str:
    try:
        from gem_env import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "unknown"


def _row_message(m: dict[str, Any]) -> dict[str, Any]:
    calls = m.get("tool_calls")
    if calls and any(not isinstance(c["function"]["arguments"], dict) for c in calls):
        m = {
            **m,
            "tool_calls": [
                c
                if isinstance(c["function"]["arguments"], dict)
                else {
                    **c,
                    "function": {
                        "name": c["function"]["name"],
                        "arguments": {"_unparsed_arguments": str(c["function"]["arguments"])},
                    },
                }
                for c in calls
            ],
        }
    return m


def env_label(env: ToolUseEnv) -> str:
    """The env id rows of ``env``'s episodes carry: its registered id, else ``gem/<domain>-v<version>``."""
    spec = getattr(env, "spec", None)
    if spec is not None:
        return spec.id
    return f"gem/{env.domain.name}-v{env.domain.version}"


def _models(env: ToolUseEnv) -> dict[str, str]:
    out = {}
    sim = getattr(env.backend, "llm", None)
    if sim is not None:
        out["tools"] = getattr(sim, "name", str(sim))
    for user in env._users.values():
        b = getattr(user, "backend", None)
        if b is not None:
            out["user"] = getattr(b, "name", str(b))
    return out


async def arun_episode(
    env: ToolUseEnv, agent: Agent, *, seed: int | None = None, task_id: str | None = None, env_id: str | None = None
) -> EpisodeRecord:
    """Run one episode to its end. Errors of the agent or a backend end it with ``error`` set.

    The episode's requests to an endpoint pool stay on one endpoint while it is healthy
    (:func:`~gem_env.llm.pool.episode_affinity`).
    """
    with episode_affinity():
        return await _episode(env, agent, seed, task_id, env_id)


async def _episode(
    env: ToolUseEnv, agent: Agent, seed: int | None, task_id: str | None, env_id: str | None
) -> EpisodeRecord:
    started = time.perf_counter()
    options = {"task_id": task_id} if task_id is not None else None
    try:
        obs, info = await env.areset(seed=seed, options=options)
    except (BackendError, ModelOutputError, SimulatorError) as exc:  # the user model failed before the first message
        return EpisodeRecord(
            env_id=env_id or env_label(env),
            task_id=env.task.id if env.task else str(task_id),
            seed=seed,
            agent=agent.name,
            messages=env.messages,
            tools=[],
            reward=0.0,
            breakdown={},
            terminated=False,
            truncated=True,
            truncated_by="user_error",
            errors=1,
            error=clean_text(f"{type(exc).__name__}: {exc}"[:2000]),
            seconds=time.perf_counter() - started,
            models=_models(env),
            sampling=episode_sampling(env, agent),
        )
    agent.reset(env.task, seed)
    reward, terminated, truncated, error = 0.0, False, False, None
    breakdown: dict[str, Any] = {}
    failed_by = None
    try:
        while True:
            failed_by = "agent_error"
            action = await agent.act(obs)
            failed_by = "model_error"  # a model behind the env: simulated tools, user, judge
            obs, reward, terminated, truncated, info = await env.astep(action)
            if terminated or truncated:
                breakdown = info.get("reward_breakdown", {})
                break
    except (BackendError, ModelOutputError, SimulatorError) as exc:  # a model failed for good: keep the episode,
        # marked; configuration mistakes (ConfigError) stop the run instead
        error = clean_text(f"{type(exc).__name__}: {exc}"[:2000])
        truncated = True
        info = {**info, "truncated_by": failed_by}
    errors = info.get("error_count", 0) + (error is not None)  # the failure that ended it counts too
    return EpisodeRecord(
        env_id=env_id or env_label(env),
        task_id=env.task.id if env.task is not None else str(task_id),
        seed=seed,
        agent=agent.name,
        messages=env.messages,
        tools=list(obs["tools"]),
        reward=float(reward),
        breakdown=breakdown,
        terminated=bool(terminated),
        truncated=bool(truncated),
        truncated_by=info.get("truncated_by"),
        turns=info.get("turn", 0),
        tool_calls=info.get("tool_calls", 0),
        errors=errors,
        error=error,
        seconds=time.perf_counter() - started,
        models=_models(env),
        sampling=episode_sampling(env, agent),
    )


def run_episode(env: ToolUseEnv, agent: Agent, **kwargs: Any) -> EpisodeRecord:
    """Blocking :func:`arun_episode` (from code without a running event loop)."""
    return asyncio.run(arun_episode(env, agent, **kwargs))


@dataclass
class RolloutSummary:
    """Figures of a finished rollout."""

    episodes: int
    mean_reward: float
    seconds: float
    errors: int

    def __str__(self) -> str:
        return (
            f"{self.episodes} episodes, mean reward {self.mean_reward:.3f}, {self.errors} failed, {self.seconds:.1f}s"
        )


async def arollout(
    env: str | ToolUseEnv | Callable[[], ToolUseEnv],
    agent: str | Agent,
    n: int,
    *,
    concurrency: int = 16,
    seed: int = 0,
    task_ids: list[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    progress: bool = False,
    env_kwargs: dict[str, Any] | None = None,
    resume: bool = False,
    episodes: list[int] | None = None,
    gc_threshold: int | None = YOUNG_GC_THRESHOLD,
) -> list[EpisodeRecord]:
    """Run ``n`` episodes, up to ``concurrency`` at once; append rows to ``output`` as they finish.

    Args:
        env: An env id (``gem/<domain>-v0``), a domain name or folder, a factory returning a
            ToolUseEnv, or one ToolUseEnv (then ``concurrency`` is 1).
        agent: An Agent or a string for :func:`~gem_env.agents.make_agent`.
        n: Number of episodes; episode ``i`` has seed ``seed + i``.
        concurrency: Episodes run at once.
        seed: Seed of episode 0.
        task_ids: Cycle through these tasks (``"all"`` in the CLI = every task); else the seed picks.
        output: JSONL file the corpus rows are appended to.
        progress: Show a progress bar (rich) on stderr.
        env_kwargs: Keyword arguments for ``make_env`` when ``env`` is a string.
        resume: Skip episodes whose rows ``output`` already holds (same env, seed and task), so a
            killed run continues without redoing or duplicating finished episodes.
        episodes: Run only these episode indices (each in ``[0, n)``), e.g. one Ray worker's share.
        gc_threshold: Python's young-generation garbage-collection threshold while the rollout
            runs (restored after; see :func:`young_gc_threshold`). None leaves Python's setting.

    Returns:
        The records of the episodes run now, in episode order.
    """
    factory = _factory(env, env_kwargs or {})
    agent = make_agent(agent)
    if isinstance(env, ToolUseEnv):
        concurrency = 1
    todo = range(n) if episodes is None else sorted(set(episodes))
    concurrency = max(1, min(concurrency, len(todo)))
    label = env if isinstance(env, str) and env.startswith("gem/") else None
    records: list[EpisodeRecord | None] = [None] * n
    done: set[int] = set()
    if output is not None:
        cut_torn_tail(Path(output))
        if resume:
            probe = label or env_label(factory())  # rows carry the env label of the env that ran them
            done = finished_episodes(Path(output), probe, seed, n, task_ids)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in todo:
        if i not in done:
            queue.put_nowait(i)
    bar = _Progress(queue.qsize(), enabled=progress)
    with contextlib.ExitStack() as stack:
        if gc_threshold:
            stack.enter_context(young_gc_threshold(gc_threshold))
        # one small append per finished episode: blocking writes are cheaper than a writer thread
        out = stack.enter_context(open(Path(output), "ab")) if output is not None else None  # noqa: ASYNC230
        stack.callback(bar.close)

        async def worker() -> None:
            e = factory()
            a = agent.clone()
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                tid = task_ids[i % len(task_ids)] if task_ids else None
                rec = await arun_episode(e, a, seed=seed + i, task_id=tid, env_id=label)
                records[i] = rec
                if out is not None:
                    out.write(orjson.dumps(rec.to_row()) + b"\n")
                    out.flush()
                bar.advance(rec.reward)

        await _start_staggered(worker, concurrency)
    return [r for r in records if r is not None]


async def _start_staggered(worker: Callable[[], Awaitable[None]], count: int) -> None:
    """Run ``count`` workers to the end; each starts one event-loop turn after the one before.

    A worker builds its env and its first request before it first waits. Started all at once, the
    loop would run every worker's setup back to back before any request went out (96 workers:
    about 170 ms of an idle server); one turn apart, the first requests are on the wire while the
    later workers still build theirs. A worker's error (or cancelling this) cancels the others,
    which unwind before the error leaves.
    """
    tasks: list[asyncio.Task[None]] = []
    try:
        for _ in range(count):
            tasks.append(asyncio.ensure_future(worker()))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # they unwind (close what they opened) before it leaves
        raise


_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def young_gc_threshold(threshold: int = YOUNG_GC_THRESHOLD) -> Any:
    """Raise Python's young-generation GC threshold while the block runs (never lowers it).

    A rollout allocates many short-lived containers per request (HTTP replies, messages, tool
    states); with Python's default threshold (700) the collector runs every few requests, and
    the older generations it promotes into are scanned again and again: about a sixth of the
    rollout's CPU (``benchmarks/bench_rollout.py --gc-threshold 0`` shows it). 5,000 removes most
    of that while each pause stays short (a long pause stalls every episode in flight). Nested and
    concurrent uses share one setting; the first one in saves Python's thresholds, the last one
    out restores them unless something else changed them meanwhile.
    """
    global _gc_users, _gc_saved
    if _gc_users == 0:
        _gc_saved = gc.get_threshold()
        if threshold > _gc_saved[0]:
            gc.set_threshold(threshold, *_gc_saved[1:])
    _gc_users += 1
    applied = gc.get_threshold()
    try:
        yield
    finally:
        _gc_users -= 1
        if _gc_users == 0 and gc.get_threshold() == applied:
            gc.set_threshold(*_gc_saved)


def cut_torn_tail(path: Path) -> int:
    """Drop a last line without its newline (a run killed mid-write); returns the bytes removed."""
    if not path.is_file():
        return 0
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return 0
        keep, end = 0, size
        while end > 0:  # walk back a MiB at a time to the last newline, however long the torn row
            start = max(0, end - (1 << 20))
            fh.seek(start)
            nl = fh.read(end - start).rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            end = start
        fh.truncate(keep)
        return size - keep


def finished_episodes(path: Path, env_id: str | None, seed: int, n: int, task_ids: list[str] | None) -> set[int]:
    """Indices ``i`` in ``[0, n)`` whose row (env, seed ``seed + i``, task) is already in ``path``."""
    done: set[int] = set()
    if not path.is_file():
        return done
    with open(path, "rb") as fh:
        for line in fh:
            try:
                extra = orjson.loads(line)["meta"]["extra"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue  # not a rollout row: other content in the file is left alone
            if not isinstance(extra, dict):
                continue  # not a rollout row either
            i = extra.get("seed", -1) - seed if isinstance(extra.get("seed"), int) else -1
            if not 0 <= i < n or (env_id is not None and extra.get("env_id") != env_id):
                continue
            if task_ids and extra.get("task_id") != task_ids[i % len(task_ids)]:
                continue
            done.add(i)
    return done


def rollout(env: Any, agent: str | Agent, n: int, **kwargs: Any) -> list[EpisodeRecord]:
    """Blocking :func:`arollout`."""
    return asyncio.run(arollout(env, agent, n, **kwargs))


def summarize(records: list[EpisodeRecord], seconds: float) -> RolloutSummary:
    """Mean reward and failures of a rollout."""
    mean = sum(r.reward for r in records) / len(records) if records else 0.0
    return RolloutSummary(len(records), mean, seconds, sum(1 for r in records if r.error))


def check_output(
    path: str | os.PathLike[str], *, resume: bool = False, overwrite: bool = False, what: str = "rows"
) -> None:
    """Refuse an output file that already holds content unless told what to do with it.

    ``resume`` keeps it (finished episodes are skipped); ``overwrite`` deletes it now.

    Raises:
        ConfigError: ``path`` holds content and neither flag is set, or both are.
    """
    from tools_registry.errors import ConfigError

    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: continue the output, or replace it")
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        return
    if overwrite:
        p.unlink()
        return
    if not resume:
        with open(p, "rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        raise ConfigError(
            f"{p} already holds {lines} {what}: pass --resume to continue it (finished episodes "
            "are skipped) or --overwrite to replace it"
        )


__all__ += ["summarize", "young_gc_threshold", "cut_torn_tail", "finished_episodes", "check_output", "env_label"]


def _factory(env: Any, kwargs: dict[str, Any]) -> Callable[[], ToolUseEnv]:
    if isinstance(env, ToolUseEnv):
        return lambda: env
    if callable(env):
        return env
    from .registration import make_env

    return lambda: make_env(env, **kwargs)


class _Progress:
    """A rich progress bar with the running mean reward (silent when disabled)."""

    def __init__(self, total: int, enabled: bool):
        self._bar = None
        self._sum = 0.0
        self._done = 0
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("rollout"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("mean reward {task.fields[mean]:.3f}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self._task = self._bar.add_task("rollout", total=total, mean=0.0)
            self._bar.start()

    def advance(self, reward: float) -> None:
        self._sum += reward
        self._done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, mean=self._sum / self._done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
