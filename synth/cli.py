"""``gem synth``: run the pipeline (or the one-call synthesizer), resume it, read its stats, export it.

``register(app)`` adds the ``synth`` group to the main ``gem`` app. Heavy imports happen inside commands.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

__all__ = ["register", "synth_app"]

synth_app = typer.Typer(
    name="synth",
    help="GEM: turn procedural text into tool-use trajectories.",
    no_args_is_help=True,
    add_completion=False,
)


@synth_app.command("run")
def run_cmd(
    corpus: str = typer.Argument(..., help="JSONL / Parquet file, folder of files, or a Hugging Face dataset name."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    model: str | None = typer.Option(
        None, "--model", help="Model for every role, e.g. openai:Qwen/Qwen3-8B, hf:..., fake."
    ),
    teacher: str | None = typer.Option(None, help="Model for extract / generate / refine."),
    tagger: str | None = typer.Option(None, help="Model for selection tags."),
    judge: str | None = typer.Option(None, help="Model for the R1/R2/R3 judge."),
    simulator: str | None = typer.Option(None, help="Model playing the tools in the state-replay check."),
    synthesizer: str | None = typer.Option(None, help="One-call Trajectory-Synthesizer mode with this model."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible server URL (vLLM: http://host:8000/v1)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in OUT."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Start OUT over: delete its rows, drops, domains and run log (the reply cache stays).",
    ),
    concurrency: int = typer.Option(8, help="Items in flight at once."),
    refine: bool = typer.Option(True, "--refine/--no-refine", help="Stage 4 (ablation: --no-refine)."),
    use_judge: bool = typer.Option(True, "--judge/--no-judge", help="The LLM judge (ablation: --no-judge)."),
    prefilter: bool = typer.Option(True, "--prefilter/--no-prefilter", help="The cheap non-LLM prefilter."),
    dedup: bool = typer.Option(True, "--dedup/--no-dedup", help="Exact and MinHash near-duplicate removal."),
    consistency: bool = typer.Option(True, "--consistency/--no-consistency", help="State-consistency check."),
    compile_tools: bool = typer.Option(
        True,
        "--compile/--no-compile",
        help="Compile each item's tools into verified programs (ablation: --no-compile).",
    ),
    require_compiled: bool = typer.Option(False, "--require-compiled", help="Drop items whose tools did not compile."),
    repair_rounds: int = typer.Option(2, "--repair-rounds", min=0, help="Compile repair rounds after a failed check."),
    decontaminate: list[Path] = typer.Option([], help="Benchmark files/folders to filter against (repeatable)."),
    text_field: str = typer.Option("text", help="Field holding the text; 'title+steps' joins fields (lists by line)."),
    id_field: str = typer.Option("id", help="Field holding a row id."),
    split: str = typer.Option("train", help="Split of a Hugging Face dataset."),
    max_chars: int = typer.Option(6000, help="Longest segment; longer texts are split at paragraphs."),
    limit: int | None = typer.Option(None, help="Process at most this many segments."),
    seed: int = typer.Option(0, help="Seed sent with every call (part of the cache key)."),
    temperature: float = typer.Option(0.7, help="Teacher temperature."),
    max_tokens: int | None = typer.Option(None, help="max_tokens for every call."),
    cache_mode: str = typer.Option("rw", help="Reply cache: rw, replay or off."),
    prompts_dir: Path | None = typer.Option(None, help="Folder of prompt templates overriding the bundled ones."),
    structured: bool = typer.Option(
        True,
        "--structured/--no-structured",
        help="Send each stage's JSON Schema as response_format (constrained decoding).",
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    ray_workers: int | None = typer.Option(
        None, "--ray", help="Run on Ray with this many workers (pip install 'gem-env[ray]')."
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="A running Ray cluster (e.g. auto, ray://head:10001); OUT on a shared disk."
    ),
) -> None:
    """Synthesize trajectories from CORPUS into OUT (corpus/, drops/, domains/, runs.jsonl, cache.sqlite)."""
    from tools_registry.errors import ConfigError

    from .dedup import load_benchmark_texts
    from .pipeline import SynthConfig

    if not (model or teacher or synthesizer):
        raise ConfigError("name a model: --model (every role), --teacher, or --synthesizer")
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: continue OUT, or start it over")
    mode = "synthesizer" if synthesizer else "pipeline"
    cfg = SynthConfig(
        concurrency=concurrency,
        prefilter=prefilter,
        dedup=dedup,
        refine=refine,
        judge=use_judge,
        consistency=consistency,
        compile=compile_tools,
        require_compiled=require_compiled,
        compile_repair_rounds=repair_rounds,
        seed=seed,
        teacher_sampling={"temperature": temperature},
        prompts_dir=str(prompts_dir) if prompts_dir else None,
        mode=mode,
        structured=structured,
    )
    read = dict(text_field=text_field, id_field=id_field, max_chars=max_chars, split=split)
    segments = _checked_corpus(corpus, read, limit)  # bad input fails here, before OUT is touched
    if overwrite:
        _clear_output(out)
    out.mkdir(parents=True, exist_ok=True)
    roles = (
        {"synthesizer": synthesizer, "judge": judge or model}
        if synthesizer
        else {
            "teacher": teacher or model,
            "tagger": tagger or model or teacher,
            "judge": judge or model or teacher,
        }
    )
    roles["simulator"] = simulator
    if ray_address and not ray_workers:
        raise ConfigError("--ray-address needs --ray N (the number of workers)")
    if ray_workers:
        from .distributed import require_ray

        require_ray()  # before reading the corpus: a clear ConfigError when ray is missing
    texts = load_benchmark_texts(decontaminate) if decontaminate else None
    if ray_workers:
        from .distributed import run_on_ray

        report = run_on_ray(
            segments,
            out,
            roles,
            cfg,
            num_workers=ray_workers,
            resume=resume,
            address=ray_address,
            decontaminate=texts,
            cache_mode=cache_mode,
            base_url=base_url,
            max_tokens=max_tokens,
        )
    else:
        report = _run_local(roles, cfg, texts, segments, out, resume, cache_mode, base_url, max_tokens, quiet)
    retry = " (not finished: rerun with --resume to retry them)" if report.errors else ""
    typer.echo(
        f"kept {report.kept}, dropped {sum(report.dropped.values())} {dict(report.dropped)}, "
        f"skipped (finished earlier) {report.skipped}, errors {report.errors}{retry}"
    )
    for msg in report.error_messages[:5]:
        typer.echo(f"  error: {msg}", err=True)
    typer.echo(f"output: {out}   stats: gem synth stats {out}")


def _checked_corpus(corpus: str, read: dict[str, Any], limit: int | None) -> Any:
    """The corpus's segments, checked before anything is written.

    A corpus on disk is read once beforehand so that a bad row anywhere fails the run before
    anything is written; a Hugging Face dataset is only opened (its first row).
    """
    import itertools

    from .corpus import read_corpus

    if Path(corpus).exists():
        for _ in itertools.islice(read_corpus(corpus, **read), limit):
            pass
        segments = read_corpus(corpus, **read)
    else:
        stream = read_corpus(corpus, **read)
        first = next(stream, None)  # a missing file or dataset fails now, not under the progress display
        segments = itertools.chain([] if first is None else [first], stream)
    return itertools.islice(segments, limit) if limit is not None else segments


def _clear_output(out: Path) -> None:
    """What ``--overwrite`` removes from OUT: the rows, drops, domains, run log and figure."""
    import shutil

    for sub in ("corpus", "drops", "domains"):
        shutil.rmtree(out / sub, ignore_errors=True)
    for name in ("runs.jsonl", "stats.png"):
        (out / name).unlink(missing_ok=True)


def _run_local(
    roles: dict[str, str | None],
    cfg: Any,
    texts: Any,
    segments: Any,
    out: Path,
    resume: bool,
    cache_mode: str,
    base_url: str | None,
    max_tokens: int | None,
    quiet: bool,
) -> Any:
    """The single-process run: one asyncio loop, backends built here."""
    from .pipeline import Pipeline
    from .progress import Progress

    from .backends import open_backends

    backends = open_backends(roles, out / "cache.sqlite", cache_mode, base_url, max_tokens)
    progress = Progress(enabled=not quiet)
    pipe = Pipeline(backends, cfg, decontaminate=texts, on_event=progress.event)

    async def go() -> Any:
        try:
            with progress:
                return await pipe.run(segments, out, resume=resume)
        finally:
            for b in {id(b): b for b in backends.values()}.values():
                await b.aclose()

    return asyncio.run(go())


@synth_app.command("stats")
def stats_cmd(
    outs: list[Path] = typer.Argument(..., help="Output folder(s); several compare modes side by side."),
    png: Path | None = typer.Option(None, help="Figure path (default: <first OUT>/stats.png)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Per-stage yield and drop reasons, trajectory sizes beside the paper's, histograms, cost per kept row."""
    import orjson

    from .stats import collect, format_stats, plot_stats

    modes = collect(outs)
    if as_json:
        typer.echo(
            orjson.dumps(
                modes,
                default=lambda o: dict(o) if hasattr(o, "items") else str(o),
                option=orjson.OPT_NON_STR_KEYS,
            ).decode()
        )
    else:
        typer.echo(format_stats(modes))
    try:
        path = plot_stats(modes, png or outs[0] / "stats.png")
    except ImportError:
        typer.echo("figure: skipped (install matplotlib: pip install 'gem-env[plot]')")
    else:
        typer.echo(f"figure: {path}")


@synth_app.command("export")
def export_cmd(
    out: Path = typer.Argument(..., help="Output folder of a run."),
    fmt: str = typer.Option(..., "--format", help="openai | sharegpt | domains"),
    dest: Path = typer.Option(..., "-o", "--dest", help="File (openai) or folder (sharegpt, domains)."),
    name: str = typer.Option("gem_synth", help="Dataset name in LLaMA-Factory's dataset_info.json."),
) -> None:
    """Export kept rows to OpenAI fine-tuning JSONL, LLaMA-Factory ShareGPT, or domain folders."""
    from tools_registry.errors import ConfigError

    from .export import export_domains, export_openai, export_sharegpt
    from .store import iter_rows, repair

    repair(out / "corpus")
    rows = iter_rows(out / "corpus")
    if fmt == "openai":
        typer.echo(f"wrote {export_openai(rows, dest)} rows to {dest}")
    elif fmt == "sharegpt":
        typer.echo(f"wrote {export_sharegpt(rows, dest, name)} and {dest / 'dataset_info.json'}")
    elif fmt == "domains":
        typer.echo(f"wrote {len(export_domains(rows, dest))} domain folders under {dest}")
    else:
        raise ConfigError(f"unknown export format {fmt!r}: use openai, sharegpt or domains")


@synth_app.command("pairs")
def pairs_cmd(
    out: Path = typer.Argument(..., help="Output folder of a (pipeline) run."),
    dest: Path = typer.Option(..., "-o", "--dest", help="JSONL file of synthesizer training pairs."),
) -> None:
    """Trajectory-Synthesizer SFT pairs: fixed instruction + source text -> gem-synth/v1 serialisation."""
    import orjson

    from .store import iter_rows, repair
    from .synthesizer import build_pairs

    repair(out / "corpus")
    pairs = build_pairs(iter_rows(out / "corpus"))
    with open(dest, "wb") as fh:
        fh.writelines(orjson.dumps(p) + b"\n" for p in pairs)
    typer.echo(f"wrote {len(pairs)} pairs to {dest}")


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command group to ``app``."""
    app.add_typer(synth_app, name="synth")
