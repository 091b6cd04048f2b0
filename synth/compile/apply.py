"""``apply_compiled``: a compile result put on an exported domain and its tasks.

Its own module so that ``synth.export`` uses it without importing the compile driver (which
builds domains with ``synth.export``).
"""

from __future__ import annotations

from tools_registry.records import Domain, Task

from ..records import CompileRecord

__all__ = ["apply_compiled"]


def apply_compiled(domain: Domain, tasks: list[Task], record: CompileRecord | None) -> tuple[Domain, list[Task]]:
    """Put a compile result on a domain and its tasks.

    The domain gets the programs and certificate, and the expected final state joins every task's
    reward basis. An uncompiled (or absent) result leaves both as they are.
    """
    if record is None or not record.compiled:
        return domain, tasks
    domain = domain.model_copy(update={"programs": record.programs, "certificate": record.certificate})
    patch = list(record.final_patch or [])
    out = []
    for t in tasks:
        basis = ["state", *[b for b in t.criteria.reward_basis if b != "state"]]
        crit = t.criteria.model_copy(update={"final_state": patch, "reward_basis": basis})
        out.append(t.model_copy(update={"criteria": crit}))
    return domain, out
