"""The compile step: a teacher writes a program per tool; the programs are verified, repaired, certified.

The programs are verified by replaying the reference and repaired with the diff.
``compile_item`` is the whole step for one item.

Failure reasons (``CompileResult.reason``): ``no_state`` (the item has no database), ``parse``
(the reply holds no ``programs`` object), ``missing`` (a tool has no program), ``compile`` (a
program breaks the language or its limits), ``read_only_write`` (a read-only tool writes),
``output`` / ``final_state`` / ``state_schema`` (the replay disagrees with the reference), and
``certificate:<check>`` (verified, but a certificate check failed). Every reason but ``no_state``
goes back to the teacher with its details for up to ``repair_rounds`` more tries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from gem_env.compiled import ProgramCompileError, ProgramSet
from gem_env.compiled.program import PROGRAM_FORMAT
from gem_env.compiled.verify import Verification, verify_reference
from tools_registry.errors import ParseError
from tools_registry.records import Domain, Task, Trajectory
from tools_registry.reference import state_patch

from ..convert import compact_messages
from ..records import CompileRecord
from .apply import apply_compiled

__all__ = ["CompileResult", "apply_compiled", "check_programs", "compile_item", "compile_prompts", "compiled_domain"]


@dataclass
class CompileResult:
    """What the compile step made of one item (its :meth:`record` is the row's ``SynthMeta.compile``)."""

    status: str = "uncompiled"
    reason: str | None = None
    details: list[str] = field(default_factory=list)
    programs: dict[str, Any] | None = None
    final_state: dict[str, Any] | None = None
    certificate: dict[str, Any] | None = None
    rounds: int = 0
    calls: int = 0
    seconds: float = 0.0

    @property
    def compiled(self) -> bool:
        """True when the programs were verified (``status == "compiled"``)."""
        return self.status == "compiled"

    def record(self, initial_state: dict[str, Any]) -> CompileRecord:
        """The typed record kept with the row (the final state as a patch of ``initial_state``)."""
        final = state_patch(initial_state, self.final_state) if self.final_state is not None else None
        return CompileRecord(
            status="compiled" if self.compiled else "uncompiled",
            reason=self.reason,
            details=self.details[:20],
            programs=self.programs,
            final_patch=final,
            certificate=self.certificate,
            rounds=self.rounds,
            calls=self.calls,
        )


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _system(traj: Trajectory) -> str:
    return traj.messages[0].content or "" if traj.messages and traj.messages[0].role == "system" else ""


def compiled_domain(
    traj: Trajectory,
    state_schema: dict[str, Any],
    initial_state: dict[str, Any],
    programs: dict[str, Any],
    final_state: dict[str, Any],
    certificate: dict[str, Any] | None = None,
    name: str | None = None,
) -> tuple[Domain, list[Task]]:
    """The domain and task of a trajectory (as ``synth.export`` writes them) with its programs applied."""
    from synth.export import trajectory_to_domain

    domain, tasks = trajectory_to_domain(traj, name)
    domain = domain.model_copy(update={"state_schema": state_schema, "initial_state": initial_state})
    return apply_compiled(
        domain,
        tasks,
        CompileRecord(
            status="compiled",
            programs=programs,
            certificate=certificate,
            final_patch=state_patch(initial_state, final_state),
        ),
    )


def _programs(data: Any, tools: list[str]) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    progs = data.get("programs") if isinstance(data, dict) else None
    if not isinstance(progs, dict):
        return None, "parse", ['the reply must be {"programs": {"<tool>": {"steps": [...], "return": ...}}}']
    missing = [t for t in tools if t not in progs]
    if missing:
        return None, "missing", [f"no program for tool(s): {', '.join(missing)}"]
    return {"format": PROGRAM_FORMAT, "tools": {t: progs[t] for t in tools}}, None, []


def check_programs(
    data: dict[str, Any],
    traj: Trajectory,
    state_schema: dict[str, Any],
    initial_state: dict[str, Any],
    expected_final_state: dict[str, Any] | None,
) -> tuple[ProgramSet | None, Verification | None, str | None, list[str]]:
    """Compile and verify programs: ``(programs, verification, reason, details)``; reason None = passed."""
    try:
        ps = ProgramSet(data)
    except ProgramCompileError as exc:
        return None, None, "compile", exc.problems
    read_only = {t.name for t in traj.tools if not t.mutates}
    writers = [n for n in read_only if n in ps.programs and ps.programs[n].writes]
    if writers:
        return ps, None, "read_only_write", [f"'{n}' is read-only but its program writes" for n in writers]
    ver = verify_reference(
        ps,
        traj.messages,
        initial_state,
        expected_final_state=expected_final_state,
        read_only=read_only,
        state_schema=state_schema,
    )
    return ps, ver, ver.reason, ver.problems


async def compile_item(
    backend: Any,
    traj: Trajectory,
    state_schema: dict[str, Any],
    initial_state: dict[str, Any],
    *,
    expected_final_state: dict[str, Any] | None = None,
    repair_rounds: int = 2,
    certify: bool = True,
    sampling: dict[str, Any] | None = None,
    prompts_dir: str | None = None,
    random_episodes: int = 4,
    response_format: dict[str, Any] | None = None,
) -> CompileResult:
    """Ask ``backend`` for programs, verify, repair up to ``repair_rounds`` times, certify.

    Args:
        backend: The teacher (an ``LLMBackend``).
        traj: The refined, validated trajectory (its tools, policy and reference conversation).
        state_schema: Refinement's state schema.
        initial_state: Refinement's initial state.
        expected_final_state: The state-consistency replay's final state, when it ran.
        repair_rounds: Extra teacher calls with the diff after a failed check.
        certify: Run the certificate (oracle 1, random 0, do-nothing 0, mutated gold 0).
        sampling: Sampling options for the teacher.
        prompts_dir: A folder overriding the bundled prompt templates.
        random_episodes: Episodes of the random agent in the certificate.
        response_format: Sent with every teacher call (default ``{"type": "json_object"}``).
    """
    started = time.perf_counter()
    result = CompileResult()
    if not initial_state:
        result.reason, result.details = "no_state", ["the item has no initial state to compile programs over"]
        return result
    tools = [t.name for t in traj.tools]
    prompt, repair = compile_prompts(prompts_dir)

    messages: list[dict[str, Any]] = prompt.fill(
        tools=_dumps([t.to_mcp() | {"mutates": t.mutates} for t in traj.tools]),
        policy=_system(traj) or "(none)",
        state_schema=_dumps(state_schema),
        initial_state=_dumps(initial_state),
        conversation=_dumps(compact_messages(traj)["messages"]),
    )
    reason: str | None
    for attempt in range(repair_rounds + 1):
        result.rounds = attempt
        reply = await backend.chat(
            messages,
            response_format=response_format or {"type": "json_object"},
            caller="stage:compile",
            **(sampling or {}),
        )
        result.calls += 1
        try:
            data = reply.json()
        except ParseError as exc:
            data, reason, details = None, "parse", [str(exc)]
        else:
            data, reason, details = _programs(data, tools)
        if data is not None:
            ps, ver, reason, details = check_programs(data, traj, state_schema, initial_state, expected_final_state)
            if reason is None and ver is not None:
                result.programs, result.final_state = data, ver.final_state
                if not certify:
                    break
                from gem_env.compiled.certify import certify as run_certificate
                from tools_registry.domains import LoadedDomain

                domain, tasks = compiled_domain(
                    traj, state_schema, initial_state, data, ver.final_state, name="compile-check"
                )
                cert = run_certificate(LoadedDomain(domain, tasks), random_episodes=random_episodes)
                result.certificate = cert
                if cert["passed"]:
                    break
                failed = [n for n, ok in cert["checks"].items() if not ok]
                reason = f"certificate:{failed[0]}"
                details = [
                    f"certificate check '{n}' failed: {orjson.dumps(_detail(cert, n)).decode()[:400]}" for n in failed
                ]
        result.reason, result.details = reason, details
        if attempt < repair_rounds:
            messages = [
                *messages,
                {"role": "assistant", "content": reply.content or ""},
                {
                    "role": "user",
                    "content": repair.fill(problems="\n".join(f"- {d}" for d in details[:12]))[1]["content"],
                },
            ]
    else:  # every attempt failed: the item stays uncompiled (its last programs kept for inspection)
        result.seconds = time.perf_counter() - started
        return result
    result.status, result.reason, result.details = "compiled", None, []
    result.seconds = time.perf_counter() - started
    return result


@lru_cache(maxsize=16)
def compile_prompts(prompts_dir: str | None) -> tuple[Any, Any]:
    """The compile and repair templates (loaded once per folder)."""
    from synth.prompts import load_prompt

    return load_prompt("compile", prompts_dir=prompts_dir), load_prompt("compile_repair", prompts_dir=prompts_dir)


def _detail(cert: dict[str, Any], check: str) -> list[Any]:
    return [r[check] for r in cert.get("tasks", {}).values() if not r[check]["passed"]]
