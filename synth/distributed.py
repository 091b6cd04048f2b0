"""Run the synth pipeline on Ray: many workers (one machine or a cluster on a shared filesystem), one OUT.

``run_on_ray(segments, out, models, config, num_workers=N)`` gives the guarantees of ``Pipeline.run``:
the driver does the corpus-wide steps once (repair + finished ids for ``resume``, exact/near dedup and
decontamination in corpus order, so kept/dropped ids equal a single-process run's), then splits the
remaining segments into N shards by a stable hash of their id. Each shard is one plain ``ray.remote``
task that builds its own backends from the model strings (backends are not picklable) on OUT's shared
SQLite reply cache and runs ``Pipeline.run_part``, appending whole lines to its own shard files
(``part-<run>-w<k>-<n>.jsonl``): no two writers share a file. Tasks are never retried by Ray (a retry
would redo finished items); a worker that dies leaves its finished rows, and ``resume`` does the rest.

Why not Ray Data: ``map_batches`` wants batch-in / batch-out and re-runs a failed batch, while the
pipeline's item loop is an asyncio loop that writes each finished item at once (that is what makes a
killed run resumable). Ray is imported only here, inside functions: ``import synth`` never loads it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .config import RunReport, SynthConfig
from .records import Segment

__all__ = ["WorkerSpec", "require_ray", "run_on_ray", "shard_of"]

RAY_HINT = "pip install 'gem-env[ray]'"


@dataclass
class WorkerSpec:
    """What a worker needs to build its own backends: model strings per role and their options."""

    models: dict[str, str | None]
    config: dict[str, Any] = field(default_factory=dict)
    cache_mode: str = "rw"
    base_url: str | None = None
    max_tokens: int | None = None


def require_ray() -> Any:
    """The ``ray`` module, or a ConfigError naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"running on Ray needs ray: {RAY_HINT}") from exc
    return ray


def shard_of(item_id: str, n: int) -> int:
    """Stable shard of an item id among ``n`` (sha256, the same on every machine and run)."""
    return int(hashlib.sha256(item_id.encode()).hexdigest()[:16], 16) % n


def _merge_usage(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    for k, v in part.items():
        if isinstance(v, dict):
            _merge_usage(total.setdefault(k, {}), v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            total[k] = max(total.get(k, v), v) if k.startswith("max_") else total.get(k, 0) + v
        else:
            total.setdefault(k, v)
    return total


def _written(out: Path) -> tuple[set[str], dict[str, str]]:
    """Ids of kept rows and ``{id: stage}`` of drops now in ``out`` (complete lines; nothing repaired)."""
    from .store import iter_rows

    kept = {r.get("meta", {}).get("provenance", {}).get("source_id") for r in iter_rows(out / "corpus")}
    return {k for k in kept if k}, {d["id"]: d["stage"] for d in iter_rows(out / "drops")}


def work_shard(spec: WorkerSpec, segments: list[dict[str, Any]], out: str, run_no: int, tag: str) -> dict[str, Any]:
    """One worker: build backends from ``spec``, run the pipeline's item loop on ``segments`` into ``out``."""
    import asyncio

    from .backends import open_backends
    from .pipeline import Pipeline

    root = Path(out)
    cfg = SynthConfig(**{**spec.config, "dedup": False, "export_domains": False})
    backends = open_backends(spec.models, root / "cache.sqlite", spec.cache_mode, spec.base_url, spec.max_tokens)
    pipe = Pipeline(backends, cfg)
    report = RunReport()

    async def go() -> None:
        try:
            await pipe.run_part((Segment(**s) for s in segments), root, run_no, report, done=set(), tag=tag)
        finally:
            for b in {id(b): b for b in backends.values()}.values():
                await b.aclose()

    asyncio.run(go())
    return {"report": report.as_dict(), "usage": pipe.usage()}


def run_on_ray(
    segments: Iterable[Segment],
    out: str | Path,
    models: dict[str, str | None],
    config: SynthConfig | None = None,
    *,
    num_workers: int = 2,
    resume: bool = False,
    address: str | None = None,
    decontaminate: Iterable[str] | None = None,
    cache_mode: str = "rw",
    base_url: str | None = None,
    max_tokens: int | None = None,
) -> RunReport:
    """Process ``segments`` into ``out`` with ``num_workers`` Ray tasks; the merged RunReport.

    Args:
        segments: Corpus segments (``read_corpus(...)``), read once by the driver.
        out: Output folder; on a cluster, a path every node sees (shared filesystem).
        models: ``{role: model string}`` as ``gem synth run`` takes them (``fake`` included).
        config: A SynthConfig (dedup runs in the driver; domain folders are exported at the end).
        num_workers: Shards, one Ray task each (1 CPU per task).
        resume: Continue an interrupted run (single-process or Ray) in ``out``.
        address: A running cluster (``ray.init(address=...)``); else a local Ray with ``num_workers``
            CPUs is started and shut down. An already initialised Ray is used as it is.
        decontaminate: Benchmark texts to filter against (applied in the driver).
        cache_mode: The reply cache mode (``rw``, ``replay`` or ``off``), as ``gem synth run`` takes it.
        base_url: OpenAI-compatible server for the model strings that need one.
        max_tokens: Completion token limit for every LLM call (None: the backend's default).
    """
    from .dedup import Decontaminator, Deduplicator
    from .pipeline import end_run, open_output, pre_drop, start_run
    from .store import ShardWriter

    if num_workers < 1:
        raise ConfigError(f"--ray needs at least 1 worker, got {num_workers}")
    ray = require_ray()
    cfg = config or SynthConfig()
    if "teacher" not in {r for r, m in models.items() if m} and cfg.mode != "synthesizer":
        raise ConfigError("the pipeline needs at least a 'teacher' model")
    out = Path(out).resolve()
    done = open_output(out, resume)
    spec = WorkerSpec(
        models=dict(models), config=asdict(cfg), cache_mode=cache_mode, base_url=base_url, max_tokens=max_tokens
    )
    run_no = start_run(
        out,
        {
            "config": asdict(cfg),
            "models": {r: m for r, m in models.items() if m},
            "ray": {"workers": num_workers, "address": address},
        },
    )
    if cache_mode != "off":  # create the cache (and switch it to WAL) once: first opens that race can fail
        from gem_env.llm.cache import ReplyCache

        ReplyCache(out / "cache.sqlite").close()
    report = RunReport()
    usage: dict[str, Any] = {}
    dedup = Deduplicator(cfg.near_dup_threshold) if cfg.dedup else None
    decontam = Decontaminator(decontaminate) if decontaminate is not None else None
    shards: list[list[dict[str, Any]]] = [[] for _ in range(num_workers)]
    started = False
    try:
        drops = ShardWriter(out / "drops", run_no, cfg.shard_rows, tag="main")
        try:
            for seg in segments:  # the corpus-wide, order-dependent steps, as Pipeline.run_part does them
                report.seen += 1
                pre = pre_drop(seg, dedup, decontam, cfg.mode)
                if seg.id in done:
                    report.skipped += 1
                    continue
                done.add(seg.id)
                if pre is not None:
                    drops.write(pre.model_dump(mode="json"))
                    report.dropped[pre.stage] = report.dropped.get(pre.stage, 0) + 1
                    continue
                shards[shard_of(seg.id, num_workers)].append(seg.model_dump(mode="json"))
        finally:
            drops.close()
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=num_workers, include_dashboard=False, log_to_driver=False)
            started = True
        task = ray.remote(num_cpus=1, max_retries=0)(work_shard)
        refs = {
            task.remote(spec, shard, str(out), run_no, f"w{k:03d}"): shard for k, shard in enumerate(shards) if shard
        }
        failed: list[set[str]] = []
        waiting = list(refs)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            try:
                part = ray.get(ready[0])
            except ray.exceptions.RayError as exc:  # a worker died or raised: its unfinished items wait for resume
                failed.append({s["id"] for s in refs[ready[0]]})
                report.error_messages.append(f"ray worker failed: {type(exc).__name__}: {exc}"[:500])
                continue
            r = part["report"]
            report.kept += r["kept"]
            for stage, n in r["dropped"].items():
                report.dropped[stage] = report.dropped.get(stage, 0) + n
            report.errors += r["errors"]
            report.error_messages += r["error_messages"]
            _merge_usage(usage, part["usage"])
        if failed:  # count what a failed worker finished before it went (complete lines only, no repair)
            kept, dropped = _written(out)
            for ids in failed:
                report.kept += len(ids & kept)
                for i in ids & dropped.keys():
                    report.dropped[dropped[i]] = report.dropped.get(dropped[i], 0) + 1
                report.errors += len(ids - kept - dropped.keys())
    finally:
        if started:
            ray.shutdown()
        if cfg.export_domains and (out / "corpus").is_dir():
            from .export import export_domains
            from .store import iter_rows

            export_domains(iter_rows(out / "corpus"), out / "domains", skip_existing=True)
        end_run(out, run_no, report, usage)
    return report
