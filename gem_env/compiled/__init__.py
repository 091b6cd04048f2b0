"""Compiled tools: programs a teacher wrote for a synthesized domain, run in a sandbox over its state.

``ProgramSet`` compiles a domain's programs (JSON data in the language of ``lang.py``, limits in
``limits.py``); ``CompiledToolBackend`` answers an episode's calls with them; ``verify`` replays a
reference conversation on them; ``certify`` runs the certificate's agents; ``audit`` compares them
with the LLM-simulated backend. The compile driver that asks a teacher for programs is in ``synth``.
"""

from __future__ import annotations

from .limits import DEFAULT_LIMITS, Limits, ProgramCompileError, ProgramError, ProgramLimitError
from .program import PROGRAM_FORMAT, ProgramSet, ToolProgram, programs_hash

__all__ = [
    "DEFAULT_LIMITS",
    "PROGRAM_FORMAT",
    "Limits",
    "ProgramCompileError",
    "ProgramError",
    "ProgramLimitError",
    "ProgramSet",
    "ToolProgram",
    "programs_hash",
]
