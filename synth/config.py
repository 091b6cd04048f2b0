"""Run configuration and report of the synth driver, and the backend helpers it uses.

``SynthConfig`` switches stages (the paper's ablations) and sets sampling per role; ``RunReport``
counts a run; ``with_cache`` wraps backends in the reply cache; ``simulator_oracle`` plays tools
with gem_env's simulated tool backend for the replay check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from tools_registry.records import Trajectory

from .records import EnvSpec

__all__ = ["ROLES", "RunReport", "SynthConfig", "simulator_oracle", "with_cache", "package_version"]

#: Model roles: tagger (select), teacher (extract, generate, refine), judge, simulator (replay oracle), synthesizer.
ROLES = ("tagger", "teacher", "judge", "simulator", "synthesizer")


@dataclass
class SynthConfig:
    """What a run does. Sampling dicts go to every call of the role (seed included in cache keys)."""

    concurrency: int = 8
    prefilter: bool = True
    prefilter_threshold: float = 3.0
    dedup: bool = True
    near_dup_threshold: float = 0.8
    refine: bool = True
    judge: bool = True
    consistency: bool = True
    seed: int | None = 0
    teacher_sampling: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.7})
    tagger_sampling: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.0, "max_tokens": 512})
    judge_sampling: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.0, "max_tokens": 64})
    prompts_dir: str | None = None
    mode: str = "pipeline"  # or "synthesizer"
    shard_rows: int = 5000
    structured: bool = True  # send each stage's JSON Schema as response_format (constrained decoding)
    export_domains: bool = True
    compile: bool = True  # the compile step (synth.compile): programs per tool, verified and certified
    require_compiled: bool = False  # drop items that stay uncompiled
    compile_repair_rounds: int = 2

    def sampling(self, role: str) -> dict[str, Any]:
        """Sampling options of ``role`` (the tagger's, the judge's, else the teacher's) plus the run's seed."""
        base = {"tagger": self.tagger_sampling, "judge": self.judge_sampling}.get(role, self.teacher_sampling)
        return {**base, **({"seed": self.seed} if self.seed is not None else {})}


@dataclass
class RunReport:
    """Counts of one run: kept, dropped per stage, errors (left unfinished for a resume), skipped."""

    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    skipped: int = 0
    seen: int = 0
    error_messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict."""
        return asdict(self)


def with_cache(backends: dict[str, Any], path: str | Path, mode: str = "rw") -> dict[str, Any]:
    """Wrap every backend in gem_env's CachedBackend on one SQLite file (what makes resume free)."""
    from gem_env.llm.cache import CachedBackend

    return {
        r: (b if b is None or isinstance(b, CachedBackend) else CachedBackend(b, path, mode))
        for r, b in backends.items()
    }


def simulator_oracle(llm: Any) -> Callable[[Trajectory, EnvSpec], Any]:
    """An oracle factory playing the tools with gem_env's simulated tool backend on ``llm``."""
    from .consistency import simulated_oracle

    return lambda traj, env: simulated_oracle(llm, traj, env.state_schema, env.initial_state)


def package_version() -> str:
    """The installed gem-env version, or ``"unknown"`` when the package is not installed."""
    try:
        from importlib.metadata import version

        return version("gem-env")
    except Exception:  # noqa: BLE001 - not installed: report unknown
        return "unknown"
