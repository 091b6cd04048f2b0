"""The sandbox's limits and errors: what a compiled tool program may use, and how a breach is reported.

A program is JSON data run by the interpreter in ``lang.py``; it can reach nothing but the JSON
values it is given (the call's arguments and the domain state). These limits bound what it can
spend: work units (steps, elements scanned, nodes built), the size of values it builds, of strings,
of numbers, of its output and of what it adds to the state. A breach raises
:class:`ProgramLimitError` (a ``ToolError``: the agent sees a tool message); a program that
cannot be compiled raises :class:`ProgramCompileError` with every problem found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools_registry.errors import ConfigError, ToolError

__all__ = ["DEFAULT_LIMITS", "Limits", "ProgramCompileError", "ProgramError", "ProgramLimitError", "measure"]


@dataclass(frozen=True)
class Limits:
    """Bounds on one program and one call (defaults suit tools over states up to a few MB).

    Attributes:
        max_program_bytes: Size of one tool's program as compact JSON.
        max_depth: Nesting depth of a program's JSON (bounds the interpreter's recursion).
        max_steps: Steps in one program, counted over every branch.
        max_work: Work units per call: one per step or operator, one per element scanned, one
            per node of every value measured (bound variables, outputs, writes).
        max_string: Characters in a string the program builds (interpolation, ``$concat``).
        max_number: Magnitude of a number the program computes (no big-int bombs).
        max_output_bytes: Size of a call's output (its tool message).
        max_write_bytes: Bytes one call may add to the state (values it writes, as JSON).
        max_query_chars: Length of one JMESPath query.
    """

    max_program_bytes: int = 65_536
    max_depth: int = 24
    max_steps: int = 256
    max_work: int = 200_000
    max_string: int = 20_000
    max_number: float = 2.0**53
    max_output_bytes: int = 65_536
    max_write_bytes: int = 262_144
    max_query_chars: int = 400


DEFAULT_LIMITS = Limits()


class ProgramError(ToolError):
    """A program's own failure (a ``check`` that fails, a record not found): the agent sees the message."""


class ProgramLimitError(ProgramError):
    """A program broke a sandbox limit; the call fails and leaves the state unchanged."""


class ProgramCompileError(ConfigError):
    """A program cannot be compiled; ``problems`` lists every reason (they go back to the teacher)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:5]) or "invalid program")


def measure(value: Any, budget: int) -> int:
    """Nodes in ``value`` (strings count one per 64 characters), walked iteratively.

    Shared sub-values count every time they appear, so a value built by doubling a reference
    counts its full expanded size. Raises ProgramLimitError once the count passes ``budget``.
    """
    t = type(value)
    if t is not dict and t is not list:
        return 1 + (len(value) >> 6 if t is str else 0)
    count = 0
    stack = [value]
    while stack:
        v = stack.pop()
        items = v.values() if type(v) is dict else v
        count += 1 + len(v)
        for x in items:
            tx = type(x)
            if tx is dict or tx is list:
                stack.append(x)
            elif tx is str and len(x) > 63:
                count += len(x) >> 6
        if count > budget:
            raise ProgramLimitError("program limit: the values it builds are too large (work budget spent)")
    return count
