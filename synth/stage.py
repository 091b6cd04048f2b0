"""What every LLM stage shares: the item context (ledger, repairs), one ``ask`` helper, and StageDrop.

A stage raises ``StageDrop(stage, reason, details)`` to remove an item; the driver records it.
Backend errors (after the backend's own retries) propagate: the item stays unfinished and a
``--resume`` run retries it, so a transient outage never drops a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools_registry.errors import ParseError

from .prompts import Prompt, load_prompt
from .records import Ledger, Segment
from .schemas import response_format

__all__ = ["ItemContext", "StageBase", "StageDrop", "ask_json"]


class StageDrop(Exception):
    """An item is dropped by a stage; ``reason`` is a short code, ``details`` every problem found."""

    def __init__(self, stage: str, reason: str, details: list[str] | None = None):
        self.stage = stage
        self.reason = reason
        self.details = list(details or [])
        super().__init__(f"{stage}: {reason}: {'; '.join(self.details)[:300]}")


@dataclass
class ItemContext:
    """Per-item state carried through the stages."""

    segment: Segment
    ledger: Ledger = field(default_factory=Ledger)
    repairs: list[str] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)
    replay_state: dict[str, Any] | None = None  # the state-consistency replay's final state, when it ran

    def add_repairs(self, stage: str, repairs: list[str]) -> None:
        self.repairs.extend(f"{stage}: {r}" for r in repairs if f"{stage}: {r}" not in self.repairs)


async def ask_json(
    backend: Any,
    prompt: Prompt,
    values: dict[str, Any],
    ctx: ItemContext,
    *,
    stage: str,
    sampling: dict[str, Any] | None = None,
    structured: bool = True,
) -> Any:
    """One LLM call of ``stage``; its reply parsed as JSON (repairs recorded on ``ctx``).

    ``structured`` sends the stage's JSON Schema as ``response_format`` (``schemas.py``), else
    ``{"type": "json_object"}``.

    Raises StageDrop(stage, "parse") when the reply is not JSON even after repair.
    """
    messages = prompt.fill(**values)
    ctx.prompts[stage] = prompt.version
    reply = await backend.chat(
        messages,
        response_format=response_format(stage) if structured else {"type": "json_object"},
        caller=f"stage:{stage}",
        **(sampling or {}),
    )
    led = ctx.ledger
    led.calls += 1
    led.cached += int(reply.cached)
    led.prompt_tokens += reply.usage.prompt_tokens
    led.completion_tokens += reply.usage.completion_tokens
    led.seconds += reply.latency_s
    led.by_stage[stage] = led.by_stage.get(stage, 0) + 1
    if reply.finish_reason == "length":
        ctx.add_repairs(stage, ["reply was cut off at max_tokens"])
    try:
        value = reply.json()
    except ParseError as exc:
        ctx.add_repairs(stage, list(reply.repairs))
        raise StageDrop(stage, "parse", [str(exc)]) from None
    ctx.add_repairs(stage, list(reply.repairs))
    if not isinstance(value, dict):
        raise StageDrop(stage, "parse", [f"expected a JSON object, got {type(value).__name__}"])
    return value


class StageBase:
    """A stage: a prompt template (by name), a backend, sampling; subclasses add ``run``, ``parse``, ``check``."""

    name = "stage"
    prompt_name = "stage"

    def __init__(
        self,
        backend: Any,
        *,
        sampling: dict[str, Any] | None = None,
        prompts_dir: str | None = None,
        structured: bool = True,
    ):
        self.backend = backend
        self.structured = structured
        self.sampling = dict(sampling or {})
        self.prompt = load_prompt(self.prompt_name, directory=prompts_dir)
