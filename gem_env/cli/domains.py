"""``gem domains list|show|validate|certify|audit`` and ``gem tools validate|convert``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "domains_app", "tools_app"]

domains_app = typer.Typer(
    help="List, show and validate domains (bundled, GEM_DOMAINS_PATH, or a path).", no_args_is_help=True
)
tools_app = typer.Typer(help="Validate and convert tool definitions (OpenAI, MCP, BFCL).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``domains`` and ``tools`` command groups to ``app``."""
    app.add_typer(domains_app, name="domains")
    app.add_typer(tools_app, name="tools")


def _resolve(target: str, extra: list[str]) -> Path:
    """A path to a domain folder, or the name of a discoverable domain."""
    from tools_registry.domains import find_domain

    p = Path(target)
    if p.exists() or "/" in target or target.startswith("."):
        return p
    return find_domain(target, extra)


@domains_app.command("list")
def list_domains(
    path: list[str] = typer.Option([], "--path", "-p", help="Extra folder(s) to search first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    validate: bool = typer.Option(False, "--validate", help="Validate each domain and show its status."),
) -> None:
    """List every discoverable domain with its tool and task counts."""
    import orjson
    from rich.console import Console
    from rich.table import Table

    from tools_registry.checks import domain_problems
    from tools_registry.domains import discover_domains, load_domain

    rows = []
    for name, folder in sorted(discover_domains(path).items()):
        ld = load_domain(folder, load_tools=validate)
        writes = sum(1 for t in ld.domain.tools if t.mutates)
        row = {
            "name": name,
            "env_id": f"gem/{name}-v{ld.domain.version}",
            "tools": len(ld.domain.tools),
            "write_tools": writes,
            "tasks": len(ld.tasks),
            "python_tools": (folder / "tools.py").is_file(),
            "path": str(folder),
        }
        if validate:
            row["problems"] = len(domain_problems(ld))
        rows.append(row)
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"{len(rows)} domains")
    cols = ["name", "env_id", "tools", "write_tools", "tasks", "python_tools"] + (["problems"] if validate else [])
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[str(r[c]) for c in cols])
    Console().print(table)
    if validate and any(r["problems"] for r in rows):
        raise typer.Exit(1)


@domains_app.command("validate")
def validate_domains(
    targets: list[str] = typer.Argument(..., help="Domain folders or names."),
    path: list[str] = typer.Option([], "--path", "-p", help="Extra folder(s) to search for names."),
    no_replay: bool = typer.Option(False, "--no-replay", help="Skip re-executing reference tool calls."),
) -> None:
    """Validate domains: tools, state schema, tasks, and reference replay. Exit 1 if any problem."""
    from tools_registry.checks import domain_problems
    from tools_registry.domains import load_domain

    bad = 0
    for target in targets:
        ld = load_domain(_resolve(target, path))
        problems = domain_problems(ld, replay=not no_replay)
        if problems:
            bad += 1
            typer.echo(f"{ld.name}: {len(problems)} problem(s)")
            for p in problems:
                typer.echo(f"  - {p}")
        else:
            typer.echo(
                f"{ld.name}: ok ({len(ld.domain.tools)} tools, {len(ld.tasks)} tasks"
                f"{', references replay' if ld.toolkit and not no_replay else ''})"
            )
    if bad:
        raise typer.Exit(1)


@domains_app.command("certify")
def certify_command(
    targets: list[str] = typer.Argument(..., help="Domain folders or names with compiled programs."),
    path: list[str] = typer.Option([], "--path", "-p", help="Extra folder(s) to search for names."),
    write: bool = typer.Option(False, "--write", help="Store the new certificate in domain.json."),
    random_episodes: int = typer.Option(4, "--random-episodes", min=1, help="Episodes of the random agent."),
    as_json: bool = typer.Option(False, "--json", help="Print the certificates as JSON."),
) -> None:
    """Re-run the certificate of compiled domains (oracle 1, random 0, do-nothing 0, mutated gold 0). Exit 1 on failure."""
    import orjson

    from gem_env.compiled.certify import certify_domain
    from tools_registry.domains import load_domain

    bad = 0
    out = {}
    for target in targets:
        ld = load_domain(_resolve(target, path), load_tools=False)
        cert = certify_domain(ld, write=write, random_episodes=random_episodes)
        out[ld.name] = cert
        bad += not cert["passed"]
        if not as_json:
            failed = [n for n, ok in cert["checks"].items() if not ok]
            c = cert["counts"]
            typer.echo(
                f"{ld.name}: {'certified' if cert['passed'] else 'NOT certified'} ({c['tasks']} tasks, "
                f"{c['reference_calls']} reference calls, {c['random_episodes']} random episodes, "
                f"{c['mutants']} mutants){'; failed: ' + ', '.join(failed) if failed else ''}"
            )
            stored = (ld.domain.certificate or {}).get("programs_hash")
            if stored and stored != cert["programs_hash"]:
                typer.echo(
                    f"  the stored certificate names other programs ({stored[:12]} != {cert['programs_hash'][:12]})"
                )
    if as_json:
        typer.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    if bad:
        raise typer.Exit(1)


@domains_app.command("audit")
def audit_command(
    target: str = typer.Argument(..., help="Domain folder or name with compiled programs."),
    model: str = typer.Option(..., "--model", help="Model simulating the tools (openai:..., hf:..., vllm:...)."),
    path: list[str] = typer.Option([], "--path", "-p", help="Extra folder(s) to search for names."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai: models."),
    mutants: bool = typer.Option(
        True, "--mutants/--no-mutants", help="Also audit reference calls with one argument changed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Compare the LLM-simulated tools with the compiled programs: agreement of outputs and states per tool."""
    import asyncio

    import orjson

    from gem_env.compiled.audit import audit_domain, format_audit
    from gem_env.llm import make_backend
    from tools_registry.domains import load_domain

    ld = load_domain(_resolve(target, path), load_tools=False)
    llm = make_backend(model, **({"base_url": base_url} if base_url and model.startswith("openai:") else {}))

    async def run() -> dict:
        try:
            return await audit_domain(ld, llm, mutants=mutants)
        finally:
            await llm.aclose()

    report = asyncio.run(run())
    typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() if as_json else format_audit(report))


@domains_app.command("show")
def show_domain(
    target: str = typer.Argument(..., help="Domain folder or name."),
    path: list[str] = typer.Option([], "--path", "-p", help="Extra folder(s) to search for names."),
) -> None:
    """Show a domain's policy, tools and tasks."""
    from tools_registry.domains import load_domain

    ld = load_domain(_resolve(target, path), load_tools=False)
    d = ld.domain
    typer.echo(f"{d.name} (v{d.version}): {d.description}\n\nPolicy:\n{d.policy}\n\nTools:")
    for t in d.tools:
        typer.echo(f"  {'W' if t.mutates else 'R'} {t.name}: {t.description}")
    typer.echo("\nTasks:")
    for task in ld.tasks:
        typer.echo(f"  {task.id}: {task.description or task.user.instruction[:90]}")


def _read_tools(file: Path) -> list[dict]:
    import orjson

    from tools_registry.errors import ConfigError

    if not file.is_file():
        raise ConfigError(f"no such file: {file}")
    try:
        data = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError:
        try:  # JSON Lines (BFCL's function docs are one object per line)
            data = [orjson.loads(line) for line in file.read_bytes().splitlines() if line.strip()]
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{file}: neither JSON nor JSON Lines: {exc}") from None
    if isinstance(data, dict):
        data = data.get("tools", [data])
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise ConfigError(f"{file}: expected a list of tool objects")
    return data


def _to_specs(tools: list[dict], fmt: str) -> list:
    from collections.abc import Callable
    from typing import Any

    from tools_registry.errors import ConfigError
    from tools_registry.specs import ToolSpec

    if fmt == "auto":
        t0 = tools[0] if tools else {}
        fmt = (
            "mcp"
            if "inputSchema" in t0
            else "openai"
            if "function" in t0 or t0.get("type") == "function"
            else "bfcl"
            if (t0.get("parameters") or {}).get("type") == "dict"
            else "openai"
        )
    converters: dict[str, Callable[[dict[str, Any]], ToolSpec]] = {
        "openai": ToolSpec.from_openai,
        "mcp": ToolSpec.from_mcp,
        "bfcl": ToolSpec.from_bfcl,
    }
    conv = converters.get(fmt)
    if conv is None:
        raise ConfigError(f"unknown format '{fmt}': use openai, mcp, bfcl or auto")
    return [conv(t) for t in tools]


@tools_app.command("validate")
def validate_tools(
    file: Path = typer.Argument(..., help="JSON or JSON Lines file of tool definitions."),
    fmt: str = typer.Option("auto", "--format", "-f", help="openai | mcp | bfcl | auto"),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too (the rules for synthesized tools)."),
) -> None:
    """Check tool definitions against the JSON Schema meta-schema and the GEM Stage-2 rules.

    Errors (the set cannot be used) exit 1; warnings (style rules for synthesized tools: snake_case
    names, descriptions, typed parameters) exit 1 only with --strict.
    """
    from tools_registry.validation import split_problems, tool_problems

    specs = _to_specs(_read_tools(file), fmt)
    errors, warnings = split_problems(tool_problems(specs))
    if errors:
        typer.echo(f"errors ({len(errors)}):")
        for p in errors:
            typer.echo(f"  {p}")
    if warnings:
        typer.echo(f"warnings ({len(warnings)}, style rules for synthesized tools; --strict fails on them):")
        for p in warnings:
            typer.echo(f"  {p}")
    typer.echo(f"{len(specs)} tools, {len(errors)} error(s), {len(warnings)} warning(s)")
    if errors or (strict and warnings):
        raise typer.Exit(1)


@tools_app.command("convert")
def convert_tools(
    file: Path = typer.Argument(..., help="JSON or JSON Lines file of tool definitions."),
    to: str = typer.Option(..., "--to", "-t", help="openai | mcp | bfcl"),
    fmt: str = typer.Option("auto", "--from", help="openai | mcp | bfcl | auto"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
) -> None:
    """Convert tool definitions between OpenAI, MCP and BFCL formats."""
    import orjson

    from tools_registry.errors import ConfigError

    specs = _to_specs(_read_tools(file), fmt)
    method = {"openai": "to_openai", "mcp": "to_mcp", "bfcl": "to_bfcl"}.get(to)
    if method is None:
        raise ConfigError(f"unknown target format '{to}': use openai, mcp or bfcl")
    text = orjson.dumps([getattr(s, method)() for s in specs], option=orjson.OPT_INDENT_2).decode()
    if out:
        out.write_text(text + "\n")
    else:
        typer.echo(text)
