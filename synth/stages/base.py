"""What every stage shares: the ``Stage`` interface, the LLM stage base and the one teacher JSON call.

A stage is an object with a ``name`` and an async ``run(item)`` that fills its part of a
``SynthItem`` or raises ``StageDrop(stage, reason, details)``; the driver records the drop.
Backend errors (after the backend's own retries) propagate: the item stays unfinished and a
``--resume`` run retries it, so a transient outage never drops a row.
"""

from __future__ import annotations

from typing import Any

from tools_registry.errors import ParseError

from ..item import StageDrop, SynthItem
from ..prompts import Prompt, load_prompt
from ..schemas import response_format

__all__ = ["LLMStage", "Stage", "StageDrop", "ask_json", "first_rule", "raise_problems"]


def first_rule(problems: list[str]) -> str:
    """The rule name of the first problem (``'[grammar] ...'`` -> ``'grammar'``), else ``'check'``."""
    p = problems[0]
    return p[1 : p.index("]")] if p.startswith("[") and "]" in p else "check"


def raise_problems(stage: str, problems: list[str]) -> None:
    """Raise ``StageDrop(stage, 'rule:<first rule>', problems)`` when there are problems."""
    if problems:
        raise StageDrop(stage, f"rule:{first_rule(problems)}", problems)


class Stage:
    """One step of the pipeline: ``await stage.run(item)`` fills ``item`` or raises StageDrop."""

    name = "stage"

    async def run(self, item: SynthItem) -> None:
        """Process ``item`` in place.

        Raises:
            StageDrop: The item is dropped at this stage.
        """
        raise NotImplementedError


async def ask_json(
    backend: Any,
    prompt: Prompt,
    values: dict[str, Any],
    item: SynthItem,
    *,
    stage: str,
    sampling: dict[str, Any] | None = None,
    structured: bool = True,
) -> dict[str, Any]:
    """One LLM call of ``stage``; its reply parsed as a JSON object (cost and repairs recorded on ``item``).

    ``structured`` sends the stage's JSON Schema as ``response_format`` (``schemas.py``), else
    ``{"type": "json_object"}``.

    Raises:
        StageDrop: ``(stage, "parse")`` when the reply is not a JSON object even after repair.
    """
    messages = prompt.fill(**values)
    rec = item.records
    rec.prompts[stage] = prompt.version
    reply = await backend.chat(
        messages,
        response_format=response_format(stage) if structured else {"type": "json_object"},
        caller=f"stage:{stage}",
        **(sampling or {}),
    )
    led = rec.ledger
    led.calls += 1
    led.cached += int(reply.cached)
    led.prompt_tokens += reply.usage.prompt_tokens
    led.completion_tokens += reply.usage.completion_tokens
    led.seconds += reply.latency_s
    led.by_stage[stage] = led.by_stage.get(stage, 0) + 1
    if reply.finish_reason == "length":
        rec.add_repairs(stage, ["reply was cut off at max_tokens"])
    try:
        value = reply.json()
    except ParseError as exc:
        rec.add_repairs(stage, list(reply.repairs))
        raise StageDrop(stage, "parse", [str(exc)]) from None
    rec.add_repairs(stage, list(reply.repairs))
    if not isinstance(value, dict):
        raise StageDrop(stage, "parse", [f"expected a JSON object, got {type(value).__name__}"])
    return value


class LLMStage(Stage):
    """A stage that asks a model: a prompt template (by name), a backend, sampling.

    Subclasses write ``values(item)`` (the template's fill), ``parse`` and ``check``, and a ``run``
    that calls ``await self.ask(item)``.
    """

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
        self.prompt = load_prompt(self.prompt_name, prompts_dir=prompts_dir)

    def values(self, item: SynthItem) -> dict[str, Any]:
        """The template's placeholder values for ``item``."""
        raise NotImplementedError

    async def ask(self, item: SynthItem) -> dict[str, Any]:
        """The model's JSON reply to this stage's prompt for ``item``."""
        return await ask_json(
            self.backend,
            self.prompt,
            self.values(item),
            item,
            stage=self.name,
            sampling=self.sampling,
            structured=self.structured,
        )
