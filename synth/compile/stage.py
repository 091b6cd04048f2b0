"""``CompileStage``: the compile step as a pipeline stage (a thin wrapper around ``compile_item``).

It records the teacher's calls in the item's ledger, keeps the result in ``ctx.stats["compile"]``
(the row's ``meta.extra["compile"]``), and with ``require`` drops an item that did not compile.
"""

from __future__ import annotations

from typing import Any

from tools_registry.records import Trajectory

from ..records import EnvSpec
from ..schemas import response_format
from ..stage import ItemContext, StageDrop
from .driver import CompileResult, compile_item, compile_prompts

__all__ = ["CompileStage"]


class _Ledgered:
    """Forwards ``chat`` to a backend and books every reply in the item's ledger."""

    def __init__(self, backend: Any, ctx: ItemContext):
        self.backend, self.ctx = backend, ctx

    async def chat(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        reply = await self.backend.chat(messages, **kwargs)
        led = self.ctx.ledger
        led.calls += 1
        led.cached += int(reply.cached)
        led.prompt_tokens += reply.usage.prompt_tokens
        led.completion_tokens += reply.usage.completion_tokens
        led.seconds += reply.latency_s
        led.by_stage["compile"] = led.by_stage.get("compile", 0) + 1
        return reply


class CompileStage:
    """Compile, verify, repair and certify one item's tools.

    Args:
        backend: The teacher.
        repair_rounds: Extra teacher calls after a failed check.
        require: Drop items that stay uncompiled (``--require-compiled``).
        sampling: Teacher sampling.
        prompts_dir: A folder overriding the bundled prompts.
        structured: Send the reply's JSON Schema as ``response_format``.
    """

    name = "compile"

    def __init__(self, backend: Any, *, repair_rounds: int = 2, require: bool = False,
                 sampling: dict[str, Any] | None = None, prompts_dir: str | None = None, structured: bool = True):
        self.backend = backend
        self.repair_rounds = repair_rounds
        self.require = require
        self.sampling = dict(sampling or {})
        self.prompts_dir = prompts_dir
        self.structured = structured

    async def run(self, ctx: ItemContext, traj: Trajectory, env: EnvSpec | None,
                  expected_final_state: dict[str, Any] | None = None) -> CompileResult:
        if env is None:
            result = CompileResult(reason="no_state", details=["the item has no state (refinement was off)"])
        else:
            if expected_final_state is None:
                expected_final_state = ctx.replay_state
            result = await compile_item(_Ledgered(self.backend, ctx), traj, env.state_schema, env.initial_state,
                                        expected_final_state=expected_final_state, repair_rounds=self.repair_rounds,
                                        sampling=self.sampling, prompts_dir=self.prompts_dir,
                                        response_format=response_format("compile") if self.structured else None)
            ctx.prompts["compile"] = compile_prompts(self.prompts_dir)[0].version
        ctx.stats["compile"] = result.to_meta(env.initial_state if env is not None else {})
        if self.require and not result.compiled:
            raise StageDrop(self.name, result.reason or "uncompiled", result.details)
        return result
