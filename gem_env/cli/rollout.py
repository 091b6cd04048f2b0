"""``gem rollout ENV --agent ... -n N --concurrency C -o out.jsonl``: run episodes, write corpus rows."""

from __future__ import annotations

import asyncio

import time

import typer

__all__ = ["register", "rollout_command"]


def register(app: typer.Typer) -> None:
    """Add the ``rollout`` command to the ``gem`` app."""
    app.command("rollout")(rollout_command)


def rollout_command(
    env: str = typer.Argument(..., help="Env id (gem/<domain>-v0), domain name, or domain folder."),
    agent: str = typer.Option(
        "oracle", "--agent", "-a", help="oracle, random, or a model string (openai:<model>, vllm:<path>, hf:<path>)."
    ),
    n: int = typer.Option(1, "-n", "--episodes", min=1, help="Number of episodes."),
    concurrency: int = typer.Option(16, "--concurrency", "-c", min=1, help="Episodes in flight at once."),
    output: str | None = typer.Option(
        None, "--output", "-o", help="JSONL file for the corpus rows (an existing one needs --resume or --overwrite)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of episode 0 (episode i uses seed + i)."),
    tasks: str | None = typer.Option(
        None, "--tasks", help="'all' (cycle through every task) or comma-separated task ids."
    ),
    tools: str = typer.Option("auto", "--tools", help="Tool backend: auto, compiled, python, replay, simulated."),
    user: str = typer.Option("auto", "--user", help="User: auto, scripted, replay, llm."),
    user_model: str | None = typer.Option(None, "--user-model", help="Model string for the llm user."),
    tool_model: str | None = typer.Option(None, "--tool-model", help="Model string for simulated tools."),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Model string for the rubric judge."),
    base_url: list[str] | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible endpoint for openai: models; "
        "repeat it (or name a file of URLs) for a pool of replicas.",
    ),
    temperature: float | None = typer.Option(None, "--temperature", help="Agent sampling temperature."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Agent max tokens per reply (default 1024)."),
    sampling_opts: list[str] | None = typer.Option(
        None,
        "--sampling",
        help="ROLE.key=value for a model role: agent, user, tools, judge (repeatable), "
        "e.g. user.max_tokens=128 tools.temperature=0.2.",
    ),
    tool_choice: str | None = typer.Option(
        None, "--tool-choice", help="Agent tool_choice on turns with tools: auto, required, none."
    ),
    max_turns: int | None = typer.Option(None, "--max-turns", help="Assistant turns per episode (default: domain's)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    resume: bool = typer.Option(False, "--resume", help="Skip episodes whose rows -o already holds (a killed run)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing -o file."),
    ray: int | None = typer.Option(None, "--ray", min=1, help="Run on N Ray workers, --concurrency episodes each."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="A running Ray cluster to join (with --ray)."),
) -> None:
    """Roll an agent out on a gem environment; print the mean reward."""
    from gem_env.agents import LLMAgent, check_agent_spec, make_agent
    from gem_env.llm.pool import endpoint_table, read_endpoints
    from gem_env.registration import make_env
    from gem_env.role_sampling import parse_sampling
    from gem_env.rollout import arollout, check_output, summarize

    check_agent_spec(agent)
    roles = parse_sampling(sampling_opts)
    if output is not None:
        check_output(output, resume=resume, overwrite=overwrite)
    opened: list = []
    urls = read_endpoints(base_url)
    endpoints = {"base_url": urls if len(urls) > 1 else urls[0]} if urls else {}

    def model(spec: str | None, role: str):
        if spec is None:
            return None
        from gem_env.llm import make_backend

        opts: dict = {"default_sampling": roles[role]} if roles.get(role) and role != "agent" else {}
        if spec.startswith("openai:"):
            opts.update(endpoints)
        backend = make_backend(spec, **opts)
        opened.append((role, backend))
        return backend

    sampling = {
        **roles.get("agent", {}),
        **{k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None},
    }
    if agent in ("oracle", "random"):
        the_agent = make_agent(agent)
    else:
        the_agent = LLMAgent(model(agent, "agent"), sampling=sampling, tool_choice=tool_choice)
    env_kwargs = {
        "tools": tools,
        "user": user,
        "user_model": model(user_model, "user"),
        "tool_model": model(tool_model, "tools"),
        "judge_model": model(judge_model, "judge"),
        "max_turns": max_turns,
    }
    probe = make_env(env, **env_kwargs)
    task_ids = None
    if tasks == "all":
        task_ids = [t.id for t in probe.tasks]
    elif tasks:
        task_ids = [t.strip() for t in tasks.split(",") if t.strip()]
        for t in task_ids:
            probe.loaded.task(t)  # unknown ids fail now, with close matches
    started = time.perf_counter()
    if ray:
        import shutil

        from gem_env.ray_rollout import parts_dir, report, rollout_on_ray

        if overwrite and output is not None:  # parts an interrupted Ray run left go with the output
            shutil.rmtree(parts_dir(output), ignore_errors=True)
        res = rollout_on_ray(
            env,
            agent,
            n,
            num_workers=ray,
            address=ray_address,
            concurrency=concurrency,
            seed=seed,
            task_ids=task_ids,
            output=output,
            resume=resume,
            sampling=sampling,
            env_kwargs={"tools": tools, "user": user, "max_turns": max_turns},
            models={"user_model": user_model, "tool_model": tool_model, "judge_model": judge_model},
            backend_options=endpoints,
            role_sampling=roles,
            tool_choice=tool_choice,
        )
        typer.echo(report(res, summarize(res.records, time.perf_counter() - started), output))
        raise typer.Exit(1 if res.unfinished else 0)

    async def run():
        try:
            return await arollout(
                lambda: make_env(probe.loaded, **env_kwargs),
                the_agent,
                n,
                concurrency=concurrency,
                seed=seed,
                task_ids=task_ids,
                output=output,
                progress=progress,
                resume=resume,
            )
        finally:  # HTTP sessions belong to this event loop: close them in it
            for _, backend in opened:
                await backend.aclose()

    records = asyncio.run(run())
    summary = summarize(records, time.perf_counter() - started)
    skipped = n - len(records)
    typer.echo(
        str(summary)
        + (f"; {skipped} finished earlier, skipped" if skipped else "")
        + (f"; wrote {output}" if output else "")
    )
    for role, backend in opened:  # per-endpoint counts of endpoint pools, as a Ray run reports them
        if hasattr(backend.usage, "endpoints"):
            typer.echo(f"{role} endpoints:\n{endpoint_table(backend.usage.as_dict()['endpoints'])}")
