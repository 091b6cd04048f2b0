"""The compile stage: the teacher writes a program per tool, verified, repaired and certified.

A thin wrapper around ``synth.compile.compile_item``: it books the teacher's calls in the item's
ledger, verifies against the consistency replay's final state when the replay ran
(``SynthItem.replay_state``), and puts the result on ``SynthItem.compiled`` (the row's
``SynthMeta.compile``). An item that stays uncompiled is kept as it is, or dropped with
``require`` (``--require-compiled``).
"""

from __future__ import annotations

from typing import Any

from ..compile.driver import compile_item, compile_prompts
from ..item import SynthItem
from ..records import CompileRecord, Ledger
from ..schemas import response_format
from .base import Stage, StageDrop

__all__ = ["Compiler"]


class _Ledgered:
    """Forwards ``chat`` to a backend and books every reply in a ledger under 'compile'."""

    def __init__(self, backend: Any, ledger: Ledger):
        self.backend, self.ledger = backend, ledger

    async def chat(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        reply = await self.backend.chat(messages, **kwargs)
        led = self.ledger
        led.calls += 1
        led.cached += int(reply.cached)
        led.prompt_tokens += reply.usage.prompt_tokens
        led.completion_tokens += reply.usage.completion_tokens
        led.seconds += reply.latency_s
        led.by_stage["compile"] = led.by_stage.get("compile", 0) + 1
        return reply


class Compiler(Stage):
    """Compile, verify, repair and certify one item's tools (see docs/compile.md).

    Args:
        backend: The teacher.
        repair_rounds: Extra teacher calls after a failed check.
        require: Drop items that stay uncompiled.
        sampling: Teacher sampling.
        prompts_dir: A folder overriding the bundled prompts.
        structured: Send the reply's JSON Schema as ``response_format``.
    """

    name = "compile"

    def __init__(
        self,
        backend: Any,
        *,
        repair_rounds: int = 2,
        require: bool = False,
        sampling: dict[str, Any] | None = None,
        prompts_dir: str | None = None,
        structured: bool = True,
    ):
        self.backend = backend
        self.repair_rounds = repair_rounds
        self.require = require
        self.sampling = dict(sampling or {})
        self.prompts_dir = prompts_dir
        self.structured = structured

    async def run(self, item: SynthItem) -> None:
        """Compile the item's tools into verified programs (``item.compiled``); drop an uncompiled item if required."""
        traj, env = item.trajectory, item.env
        assert traj is not None, "compile runs on a validated trajectory"
        if env is None:
            item.compiled = CompileRecord(reason="no_state", details=["the item has no state (refinement was off)"])
        else:
            result = await compile_item(
                _Ledgered(self.backend, item.records.ledger),
                traj,
                env.state_schema,
                env.initial_state,
                expected_final_state=item.replay_state,
                repair_rounds=self.repair_rounds,
                sampling=self.sampling,
                prompts_dir=self.prompts_dir,
                response_format=response_format(self.name) if self.structured else None,
            )
            item.records.prompts[self.name] = compile_prompts(self.prompts_dir)[0].version
            item.compiled = result.record(env.initial_state)
        if self.require and not item.compiled.compiled:
            raise StageDrop(self.name, item.compiled.reason or "uncompiled", item.compiled.details)
