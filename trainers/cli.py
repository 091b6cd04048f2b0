"""CLI: ``gem train sft | synthesizer | grpo`` and ``gem eval``; ``register(app)`` adds them to a Typer app.

Common options are flags; every other TRL/transformers option is reachable with ``--trl key=value``
(repeatable, values read as JSON) or ``--config FILE`` (JSON/YAML). Heavy imports happen inside
the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register", "train_app"]

train_app = typer.Typer(
    help="Train models: SFT on a corpus, the Trajectory Synthesizer, GRPO on gem envs.", no_args_is_help=True
)

_TRL = typer.Option(None, "--trl", help="Any TRL/transformers config option as key=value (repeatable).")
_CONFIG = typer.Option(None, "--config", help="JSON or YAML file of config options.")


def _sft_config(output_dir: Path, config: Path | None, trl: list[str] | None, **flags):
    from .config import GemSFTConfig, build_config

    return build_config(GemSFTConfig, config_file=config, overrides=trl or (), output_dir=str(output_dir), **flags)


def _report_sft(result) -> None:
    losses = [h["loss"] for h in result.log_history if "loss" in h]
    m = result.mask
    # runs shorter than logging_steps log no step loss; TRL's run summary still has the mean
    loss = (
        f"last logged loss {float(losses[-1]):.4f}"
        if losses
        else f"train loss {float(result.metrics.get('train_loss', float('nan'))):.4f}"
    )
    typer.echo(
        f"trained {m.rows_kept} rows ({m.trained_tokens}/{m.tokens} tokens carry loss); "
        f"{loss}; saved to {result.output_dir}"
    )


@train_app.command("sft")
def sft_cmd(
    data: Path = typer.Option(..., "--data", help="Corpus: a JSONL file, a folder of JSONL shards, or parquet."),
    model: str = typer.Option(..., "--model", help="Model id or path (hf: prefix allowed)."),
    output_dir: Path = typer.Option(Path("gem-sft"), "--output-dir", "-o", help="Where the model is saved."),
    eval_data: Path | None = typer.Option(None, "--eval-data", help="Evaluation corpus."),
    learning_rate: float | None = typer.Option(None, "--lr", help="Peak learning rate (default 5e-6)."),
    epochs: float | None = typer.Option(None, "--epochs", help="Epochs (default 2)."),
    max_length: int | None = typer.Option(None, "--max-length", help="Longest row in tokens (default 32768)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Per-device batch (default 1)."),
    grad_accum: int | None = typer.Option(None, "--grad-accum", help="Accumulation steps (default 64)."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many updates."),
    config: Path | None = _CONFIG,
    trl: list[str] | None = _TRL,
) -> None:
    """Supervised fine-tuning on a gem corpus (paper recipe; loss on assistant tokens)."""
    from .sft import train_sft

    cfg = _sft_config(
        output_dir,
        config,
        trl,
        learning_rate=learning_rate,
        num_train_epochs=epochs,
        max_length=max_length,
        per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=grad_accum,
        max_steps=max_steps,
    )
    _report_sft(train_sft(data, model, config=cfg, eval_data=eval_data))


@train_app.command("synthesizer")
def synthesizer_cmd(
    data: Path = typer.Option(..., "--data", help="Validated corpus (JSONL file or folder of shards)."),
    model: str = typer.Option(..., "--model", help="Model id or path (hf: prefix allowed)."),
    texts: Path | None = typer.Option(None, "--texts", help="Source texts, JSONL lines {id, text}."),
    output_dir: Path = typer.Option(Path("gem-synthesizer"), "--output-dir", "-o", help="Where the model is saved."),
    learning_rate: float | None = typer.Option(None, "--lr", help="Peak learning rate (default 5e-6)."),
    epochs: float | None = typer.Option(None, "--epochs", help="Epochs (default 2)."),
    max_length: int | None = typer.Option(None, "--max-length", help="Longest row in tokens (default 32768)."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many updates."),
    config: Path | None = _CONFIG,
    trl: list[str] | None = _TRL,
) -> None:
    """Train the Trajectory Synthesizer (text -> tools + trajectory) with the SFT path."""
    from .synthesizer import train_synthesizer

    cfg = _sft_config(
        output_dir,
        config,
        trl,
        learning_rate=learning_rate,
        num_train_epochs=epochs,
        max_length=max_length,
        max_steps=max_steps,
    )
    _report_sft(train_synthesizer(data, model, texts=texts, config=cfg))


@train_app.command("grpo")
def grpo_cmd(
    env: list[str] = typer.Option(..., "--env", help="Env id gem/<domain>-v0 (repeatable)."),
    model: str = typer.Option(..., "--model", help="Model id or path (hf: prefix allowed)."),
    output_dir: Path = typer.Option(Path("gem-grpo"), "--output-dir", "-o", help="Where the model is saved."),
    max_tasks: int | None = typer.Option(None, "--max-tasks", help="First N tasks of each env."),
    tasks: str | None = typer.Option(None, "--tasks", help="Comma-separated task ids (of every env)."),
    num_generations: int | None = typer.Option(None, "--num-generations", help="Episodes per task per step."),
    max_turns: int | None = typer.Option(None, "--max-turns", help="Assistant turns per episode (default 16)."),
    max_completion_length: int | None = typer.Option(
        None, "--max-completion-length", help="Episode token budget after the prompt."
    ),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many updates."),
    learning_rate: float | None = typer.Option(None, "--lr", help="Peak learning rate (default 1e-6)."),
    use_vllm: bool | None = typer.Option(None, "--vllm/--no-vllm", help="Generate with vLLM (GPU)."),
    vllm_mode: str | None = typer.Option(None, "--vllm-mode", help="colocate or server."),
    user_model: str | None = typer.Option(None, "--user-model", help="Model string for LLM users."),
    config: Path | None = _CONFIG,
    trl: list[str] | None = _TRL,
) -> None:
    """GRPO against gem environments; the reward is the environment's."""
    from .config import GemGRPOConfig, build_config
    from .grpo import train_grpo

    cfg = build_config(
        GemGRPOConfig,
        config_file=config,
        overrides=trl or (),
        output_dir=str(output_dir),
        num_generations=num_generations,
        max_turns=max_turns,
        max_completion_length=max_completion_length,
        max_steps=max_steps,
        learning_rate=learning_rate,
        use_vllm=use_vllm,
        vllm_mode=vllm_mode,
    )
    env_kwargs = {"user_model": user_model} if user_model else None
    res = train_grpo(env, model, config=cfg, max_tasks=max_tasks, env_kwargs=env_kwargs, tasks=_task_list(tasks))
    rewards = res.env_rewards()
    typer.echo("env reward per logged step: " + " ".join(f"{r:.3f}" for r in rewards))
    typer.echo(
        f"{len(rewards)} logged steps; env reward first {rewards[0] if rewards else float('nan'):.3f} "
        f"last {rewards[-1] if rewards else float('nan'):.3f}; saved to {res.output_dir}"
    )


def eval_cmd(
    model: str = typer.Option(..., "--model", help="hf:<path>, openai:<model>, vllm:<model>, oracle or random."),
    env: list[str] | None = typer.Option(None, "--env", help="Env id gem/<domain>-v0 (repeatable)."),
    suite: str | None = typer.Option(None, "--suite", help="A named suite, e.g. bfcl-multi-turn."),
    k: int = typer.Option(4, "-k", "--k", help="Rollouts per task (Avg@k, Pass@k, pass^k)."),
    seed: int = typer.Option(0, "--seed", help="Episode i uses seed + i."),
    max_tasks: int | None = typer.Option(None, "--max-tasks", help="First N tasks of each env."),
    tasks: str | None = typer.Option(None, "--tasks", help="Comma-separated task ids (of every env)."),
    output: Path = typer.Option(
        Path("gem-eval"),
        "--output",
        "-o",
        help="Folder for results and episodes (one holding results needs --resume or --overwrite).",
    ),
    cache: Path | None = typer.Option(None, "--cache", help="SQLite reply cache (reruns replay exactly)."),
    concurrency: int = typer.Option(8, "--concurrency", help="Episodes at once per env."),
    temperature: float | None = typer.Option(None, "--temperature", help="Agent sampling temperature."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Agent reply token limit (default 1024)."),
    sampling_opts: list[str] | None = typer.Option(
        None, "--sampling", help="ROLE.key=value for a model role: agent, user, tools, judge (repeatable)."
    ),
    tool_choice: str | None = typer.Option(
        None, "--tool-choice", help="Agent tool_choice on turns with tools: auto, required, none."
    ),
    base_url: list[str] | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible server URL (openai:); repeat it (or name a file of URLs) for a pool of replicas.",
    ),
    user_model: str | None = typer.Option(None, "--user-model", help="Model string for LLM users."),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="Model string for judged reward parts (tau2 NL assertions, rubrics)."
    ),
    threshold: float = typer.Option(1.0, "--threshold", help="Reward counted as a success."),
    resume: bool = typer.Option(False, "--resume", help="Continue the evaluation in -o (finished episodes kept)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the evaluation in -o."),
    ray: int | None = typer.Option(None, "--ray", min=1, help="Run on N Ray workers, --concurrency episodes each."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="A running Ray cluster to join (with --ray)."),
) -> None:
    """Evaluate a model: k rollouts per task, Avg@k / Pass@k / pass^k per env and overall."""
    from gem_env.llm.pool import endpoint_table, read_endpoints
    from gem_env.role_sampling import parse_sampling

    from .evaluate import evaluate

    sampling = {k_: v for k_, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None}
    urls = read_endpoints(base_url)
    res = evaluate(
        model,
        env or [],
        k=k,
        suite=suite,
        seed=seed,
        max_tasks=max_tasks,
        tasks=_task_list(tasks),
        output_dir=output,
        cache=cache,
        concurrency=concurrency,
        sampling=sampling or None,
        threshold=threshold,
        backend_options={"base_url": urls if len(urls) > 1 else urls[0]} if urls else None,
        env_kwargs={k_: v for k_, v in (("user_model", user_model), ("judge_model", judge_model)) if v} or None,
        role_sampling=parse_sampling(sampling_opts),
        tool_choice=tool_choice,
        resume=resume,
        overwrite=overwrite,
        ray=ray,
        ray_address=ray_address,
    )
    typer.echo(res.table)
    for role, usage in (res.summary.get("usage") or {}).items():  # endpoint pools, as gem rollout prints them
        if isinstance(usage, dict) and usage.get("endpoints"):
            typer.echo(f"{role} endpoints:\n{endpoint_table(usage['endpoints'])}")
    typer.echo(f"results: {output / 'results.json'}  episodes: {output / 'episodes.jsonl'}")


@train_app.command("check-template")
def check_template_cmd(
    model: str = typer.Argument(
        ..., help="Model id or folder (hf: prefix allowed), or a .gguf file; only its tokenizer is loaded."
    ),
    env: str = typer.Option("gem/photo-framing-v0", "--env", help="Environment whose task is replayed."),
    task: str | None = typer.Option(None, "--task", help="Task id (default: the first with a tool call)."),
    template: str | None = typer.Option(
        None, "--template", help="Check this template instead: qwen3, chatml-hermes, smollm2 or a .jinja file."
    ),
) -> None:
    """Do GRPO's training tokens equal the re-rendered conversation? Prints the verdict and where they differ."""
    from .templates import check_template, known_template, load_tokenizer

    report = check_template(
        load_tokenizer(model), env_id=env, task_id=task, chat_template=known_template(template) if template else None
    )
    for line in report.lines():
        typer.echo(line)
    if not report.trainable:
        raise typer.Exit(1)


def _task_list(tasks: str | None) -> list[str] | None:
    return [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None


def register(app: typer.Typer) -> None:
    """Add the ``train`` group (sft, synthesizer, grpo) and the ``eval`` command to ``app``."""
    app.add_typer(train_app, name="train")
    app.command("eval")(eval_cmd)
