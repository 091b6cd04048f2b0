"""Validation: the final rule checks, the state-consistency replay, then the R1/R2/R3 judge.

Order is cheapest first, so a trajectory the rules reject costs no judge call. Each failing layer
raises StageDrop with its stage name ('rules', 'consistency', 'judge').
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools_registry.records import Trajectory

from .consistency import Oracle, replay_state, state_problems
from .generate import first_rule
from .judge import Judge
from .records import EnvSpec
from .rules import trajectory_problems
from .stage import ItemContext, StageDrop

__all__ = ["Validator"]


class Validator:
    """Rules (always) + consistency (when an env spec exists) + judge (unless disabled).

    Args:
        judge: A Judge stage, or None for the paper's no-judge ablation.
        oracle: Optional ``(traj, env) -> Oracle`` factory for the replay check (see
            ``consistency.replay_problems``; ``consistency.simulated_oracle`` plays tools with an LLM).
    """

    def __init__(
        self,
        judge: Judge | None = None,
        oracle: Callable[[Trajectory, EnvSpec], Oracle] | None = None,
        *,
        consistency: bool = True,
    ):
        self.judge = judge
        self.oracle = oracle
        self.consistency = consistency

    def rule_check(self, traj: Trajectory, *, refined: bool) -> None:
        problems = trajectory_problems(traj, refined=refined)
        if problems:
            raise StageDrop("rules", f"rule:{first_rule(problems)}", problems)

    async def consistency_check(self, traj: Trajectory, env: EnvSpec | None) -> dict[str, Any] | None:
        """Raise StageDrop on a contradiction; return the replay's final state when the replay ran."""
        if not self.consistency or env is None:
            return None
        problems = state_problems(traj, env.initial_state)
        final = None
        if self.oracle is not None and not problems:
            problems, final = await replay_state(traj, env.initial_state, self.oracle(traj, env))
        if problems:
            raise StageDrop(
                "consistency",
                "state_contradiction" if problems[0].startswith("[state]") else "replay",
                problems,
            )
        return final

    async def run(self, ctx: ItemContext, traj: Trajectory, env: EnvSpec | None, *, refined: bool) -> Any:
        self.rule_check(traj, refined=refined)
        ctx.replay_state = await self.consistency_check(traj, env)
        if self.judge is not None:
            return await self.judge.run(ctx, traj)
        return None
