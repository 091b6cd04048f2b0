"""Pydantic records of the pipeline's stage outputs (unknown fields rejected) and of drops.

Segment (input) -> Tags (select) -> Blueprint (extract) -> Trajectory (generate, refine; from
tools_registry) + EnvSpec (refine) -> Verdict (judge). A Drop says which stage removed an item and why.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from tools_registry.records import Record
from tools_registry.specs import ToolSpec

__all__ = [
    "STAGES",
    "Action",
    "Blueprint",
    "CompileRecord",
    "Drop",
    "EnvSpec",
    "Ledger",
    "Segment",
    "Tags",
    "Verdict",
    "Workflow",
]

#: Every stage name in run order (the ``stage`` of a Drop): the corpus-wide steps, then the stages
#: ``synth.stages.build_stages`` lists (``synthesizer`` stands in for select..refine in that mode).
STAGES = (
    "input",
    "dedup",
    "decontam",
    "prefilter",
    "select",
    "extract",
    "generate",
    "refine",
    "synthesizer",
    "rules",
    "consistency",
    "judge",
    "compile",
)


class Segment(Record):
    """One text segment of the input corpus."""

    id: str = Field(description="Unique id: the source row id, plus '#<n>' for the n-th segment of a long text.")
    text: str = Field(description="The segment's text.")
    source: str | None = Field(default=None, description="Where it came from (file or dataset name).")
    hash: str = Field(default="", description="sha256 of the text.")


class Tags(Record):
    """Stage-1 tags of a segment."""

    multi_step: bool = Field(description="Describes a multi-step procedure.")
    summary: str | None = Field(default=None, description="One sentence (only when multi_step).")
    domain: str | None = Field(default=None, description="One of the 26 domain labels.")
    platform: str | None = Field(default=None, description="operator | computer | phone | machine | other.")
    task: str | None = Field(default=None, description="One of the 38 task labels.")


class Action(Record):
    """One example call of a workflow."""

    name: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Example arguments.")


class Workflow(Record):
    """One workflow of a blueprint: what it achieves, its steps, execution graph and example calls."""

    description: str = Field(description="What the workflow achieves.")
    steps: list[str] = Field(description="'Step 1: ...' lines.")
    execution_graph: str = Field(default="", description="e.g. (login)->(search)->(a, b).")
    actions: list[Action] = Field(default_factory=list, description="Concrete example calls.")


class Blueprint(Record):
    """Stage-2 output: workflows and the tools they need."""

    workflows: list[Workflow] = Field(description="One or more workflows.")
    tools: list[ToolSpec] = Field(description="Tools (MCP inputSchema normalised to parameters).")


class EnvSpec(Record):
    """What makes a trajectory executable: the database schema and its initial state (Stage 4)."""

    state_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"}, description="JSON Schema.")
    initial_state: dict[str, Any] = Field(default_factory=dict, description="The database before the conversation.")


class Verdict(Record):
    """The judge's strict answer."""

    R1: Literal[0, 1] = Field(description="No tool-call hallucination.")
    R2: Literal[0, 1] = Field(description="No capability hallucination.")
    R3: Literal[0, 1] = Field(description="No context hallucination.")

    @property
    def passed(self) -> bool:
        """True when the judge gave 1 on all of R1, R2 and R3."""
        return self.R1 == self.R2 == self.R3 == 1


class Ledger(Record):
    """Cost of one item: LLM calls, tokens and seconds (summed over its calls)."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    by_stage: dict[str, int] = Field(default_factory=dict, description="Calls per stage.")


class Drop(Record):
    """An item removed by a stage, with the reason (one line per rule broken)."""

    id: str = Field(description="Segment id.")
    stage: str = Field(description="Stage that dropped it (see STAGES).")
    reason: str = Field(description="Short reason code, e.g. 'not_multi_step', 'parse', 'rule:grammar'.")
    details: list[str] = Field(default_factory=list, description="Every problem found.")
    repairs: list[str] = Field(default_factory=list, description="Repairs made while parsing replies.")
    tags: dict[str, Any] = Field(default_factory=dict, description="Tags, when selection ran.")
    stats: dict[str, Any] = Field(default_factory=dict, description="Size figures of trajectories seen.")
    ledger: Ledger = Field(default_factory=Ledger, description="Cost spent on the item.")
    mode: str = Field(default="pipeline", description="'pipeline' or 'synthesizer'.")


class CompileRecord(Record):
    """What the compile step made of one item (``synth.compile``): its programs, certificate, or why not.

    Reasons are the codes of ``synth.compile.driver`` (``no_state``, ``parse``, ``missing``,
    ``compile``, ``read_only_write``, ``output``, ``final_state``, ``state_schema``,
    ``certificate:<check>``).
    """

    status: Literal["compiled", "uncompiled"] = Field(default="uncompiled", description="The outcome.")
    reason: str | None = Field(default=None, description="Why the item stayed uncompiled (None when compiled).")
    details: list[str] = Field(default_factory=list, description="The last failed check's problems (20 at most).")
    programs: dict[str, Any] | None = Field(
        default=None, description="The program set (gem-program/v1), the last one tried when uncompiled."
    )
    final_patch: list[dict[str, Any]] | None = Field(
        default=None, description="The verified final state as a JSON Patch of the initial state."
    )
    certificate: dict[str, Any] | None = Field(
        default=None, description="The certificate (``gem_env.compiled.certify``), when verification passed."
    )
    rounds: int = Field(default=0, description="Repair rounds used (0: the first reply was final).")
    calls: int = Field(default=0, description="Teacher calls made.")

    @property
    def compiled(self) -> bool:
        """True when the compile step succeeded (``status == "compiled"``)."""
        return self.status == "compiled"

    @property
    def certified(self) -> bool:
        """True when there is a certificate and it passed."""
        return bool(self.certificate and self.certificate.get("passed"))
