"""The driver: segments -> (dedup, decontam) -> the stages of ``synth.stages`` -> rows.

Each item is a ``SynthItem`` that one loop passes through the stage objects in order; the first
StageDrop ends it as a Drop, otherwise it becomes a kept row with a ``SynthMeta``. Items run
concurrently under a limit; each finished item is written at once (a kept row to corpus/, a Drop
to drops/); a ``resume`` run skips finished items and replays finished LLM calls from the cache.
``SynthConfig`` switches stages off for the paper's ablations and picks the one-call
Trajectory-Synthesizer mode (``build_stages`` says which stages run).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError, GemError
from tools_registry.records import Provenance

from .config import ROLES, RunReport, SynthConfig, package_version, simulator_oracle, with_cache
from .dedup import Decontaminator, Deduplicator
from .item import TAG_KEYS, RowTags, StageDrop, SynthItem, SynthMeta
from .records import Drop, Segment
from .rules import policy_source_warnings
from .stages import build_stages
from .store import ShardWriter, finished_ids, next_run_number

__all__ = [
    "ROLES",
    "Pipeline",
    "RunReport",
    "SynthConfig",
    "end_run",
    "open_output",
    "pre_drop",
    "simulator_oracle",
    "start_run",
    "with_cache",
]


class Pipeline:
    """Run GEM on a corpus.

    Args:
        backends: ``{role: LLMBackend}``; missing roles fall back to ``"teacher"``. Wrap them in
            ``gem_env.llm.cache.CachedBackend`` for resumable runs (``synth.backends.open_backends`` does).
        config: A SynthConfig.
        decontaminate: Benchmark texts to filter against (see ``dedup.py`` for the overlap rule).
        oracle: Optional ``(traj, env) -> Oracle`` factory for the replay check (``simulator_oracle``
            builds one from the 'simulator' backend).
        on_event: Called with ``(event, item_id, detail)`` for progress displays.
    """

    def __init__(
        self,
        backends: dict[str, Any],
        config: SynthConfig | None = None,
        *,
        decontaminate: Iterable[str] | None = None,
        oracle: Any = None,
        on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    ):
        if "teacher" not in backends and not (config and config.mode == "synthesizer"):
            raise ConfigError("the pipeline needs at least a 'teacher' backend")
        self.config = cfg = config or SynthConfig()
        self.backends = backends
        if oracle is None and backends.get("simulator") is not None:
            oracle = simulator_oracle(backends["simulator"])
        self.stages = build_stages(
            lambda role: backends.get(role) or backends.get("teacher") or backends.get("synthesizer"), cfg, oracle
        )
        self.decontam = Decontaminator(decontaminate) if decontaminate is not None else None
        self.on_event = on_event or (lambda *a: None)

    # ---- one item --------------------------------------------------------------------------
    def models(self) -> dict[str, str]:
        """``{role: backend name}`` of the roles that have a backend."""
        return {r: b.name for r, b in self.backends.items() if b is not None}

    async def process(self, seg: Segment) -> tuple[dict[str, Any] | None, Drop | None]:
        """Run one segment through the stages: ``(kept_row, None)`` or ``(None, Drop)``."""
        item = SynthItem(segment=seg)
        for stage in self.stages:
            try:
                await stage.run(item)
            except StageDrop as d:
                return None, item.dropped(d, self.config.mode)
            self.on_event("stage", seg.id, {"stage": stage.name})
        return self.row(item), None

    def row(self, item: SynthItem) -> dict[str, Any]:
        """The kept row of a finished item: its trajectory with provenance, sizes and a SynthMeta."""
        seg, rec, traj = item.segment, item.records, item.trajectory
        assert traj is not None, "a kept item has a trajectory"
        traj.meta.provenance = Provenance(
            source_id=seg.id,
            source_hash=seg.hash,
            pipeline="synthesizer" if self.config.mode == "synthesizer" else "synth",
            prompts=dict(rec.prompts),
            models=self.models(),
            sampling={r: self.config.sampling(r) for r in ("tagger", "teacher", "judge")},
            seed=self.config.seed,
            created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            version=package_version(),
        )
        traj.with_stats()
        tags = item.tags.model_dump() if item.tags is not None else {}
        system = traj.messages[0].content if traj.messages and traj.messages[0].role == "system" else None
        meta = SynthMeta(
            tags=RowTags.model_validate({k: tags.get(k) for k in TAG_KEYS}),
            before_refine=item.before_refine,
            patterns=item.patterns or [],
            env=item.env,
            ledger=rec.ledger,
            repairs=list(rec.repairs),
            mode=self.config.mode,
            verdict=item.verdict,
            compile=item.compiled,
            source_text=seg.text,
            write_tools=[t.name for t in traj.tools if t.mutates],
            warnings=policy_source_warnings(system, seg.text),
        )
        traj.meta.extra = meta.model_dump(mode="json")
        return traj.to_row()

    # ---- a run -----------------------------------------------------------------------------
    async def run(self, segments: Iterable[Segment], out: str | Path, *, resume: bool = False) -> RunReport:
        """Process ``segments`` into ``out``. Without ``resume`` an ``out`` holding rows is an error."""
        out = Path(out)
        done = open_output(out, resume)
        run_no = start_run(out, {"config": asdict(self.config), "models": self.models()})
        report = RunReport()
        dedup = Deduplicator(self.config.near_dup_threshold) if self.config.dedup else None
        try:
            await self.run_part(segments, out, run_no, report, done=done, dedup=dedup)
        finally:
            if self.config.export_domains:
                from .export import export_domains
                from .store import iter_rows

                export_domains(iter_rows(out / "corpus"), out / "domains", skip_existing=True)
            end_run(out, run_no, report, self.usage())
        return report

    def usage(self) -> dict[str, Any]:
        """Per-role token / call usage of this pipeline's backends.

        Roles that share one backend are reported once, under the first of them, with
        ``"roles": [...]`` naming them all; the others hold ``{"shared_with": first}``, so no call
        is counted twice.
        """
        out: dict[str, Any] = {}
        first: dict[int, str] = {}
        for r, b in self.backends.items():
            if b is None or not hasattr(b, "usage"):
                continue
            if id(b) in first:
                out[r] = {"shared_with": first[id(b)]}
                out[first[id(b)]]["roles"].append(r)
            else:
                first[id(b)] = r
                out[r] = {**b.usage.as_dict(), "roles": [r]}
        return out

    async def run_part(
        self,
        segments: Iterable[Segment],
        out: Path,
        run_no: int,
        report: RunReport,
        *,
        done: set[str],
        dedup: Deduplicator | None = None,
        tag: str | None = None,
    ) -> None:
        """The item loop of one run: skip ``done`` ids, write rows to shards named by ``run_no``/``tag``.

        ``distributed`` calls this in each Ray worker with its own ``tag`` (so writers never share a file)
        after the driver has done the corpus-wide steps (resume check, dedup, decontamination).
        """
        kept_w = ShardWriter(out / "corpus", run_no, self.config.shard_rows, tag=tag)
        drop_w = ShardWriter(out / "drops", run_no, self.config.shard_rows, tag=tag)
        sem = asyncio.Semaphore(self.config.concurrency)
        pending: set[asyncio.Task[None]] = set()

        async def one(seg: Segment) -> None:
            try:
                async with sem:
                    row, drop = await self.process(seg)
            except (
                GemError,
                OSError,
            ) as exc:  # backend down after retries, script exhausted: retry on resume
                report.errors += 1
                report.error_messages.append(f"{seg.id}: {type(exc).__name__}: {exc}"[:500])
                self.on_event("error", seg.id, {"error": str(exc)[:200]})
                return
            except Exception as exc:  # noqa: BLE001 - a bug: leave the item unfinished, log it, keep the run going
                report.errors += 1
                report.error_messages.append(f"{seg.id}: {type(exc).__name__}: {exc}"[:500])
                with open(out / "errors.log", "a") as fh:
                    fh.write(f"--- {seg.id}\n{traceback.format_exc()}\n")
                self.on_event("error", seg.id, {"error": repr(exc)[:200]})
                return
            self._finish(seg.id, row, drop, kept_w, drop_w, report)

        try:
            for seg in segments:
                report.seen += 1
                pre = self._pre_drop(seg, dedup)
                if seg.id in done:
                    report.skipped += 1
                    continue
                done.add(seg.id)
                if pre is not None:
                    self._finish(seg.id, None, pre, kept_w, drop_w, report)
                    continue
                task = asyncio.ensure_future(one(seg))
                pending.add(task)
                task.add_done_callback(pending.discard)
                if len(pending) >= 2 * self.config.concurrency:
                    await asyncio.wait(set(pending), return_when=asyncio.FIRST_COMPLETED)
            if pending:
                await asyncio.gather(*pending)
        finally:
            kept_w.close()
            drop_w.close()

    def _pre_drop(self, seg: Segment, dedup: Deduplicator | None) -> Drop | None:
        return pre_drop(seg, dedup, self.decontam, self.config.mode)

    def _finish(
        self,
        sid: str,
        row: dict[str, Any] | None,
        drop: Drop | None,
        kept_w: ShardWriter,
        drop_w: ShardWriter,
        report: RunReport,
    ) -> None:
        if row is not None:
            kept_w.write(row)
            report.kept += 1
            self.on_event("kept", sid, {"ledger": SynthMeta.read(row["meta"]["extra"]).ledger.model_dump()})
        elif drop is not None:
            drop_w.write(drop.model_dump(mode="json"))
            report.dropped[drop.stage] = report.dropped.get(drop.stage, 0) + 1
            self.on_event("drop", sid, {"stage": drop.stage, "reason": drop.reason, "ledger": drop.ledger.model_dump()})


def pre_drop(seg: Segment, dedup: Deduplicator | None, decontam: Decontaminator | None, mode: str) -> Drop | None:
    """The corpus-wide drops that need no LLM: duplicates (order-dependent) and benchmark overlap."""
    if dedup is not None:
        hit = dedup.check(seg.id, seg.text)
        if hit is not None:
            return Drop(id=seg.id, stage="dedup", reason=hit[0], details=[f"duplicate of {hit[1]}"], mode=mode)
    if decontam is not None:
        idx = decontam.check(seg.text)
        if idx is not None:
            return Drop(
                id=seg.id,
                stage="decontam",
                reason="benchmark_overlap",
                details=[f"shares a {decontam.n}-gram with benchmark text #{idx}"],
                mode=mode,
            )
    return None


def open_output(out: Path, resume: bool) -> set[str]:
    """Repair ``out`` and return its finished ids; without ``resume`` finished items are an error."""
    done = finished_ids(out) if out.exists() else set()
    if done and not resume:
        raise ConfigError(
            f"{out} already holds {len(done)} finished items: pass --resume to continue it "
            "or --overwrite to start it over"
        )
    out.mkdir(parents=True, exist_ok=True)
    return done


def start_run(out: Path, info: dict[str, Any]) -> int:
    """Claim the next run number of ``out`` and log its start line in runs.jsonl."""
    run_no = next_run_number(out)
    with open(out / "runs.jsonl", "ab") as fh:
        fh.write(orjson.dumps({"run": run_no, "event": "start", **info}, default=str) + b"\n")
    return run_no


def end_run(out: Path, run_no: int, report: RunReport, usage: dict[str, Any]) -> None:
    """Log the end line of run ``run_no`` (counts and usage) in runs.jsonl."""
    with open(out / "runs.jsonl", "ab") as fh:
        fh.write(
            orjson.dumps({"run": run_no, "event": "end", "report": report.as_dict(), "usage": usage}, default=str)
            + b"\n"
        )
