"""Validation: the final rule checks and the state-consistency replay (the judge is ``judge.py``).

Order is cheapest first, so a trajectory the rules reject costs no judge call. Each failing
check raises StageDrop with its stage name ('rules', 'consistency').
"""

from __future__ import annotations

from collections.abc import Callable

from tools_registry.records import Trajectory

from ..consistency import Oracle, replay_state, state_problems
from ..item import SynthItem
from ..records import EnvSpec
from ..rules import trajectory_problems
from .base import Stage, StageDrop, raise_problems

__all__ = ["Consistency", "Rules"]


class Rules(Stage):
    """The turn grammar and the other deterministic rules on the final trajectory."""

    name = "rules"

    async def run(self, item: SynthItem) -> None:
        """Drop a trajectory that breaks the structural rules."""
        assert item.trajectory is not None, "validation runs on a trajectory"
        raise_problems(self.name, trajectory_problems(item.trajectory, refined=item.refined))


class Consistency(Stage):
    """Tool outputs agree with the env state (when the item has an env spec), then the optional replay.

    When the replay runs and passes, its final state is kept on ``item.replay_state`` (what the
    compile stage verifies programs against).

    Args:
        oracle: Optional ``(traj, env) -> Oracle`` factory for the replay check (see
            ``consistency.replay_problems``; ``consistency.simulated_oracle`` plays tools with an LLM).
    """

    name = "consistency"

    def __init__(self, oracle: Callable[[Trajectory, EnvSpec], Oracle] | None = None):
        self.oracle = oracle

    async def run(self, item: SynthItem) -> None:
        """Check tool outputs against the env state, then replay with the oracle if any; drop on problems."""
        traj, env = item.trajectory, item.env
        if env is None or traj is None:
            return
        problems = state_problems(traj, env.initial_state)
        if self.oracle is not None and not problems:
            problems, final = await replay_state(traj, env.initial_state, self.oracle(traj, env))
            item.replay_state = None if problems else final
        if problems:
            raise StageDrop(
                self.name,
                "state_contradiction" if problems[0].startswith("[state]") else "replay",
                problems,
            )
