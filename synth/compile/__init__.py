"""The compile step of synthesis: teacher-written tool programs, verified, repaired and certified.

``compile_item`` runs the step for one item (the ``compile`` stage, ``synth.stages.compile``, wraps it);
``certify_domain`` re-runs a domain folder's certificate; ``apply_compiled`` puts a result on the
exported domain. The program language, sandbox, backend and certificate live in
``gem_env.compiled``.
"""

from __future__ import annotations

from gem_env.compiled.certify import certify_domain

from .driver import CompileResult, apply_compiled, check_programs, compile_item, compiled_domain

__all__ = ["CompileResult", "apply_compiled", "certify_domain", "check_programs", "compile_item", "compiled_domain"]
