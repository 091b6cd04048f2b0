"""The one record that carries an item through the synth stages, and the typed metadata of a kept row.

``SynthItem`` starts with a Segment; each stage fills its part (tags, blueprint, trajectory,
patterns, env spec, verdict, replay state, compile result) and adds to the stage records (calls,
tokens, repairs, prompt versions, sizes). A stage that removes the item raises ``StageDrop``; the driver turns the item
into a Drop or, when every stage passed, a row whose ``meta.extra`` is a ``SynthMeta``. A new stage
adds its field here and to ``SynthMeta``, and its object to the stage list of ``synth.stages``
(the compile stage is the example: ``compiled`` here, ``compile`` on the row).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import Field, field_validator

from tools_registry.records import Record, Trajectory, TrajectoryStats

from .records import Blueprint, CompileRecord, Drop, EnvSpec, Ledger, Segment, Tags, Verdict

__all__ = ["TAG_KEYS", "RowTags", "StageDrop", "StageRecords", "SynthItem", "SynthMeta"]

#: The tags a kept row carries (``multi_step`` is true for every kept row, so it is left out).
TAG_KEYS = ("summary", "domain", "platform", "task")


class StageDrop(Exception):
    """An item is dropped by a stage; ``reason`` is a short code, ``details`` every problem found."""

    def __init__(self, stage: str, reason: str, details: list[str] | None = None):
        self.stage = stage
        self.reason = reason
        self.details = list(details or [])
        super().__init__(f"{stage}: {reason}: {'; '.join(self.details)[:300]}")


class StageRecords(Record):
    """What the stages spent and did on one item: cost, repairs, prompt versions, sizes."""

    ledger: Ledger = Field(default_factory=Ledger, description="LLM calls, tokens and seconds.")
    repairs: list[str] = Field(default_factory=list, description="'<stage>: <repair>' lines, each once.")
    prompts: dict[str, str] = Field(default_factory=dict, description="Prompt version per stage.")
    sizes: dict[str, TrajectoryStats] = Field(
        default_factory=dict, description="Size figures per trajectory seen ('generated', 'refined')."
    )

    def add_repairs(self, stage: str, repairs: list[str]) -> None:
        """Record ``repairs`` of ``stage`` (a repeat of a recorded line is not added again)."""
        self.repairs.extend(f"{stage}: {r}" for r in repairs if f"{stage}: {r}" not in self.repairs)


class SynthItem(Record):
    """One item on its way through the stages; each stage reads what earlier ones filled."""

    segment: Segment = Field(description="The source text segment.")
    tags: Tags | None = Field(default=None, description="Selection's tags (or the synthesizer's).")
    blueprint: Blueprint | None = Field(default=None, description="Extraction's workflows and tools.")
    trajectory: Trajectory | None = Field(default=None, description="The conversation, latest version.")
    patterns: list[Any] | None = Field(default=None, description="Pattern annotations of the trajectory.")
    before_refine: TrajectoryStats | None = Field(
        default=None, description="Sizes of the generated trajectory (before refinement)."
    )
    refined: bool = Field(default=False, description="The trajectory is a refinement's (or the synthesizer's).")
    env: EnvSpec | None = Field(default=None, description="State schema and initial state (refinement).")
    verdict: Verdict | None = Field(default=None, description="The judge's verdict.")
    replay_state: dict[str, Any] | None = Field(
        default=None, description="The state-consistency replay's final state, when the replay ran."
    )
    compiled: CompileRecord | None = Field(default=None, description="The compile step's result, when it ran.")
    records: StageRecords = Field(default_factory=StageRecords, description="Cost, repairs, prompts, sizes.")
    drop: Drop | None = Field(default=None, description="Why the item was removed, once a stage removed it.")

    def tag_dict(self) -> dict[str, Any]:
        """The tags as a plain dict of the labels the stage set (what a Drop records)."""
        return self.tags.model_dump(exclude_unset=True) if self.tags is not None else {}

    def size_dict(self) -> dict[str, Any]:
        """Size figures and verdict as a Drop records them."""
        out: dict[str, Any] = {k: v.model_dump() for k, v in self.records.sizes.items()}
        if self.verdict is not None:
            out["verdict"] = self.verdict.model_dump()
        return out

    def dropped(self, exc: StageDrop, mode: str) -> Drop:
        """Set and return the Drop for ``exc`` (details capped at 50 lines)."""
        self.drop = Drop(
            id=self.segment.id,
            stage=exc.stage,
            reason=exc.reason,
            details=exc.details[:50],
            repairs=self.records.repairs,
            tags=self.tag_dict(),
            stats=self.size_dict(),
            ledger=self.records.ledger,
            mode=mode,
        )
        return self.drop


class RowTags(Record):
    """The tags a kept row carries (every kept row is multi-step)."""

    summary: str | None = Field(default=None, description="One sentence on the procedure.")
    domain: str | None = Field(default=None, description="Domain label.")
    platform: str | None = Field(default=None, description="Platform label.")
    task: str | None = Field(default=None, description="Task label.")

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else str(value)


class SynthMeta(Record):
    """The synth metadata of a kept row (its ``meta.extra``), written once by the driver.

    Rows written before the env spec was stored as objects hold ``state_schema`` and
    ``initial_state`` as JSON text; :meth:`of` reads both.
    """

    tags: RowTags = Field(default_factory=lambda: RowTags(), description="summary, domain, platform, task.")
    before_refine: TrajectoryStats | None = Field(default=None, description="Sizes before refinement.")
    patterns: list[dict[str, Any]] = Field(default_factory=list, description="Pattern annotations.")
    env: EnvSpec | None = Field(default=None, description="State schema and initial state, when refined.")
    ledger: Ledger = Field(default_factory=Ledger, description="Cost of the item.")
    repairs: list[str] = Field(default_factory=list, description="Repairs made while parsing replies.")
    mode: str = Field(default="pipeline", description="'pipeline' or 'synthesizer'.")
    verdict: Verdict | None = Field(default=None, description="The judge's verdict, when a judge ran.")
    compile: CompileRecord | None = Field(
        default=None, description="Programs, certificate, reason and repair rounds, when the compile step ran."
    )
    source_text: str | None = Field(default=None, description="The source segment's text.")
    write_tools: list[str] = Field(default_factory=list, description="Names of the tools that write state.")
    warnings: list[str] = Field(default_factory=list, description="Policy quantities the source never states.")

    @field_validator("patterns", mode="before")
    @classmethod
    def _pattern_dicts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [p if isinstance(p, dict) else {"pattern": str(p)} for p in value]
        return [] if value is None else value

    @field_validator("env", mode="before")
    @classmethod
    def _env_from_text(cls, value: Any) -> Any:
        if isinstance(value, dict):  # the old row format: each field a JSON text
            return {k: orjson.loads(v) if isinstance(v, (str, bytes)) else v for k, v in value.items()}
        return value

    @classmethod
    def read(cls, extra: dict[str, Any]) -> SynthMeta:
        """The synth metadata in a row's ``meta.extra`` (any row format this package wrote)."""
        return cls.model_validate({k: v for k, v in extra.items() if k in cls.model_fields})

    @classmethod
    def of(cls, traj: Trajectory) -> SynthMeta:
        """The synth metadata of a loaded row."""
        return cls.read(traj.meta.extra)
