"""The project's records: messages, trajectories, tasks and domains (pydantic v2, unknown fields rejected).

Inside hot loops the project passes plain OpenAI-format dicts; these models are the checked edges
(files on disk, pipeline outputs, public APIs). Tool specs live in ``specs.py``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ParseError
from .specs import ToolSpec

__all__ = [
    "Record",
    "FunctionCall",
    "ToolCall",
    "Message",
    "Provenance",
    "TrajectoryStats",
    "TrajectoryMeta",
    "Trajectory",
    "UserScenario",
    "GoldAction",
    "Criteria",
    "Task",
    "Domain",
    "REWARD_PARTS",
    "parse_arguments",
    "content_hash",
]


class Record(BaseModel):
    """Base of every record: unknown fields are an error that names them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def parse_arguments(value: Any) -> dict[str, Any]:
    """Tool-call arguments arrive as a dict or a JSON string (OpenAI wire format); hold them as a dict."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, (str, bytes)):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"tool-call arguments are not valid JSON: {exc}; got {value!r:.200}") from None
        if not isinstance(parsed, dict):
            raise ParseError(f"tool-call arguments must be a JSON object, got {type(parsed).__name__}")
        return parsed
    raise ParseError(f"tool-call arguments must be a dict or a JSON string, got {type(value).__name__}")


def content_hash(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj`` (sorted keys), hex."""
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


class FunctionCall(Record):
    """The function part of a tool call: its name and arguments (a JSON string is parsed)."""

    name: str = Field(description="Name of the tool being called.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Arguments; a JSON string is parsed on input.")

    @field_validator("arguments", mode="before")
    @classmethod
    def _parse(cls, v: Any) -> dict[str, Any]:
        try:
            return parse_arguments(v)
        except ParseError as exc:
            raise ValueError(str(exc)) from None


class ToolCall(Record):
    """One tool call of an assistant message (OpenAI format)."""

    id: str = Field(description="Call id, echoed by the tool message's tool_call_id.")
    type: Literal["function"] = Field(default="function", description="Always 'function'.")
    function: FunctionCall = Field(description="The called function and its arguments.")


class Message(Record):
    """One OpenAI chat message."""

    role: Literal["system", "user", "assistant", "tool"] = Field(description="Who speaks.")
    content: str | None = Field(default=None, description="Text content (may be None for a pure tool call).")
    tool_calls: list[ToolCall] | None = Field(default=None, description="Assistant only: calls made this turn.")
    tool_call_id: str | None = Field(default=None, description="Tool only: id of the call this answers.")
    name: str | None = Field(default=None, description="Tool only: name of the tool that answered (optional).")
    reasoning_content: str | None = Field(default=None, description="Assistant only: reasoning split off the reply.")

    @model_validator(mode="after")
    def _roles(self) -> "Message":
        if self.tool_calls and self.role != "assistant":
            raise ValueError(f"only assistant messages carry tool_calls (role={self.role!r})")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")
        if self.role != "tool" and self.tool_call_id:
            raise ValueError(f"only tool messages carry tool_call_id (role={self.role!r})")
        if self.role in ("system", "user") and self.content is None:
            raise ValueError(f"a {self.role} message needs content")
        return self

    def to_dict(self, *, arguments_as: Literal["dict", "json"] = "dict") -> dict[str, Any]:
        """Plain dict without unset fields; ``arguments_as="json"`` writes arguments as JSON strings (OpenAI export)."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {
                        "name": c.function.name,
                        "arguments": (
                            orjson.dumps(c.function.arguments).decode()
                            if arguments_as == "json"
                            else c.function.arguments
                        ),
                    },
                }
                for c in self.tool_calls
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        if self.reasoning_content is not None:
            out["reasoning_content"] = self.reasoning_content
        return out


class Provenance(Record):
    """Where a trajectory came from: enough to regenerate or audit it."""

    source_id: str | None = Field(default=None, description="Id of the source text segment or task.")
    source_hash: str | None = Field(default=None, description="sha256 of the source text.")
    pipeline: str | None = Field(
        default=None, description="What produced it: 'synth', 'synthesizer', 'rollout', 'manual'."
    )
    prompts: dict[str, str] = Field(default_factory=dict, description="Stage name -> prompt template version/hash.")
    models: dict[str, str] = Field(default_factory=dict, description="Role -> model string.")
    sampling: dict[str, Any] = Field(default_factory=dict, description="Sampling parameters used.")
    seed: int | None = Field(default=None, description="Seed of the run, if any.")
    created_at: str | None = Field(default=None, description="ISO-8601 UTC timestamp.")
    version: str | None = Field(default=None, description="gem-env version that produced it.")


class TrajectoryStats(Record):
    """Size figures of a trajectory."""

    messages: int = Field(default=0, description="Number of messages in the row, system message included.")
    tool_calls: int = Field(default=0, description="Number of tool calls.")
    distinct_tools: int = Field(default=0, description="Number of distinct tools called.")
    user_turns: int = Field(default=0, description="Number of user messages.")


class TrajectoryMeta(Record):
    """A trajectory's metadata: provenance, size figures and free-form tags."""

    provenance: Provenance = Field(default_factory=Provenance, description="Where it came from.")
    stats: TrajectoryStats = Field(default_factory=TrajectoryStats, description="Size figures.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form tags (domain, task, reward, ...).")


class Trajectory(Record):
    """A full conversation with the tools it could use."""

    messages: list[Message] = Field(description="OpenAI chat messages, system first when present.")
    tools: list[ToolSpec] = Field(default_factory=list, description="Tools available in the conversation.")
    meta: TrajectoryMeta = Field(default_factory=TrajectoryMeta, description="Provenance and stats.")

    @field_validator("tools", mode="before")
    @classmethod
    def _tools(cls, v: Any) -> Any:
        # Accept OpenAI-wrapped tools on input.
        if isinstance(v, list):
            return [ToolSpec.from_openai(t) if isinstance(t, dict) and t.get("type") == "function" else t for t in v]
        return v

    def compute_stats(self) -> TrajectoryStats:
        """Size figures of the messages as they are now."""
        calls = [c.function.name for m in self.messages if m.tool_calls for c in m.tool_calls]
        return TrajectoryStats(
            messages=len(self.messages),
            tool_calls=len(calls),
            distinct_tools=len(set(calls)),
            user_turns=sum(1 for m in self.messages if m.role == "user"),
        )

    def with_stats(self) -> "Trajectory":
        """Store fresh size figures in ``meta.stats``; returns self."""
        self.meta.stats = self.compute_stats()
        return self

    def to_row(self) -> dict[str, Any]:
        """Corpus row (TRL SFT columns): messages with dict arguments, tools in OpenAI format, meta."""
        return {
            "messages": [m.to_dict() for m in self.messages],
            "tools": [t.to_openai() for t in self.tools],
            "meta": self.meta.model_dump(mode="json"),
        }

    def to_openai_finetune(self) -> dict[str, Any]:
        """OpenAI fine-tuning JSONL line: arguments as JSON strings, tools wrapped, no meta."""
        return {
            "messages": [m.to_dict(arguments_as="json") for m in self.messages],
            "tools": [t.to_openai() for t in self.tools],
        }


class UserScenario(Record):
    """The user side of a task: an LLM user plays the scenario; a scripted user says ``turns``."""

    instruction: str = Field(description="What the user wants, as told to a user simulator.")
    persona: str | None = Field(default=None, description="How the user speaks and behaves.")
    known_info: str | None = Field(default=None, description="Facts the user knows and may give when asked.")
    unknown_info: str | None = Field(default=None, description="Things the user does not know.")
    turns: list[str] | None = Field(default=None, description="Fixed user turns for a scripted user, in order.")


class GoldAction(Record):
    """A write action the agent must perform."""

    name: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Expected arguments.")
    compare_args: list[str] | None = Field(
        default=None, description="Arguments that must match; None = all given in 'arguments'."
    )


REWARD_PARTS = ("state", "actions", "communicate", "judge")


def _default_reward_basis() -> list[Literal["state", "actions", "communicate", "judge"]]:
    return ["state", "actions", "communicate"]


class Criteria(Record):
    """How an episode is judged."""

    actions: list[GoldAction] = Field(default_factory=list, description="Gold write actions (order-insensitive).")
    final_state: list[dict[str, Any]] | None = Field(
        default=None,
        description="JSON Patch (RFC 6902) from the initial state to the expected final state; "
        "[] = state must be unchanged; None = not checked.",
    )
    communicate: list[str] = Field(default_factory=list, description="Facts the agent must state to the user.")
    rubric: list[str] = Field(default_factory=list, description="Rubric items for an LLM judge.")

    @field_validator("final_state")
    @classmethod
    def _patch_is_well_formed(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """Each operation has a known ``op`` and JSON Pointer paths (whether it applies is checked per state)."""
        if value is not None:
            import jsonpatch
            import jsonpointer

            try:
                jsonpatch.JsonPatch(value)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, AttributeError) as exc:
                raise ValueError(f"not a JSON Patch: {exc}") from None
        return value

    reward_basis: list[Literal["state", "actions", "communicate", "judge"]] = Field(
        default_factory=_default_reward_basis,
        description="Reward parts whose product is the episode reward.",
    )


class Task(Record):
    """One episode's definition."""

    id: str = Field(description="Unique within its domain.")
    domain: str = Field(description="Name of the domain this task belongs to.")
    description: str | None = Field(default=None, description="One-line summary for humans.")
    system_prompt: str | None = Field(default=None, description="Overrides the domain policy as system prompt.")
    tools: list[ToolSpec] | None = Field(
        default=None, description="Overrides the domain's tools (None = domain tools)."
    )
    initial_state: dict[str, Any] | None = Field(default=None, description="Overrides the domain's initial state.")
    user: UserScenario = Field(description="The user scenario.")
    reference: list[Message] = Field(default_factory=list, description="A reference conversation (no system message).")
    criteria: Criteria = Field(default_factory=Criteria, description="How the episode is judged.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Provenance and tags.")


class Domain(Record):
    """A named set of tasks with shared tools, policy and state (``domain.json`` on disk)."""

    name: str = Field(description="Lowercase letters, digits, '-' and '_'; used in 'gem/<name>-v0'.")
    description: str = Field(default="", description="What the domain is.")
    policy: str = Field(default="", description="The rules the agent must follow; the default system prompt.")
    tools: list[ToolSpec] = Field(default_factory=list, description="Tools of the domain.")
    state_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object"}, description="JSON Schema of the state."
    )
    initial_state: dict[str, Any] = Field(
        default_factory=dict, description="The state every task starts from by default."
    )
    version: int = Field(default=0, description="Bumped when the domain's behaviour changes (env id suffix).")
    max_turns: int = Field(default=30, description="Default limit on assistant turns per episode.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Provenance and tags.")
    programs: dict[str, Any] | None = Field(
        default=None,
        description="Compiled tool programs (gem-program/v1 JSON data run in a sandbox); None = the domain has none.",
    )
    certificate: dict[str, Any] | None = Field(
        default=None,
        description="Result of certifying the compiled programs: passed, each check, counts, programs hash.",
    )
