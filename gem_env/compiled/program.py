"""Compiled tool programs.

``ProgramSet.compile(data)`` checks and compiles a domain's programs once;
``ToolProgram.run(state, args)`` answers one call, patching the state in place, under the limits.

The one place a program's run is contained: its own failures and every limit breach become a
``ProgramError`` (a ``ToolError``) after the state is rolled back, and any other exception a
program could provoke in the interpreter is translated the same way, so a program can fail a
call but never the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from tools_registry.records import content_hash

from .lang import Compiler, Frame, is_ref
from .limits import DEFAULT_LIMITS, Limits, ProgramCompileError, ProgramError, ProgramLimitError
from .operators import OPERATORS
from .steps import STEPS
from .writes import as_patch, rollback

__all__ = ["PROGRAM_FORMAT", "ProgramSet", "ToolProgram", "programs_hash"]

PROGRAM_FORMAT = "gem-program/v1"


def programs_hash(data: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a domain's programs (what a certificate names)."""
    return content_hash(data)


@dataclass
class ToolProgram:
    """One tool's compiled program.

    Attributes:
        name: The tool.
        source: The program as JSON data.
        reads: Top-level state keys it reads or writes.
        writes: Whether it has any write step.
    """

    name: str
    source: dict[str, Any]
    reads: set[str] = field(default_factory=set)
    writes: bool = False
    limits: Limits = DEFAULT_LIMITS
    _body: Any = None
    _ret: Any = None
    _plain: bool = False

    @classmethod
    def compile(cls, name: str, source: Any, limits: Limits = DEFAULT_LIMITS) -> ToolProgram:
        """Compile one program; ProgramCompileError lists every problem."""
        if not isinstance(source, dict):
            raise ProgramCompileError([f"{name}: a program is an object {{steps, return}}"])
        try:
            size = len(orjson.dumps(source))
        except (orjson.JSONEncodeError, TypeError) as exc:
            raise ProgramCompileError([f"{name}: not JSON data: {exc}"]) from None
        if size > limits.max_program_bytes:
            raise ProgramCompileError([f"{name}: program is {size} bytes (limit {limits.max_program_bytes})"])
        unknown = set(source) - {"steps", "return", "description"}
        comp = Compiler(limits, name, STEPS, OPERATORS)
        if unknown:
            comp.problems.append(f"{name}: unknown keys {sorted(unknown)} (a program has steps and return)")
        try:
            body = comp.block(source.get("steps", []), "steps", 0)
            ret = comp.expr(source["return"], "return", 1) if "return" in source else None
        except RecursionError:
            raise ProgramCompileError([f"{name}: nested too deeply"]) from None
        if comp.problems:
            raise ProgramCompileError(comp.problems)
        return cls(name, source, comp.reads, comp.writes, limits, body, ret, is_ref(ret) or ret is None)

    def run(self, state: dict[str, Any], args: dict[str, Any], patch: bool = True) -> tuple[str, list[dict[str, Any]]]:
        """Run on ``state`` (patched in place; unchanged when the call fails): ``(tool message, patch)``.

        ``patch=False`` skips building the JSON Patch (returns ``[]``): the hot path of an episode.

        Raises:
            ProgramError: The program failed the call or broke a limit (the state is unchanged).
        """
        fr = Frame(state, args, self.limits)
        try:
            r = self._body(fr)
            if r is not None:
                value = r[0]
                plain = len(r) > 1
            else:
                value = self._ret(fr) if self._ret is not None else None
                plain = self._plain
            if not plain:  # a plain read returns a tree already bounded: only built values are measured
                fr.measured(value)
            out = self.output(value)
        except ProgramError:
            rollback(fr)
            raise
        except RecursionError:
            rollback(fr)
            raise ProgramLimitError("program limit: data nested too deeply") from None
        except MemoryError:
            rollback(fr)
            raise ProgramLimitError("program limit: out of memory") from None
        except Exception as exc:  # noqa: BLE001 - the sandbox boundary: nothing a program does may escape
            rollback(fr)
            raise ProgramError(f"the tool failed ({type(exc).__name__})") from None
        return out, as_patch(fr.ops) if patch and fr.ops else []

    def output(self, value: Any) -> str:
        """The tool message text of an output value (strings as they are, else compact JSON), bounded."""
        if isinstance(value, str):
            out = value
        else:
            try:
                out = orjson.dumps(value).decode()
            except (orjson.JSONEncodeError, TypeError):
                raise ProgramLimitError("program limit: output is not JSON (nested too deeply)") from None
        if len(out) > self.limits.max_output_bytes:
            raise ProgramLimitError(f"program limit: output longer than {self.limits.max_output_bytes} bytes")
        return out


class ProgramSet:
    """A domain's programs (``{"format": "gem-program/v1", "tools": {name: program}}``), compiled.

    Args:
        data: The programs as stored in ``domain.json``.
        limits: Sandbox limits.
    """

    def __init__(self, data: dict[str, Any], limits: Limits = DEFAULT_LIMITS):
        if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
            raise ProgramCompileError(["programs must be an object {format, tools: {name: program}}"])
        if data.get("format", PROGRAM_FORMAT) != PROGRAM_FORMAT:
            raise ProgramCompileError([f"unknown program format {data.get('format')!r} (want {PROGRAM_FORMAT})"])
        self.data = data
        self.limits = limits
        self.programs: dict[str, ToolProgram] = {}
        problems: list[str] = []
        for name, src in data["tools"].items():
            try:
                self.programs[name] = ToolProgram.compile(name, src, limits)
            except ProgramCompileError as exc:
                problems += exc.problems
        if problems:
            raise ProgramCompileError(problems)
        self.hash = programs_hash(data)

    def __contains__(self, name: str) -> bool:
        return name in self.programs

    def call(
        self, state: dict[str, Any], name: str, args: dict[str, Any], *, patch: bool = True
    ) -> tuple[str, list[dict[str, Any]]]:
        """Answer one call: ``(tool message text, JSON Patch it applied)``; ProgramError when it fails.

        ``patch=False`` returns ``[]`` for the patch (it is not built).
        """
        prog = self.programs.get(name)
        if prog is None:
            raise ProgramError(f"tool '{name}' has no program")
        return prog.run(state, args, patch)
