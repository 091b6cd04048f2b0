"""Rewards: composable parts scored at the end of an episode, each reported in ``info``.

A :class:`Reward` scores an :class:`EpisodeOutcome` (the task, the conversation, the calls that
ran, the final state) into a :class:`RewardResult`: a value, one number per part and details.
Parts: :class:`StateMatch` (final state equals the task's expected one, compared canonically:
key order and the order of lists do not matter), :class:`ActionMatch` (every gold write action
was performed: name plus the chosen arguments), :class:`Communicated` (every fact to communicate
appears, case-insensitively, in an assistant message) and :class:`JudgeRubric` (an LLM grades
the conversation against the task's rubric). :class:`TaskReward` composes them: the reward is
the product of the parts the task's ``criteria.reward_basis`` names (binary by default), and
every part that can be scored is reported. Any object implementing ``Reward`` can be passed as
``ToolUseEnv(reward=...)`` (e.g. a benchmark's own checker).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from tools_registry.errors import ConfigError, GemError
from tools_registry.reference import canonical_state, expected_final_state, state_patch

from .role_sampling import role_sampling
from .tool_backends import EpisodeSetup

__all__ = [
    "ActionMatch",
    "Communicated",
    "EpisodeOutcome",
    "ExecutedCall",
    "JudgeRubric",
    "Reward",
    "RewardResult",
    "StateMatch",
    "TaskReward",
]


class ExecutedCall(NamedTuple):
    """A call the environment ran: name, arguments, and whether it succeeded."""

    name: str
    arguments: dict[str, Any]
    ok: bool


class EpisodeOutcome:
    """What a reward sees at the end of an episode.

    The final state is given as a dict (``final_state``) or as JSON bytes (``final_state_json``,
    what a backend serialises cheaply; parsed on first use of ``final_state``).
    """

    __slots__ = ("setup", "messages", "calls", "final_state_json", "_final_state")

    def __init__(
        self,
        setup: EpisodeSetup,
        messages: list[dict[str, Any]],
        calls: list[ExecutedCall],
        final_state: dict[str, Any] | None = None,
        *,
        final_state_json: bytes | None = None,
    ):
        if (final_state is None) == (final_state_json is None):
            raise TypeError("EpisodeOutcome needs exactly one of final_state and final_state_json")
        self.setup, self.messages, self.calls = setup, messages, calls
        self.final_state_json = final_state_json
        self._final_state = final_state

    @property
    def final_state(self) -> dict[str, Any]:
        """The state the episode ended in, as a JSON dict."""
        if self._final_state is None:
            self._final_state = orjson.loads(self.final_state_json or b"{}")
        return self._final_state


@dataclass
class RewardResult:
    """A score: ``value`` (the reward), ``parts`` (name -> number) and ``details`` (why)."""

    value: float
    parts: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_info(self) -> dict[str, Any]:
        """The ``info["reward_breakdown"]`` dict: ``{"reward", <part>: value, ..., "details"}``."""
        return {"reward": self.value, **self.parts, "details": self.details}


class Reward(ABC):
    """Scores a finished episode."""

    name: str = "reward"

    @abstractmethod
    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """The episode's reward."""

    async def ascore(self, outcome: EpisodeOutcome) -> RewardResult:
        """Async twin of :meth:`score` (runs it directly by default)."""
        return self.score(outcome)


_EXPECTED: dict[int, tuple[Any, ...]] = {}  # id(task) -> (task, initial, expected, canonical, expected JSON)


def expected_state(setup: EpisodeSetup) -> tuple[Any, Any]:
    """``(expected final state or None, its canonical form)`` of a setup, computed once per task."""
    hit = _EXPECTED.get(id(setup.task))
    if hit is None or hit[0] is not setup.task or hit[1] is not setup.initial_state:
        import jsonpatch
        import jsonpointer

        try:
            expected = expected_final_state(setup.initial_state, setup.task.criteria)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise ConfigError(
                f"task {setup.task.id!r} of domain {setup.domain.name!r}: criteria.final_state does not apply "
                f"to the initial state: {exc}"
            ) from None
        if len(_EXPECTED) > 4096:
            _EXPECTED.clear()
        hit = _EXPECTED[id(setup.task)] = (
            setup.task,
            setup.initial_state,
            expected,
            canonical_state(expected) if expected is not None else None,
            orjson.dumps(expected) if expected is not None else None,
        )
    return hit[2], hit[3]


def _expected_json(setup: EpisodeSetup) -> bytes | None:
    expected_state(setup)
    return _EXPECTED[id(setup.task)][4]


class StateMatch(Reward):
    """1.0 when the final state equals the expected one (canonically); no expectation = 1.0."""

    name = "state"

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Compare the final state with the expected one."""
        expected, canonical = expected_state(outcome.setup)
        if expected is None:
            return RewardResult(1.0, {"state": 1.0}, {"state": "not checked"})
        if outcome.final_state_json is not None and outcome.final_state_json == _expected_json(outcome.setup):
            return RewardResult(1.0, {"state": 1.0})  # the same bytes: no need to parse them
        final = outcome.final_state
        if final == expected or canonical == canonical_state(final):
            return RewardResult(1.0, {"state": 1.0})
        diff = state_patch(expected, final)[:3]  # the same on every run and process
        return RewardResult(0.0, {"state": 0.0}, {"state_diff": diff})


def _same(a: Any, b: Any) -> bool:
    return a == b or canonical_state(a) == canonical_state(b)


class ActionMatch(Reward):
    """1.0 when every gold action was performed successfully (name plus compared arguments)."""

    name = "actions"

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Check that every gold action was performed successfully."""
        done = [c for c in outcome.calls if c.ok]
        missing = []
        for gold in outcome.setup.task.criteria.actions:
            keys = gold.compare_args if gold.compare_args is not None else list(gold.arguments)
            if not any(
                c.name == gold.name
                and all(k in c.arguments and _same(c.arguments[k], gold.arguments.get(k)) for k in keys)
                for c in done
            ):
                missing.append({"name": gold.name, "arguments": gold.arguments})
        value = 0.0 if missing else 1.0
        return RewardResult(value, {"actions": value}, {"missing_actions": missing} if missing else {})


class Communicated(Reward):
    """1.0 when every fact in ``criteria.communicate`` appears in an assistant message (any case)."""

    name = "communicate"

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Check that every fact to communicate was said by the assistant."""
        said = "\n".join(
            m["content"] for m in outcome.messages if m.get("role") == "assistant" and isinstance(m.get("content"), str)
        ).lower()
        missing = [f for f in outcome.setup.task.criteria.communicate if f.lower() not in said]
        value = 0.0 if missing else 1.0
        return RewardResult(value, {"communicate": value}, {"missing_facts": missing} if missing else {})


class JudgeRubric(Reward):
    """An LLM judge grades the conversation against ``criteria.rubric`` (prompt template ``judge``).

    1.0 when every item is met. No rubric = 1.0. An unusable verdict after ``retries`` = 0.0 with
    the reason in details.

    Args:
        backend: An ``LLMBackend`` (or a model string).
        sampling: Sampling for the judge (defaults: ``ROLE_DEFAULTS["judge"]``, then the backend's
            ``default_sampling``; see :mod:`gem_env.role_sampling`).
    """

    name = "judge"

    def __init__(
        self, backend: Any, *, sampling: dict[str, Any] | None = None, retries: int = 2, prompts_dir: str | None = None
    ):
        if isinstance(backend, str):
            from gem_env.llm import make_backend

            backend = make_backend(backend)
        self.backend = backend
        self.sampling = role_sampling("judge", backend, sampling)
        self.retries = retries
        self.prompts_dir = prompts_dir

    def prompt(self, outcome: EpisodeOutcome) -> str:
        """The judge prompt for the episode: the policy, the rubric and the conversation."""
        from .prompts import fill, load_prompt

        lines = []
        for m in outcome.messages:
            if m.get("role") == "system":
                continue
            if m.get("tool_calls"):
                calls = "; ".join(
                    f"{c['function']['name']}({orjson.dumps(c['function']['arguments']).decode()})"
                    for c in m["tool_calls"]
                )
                lines.append(f"assistant calls: {calls}")
            if m.get("content"):
                lines.append(f"{m['role']}: {m['content']}")
        rubric = "\n".join(f"{i}. {r}" for i, r in enumerate(outcome.setup.task.criteria.rubric, 1))
        return fill(
            load_prompt("judge", self.prompts_dir),
            policy=outcome.setup.policy or "(none)",
            conversation="\n".join(lines),
            rubric=rubric,
        )

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Judge the episode (runs :meth:`ascore` to completion)."""
        from ._sync import run_sync

        return run_sync(self.ascore(outcome))

    async def ascore(self, outcome: EpisodeOutcome) -> RewardResult:
        """Ask the judge model whether the episode meets the task's rubric."""
        rubric = outcome.setup.task.criteria.rubric
        if not rubric:
            return RewardResult(1.0, {"judge": 1.0}, {"judge": "no rubric"})
        messages = [{"role": "user", "content": self.prompt(outcome)}]
        problem = ""
        for _ in range(self.retries + 1):
            try:
                reply = await self.backend.chat(
                    messages, response_format={"type": "json_object"}, caller="judge", **self.sampling
                )
                verdict = reply.json()
                items: Any = verdict["items"] if isinstance(verdict, dict) else None  # None: a TypeError below
                met = {int(it["item"]): bool(it["met"]) for it in items}
            except (GemError, KeyError, TypeError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            unmet = [i for i in range(1, len(rubric) + 1) if not met.get(i, False)]
            value = 0.0 if unmet else 1.0
            return RewardResult(
                value, {"judge": value}, {"judge_unmet": [rubric[i - 1] for i in unmet]} if unmet else {}
            )
        return RewardResult(0.0, {"judge": 0.0}, {"judge_error": problem})


class TaskReward(Reward):
    """The default reward: the product of the parts named by the task's ``reward_basis``.

    Args:
        judge: A :class:`JudgeRubric` (needed only by tasks whose basis names ``judge``).
        basis: Override the tasks' ``reward_basis`` (e.g. ``["state"]``).
        parts: Extra or replacement parts by name (a Reward each).
        report_all: Also score and report the cheap parts outside the basis.
    """

    name = "task"

    def __init__(
        self,
        *,
        judge: JudgeRubric | None = None,
        basis: list[str] | None = None,
        parts: dict[str, Reward] | None = None,
        report_all: bool = True,
    ):
        self.parts: dict[str, Reward] = {"state": StateMatch(), "actions": ActionMatch(), "communicate": Communicated()}
        if judge is not None:
            self.parts["judge"] = judge
        self.parts.update(parts or {})
        self.basis = basis
        self.report_all = report_all

    def _plan(self, outcome: EpisodeOutcome) -> tuple[list[str], list[str]]:
        basis = list(self.basis if self.basis is not None else outcome.setup.task.criteria.reward_basis)
        for name in basis:
            if name not in self.parts:
                raise ConfigError(
                    f"reward part '{name}' (task '{outcome.setup.task.id}') has no scorer; "
                    f"pass TaskReward(judge=JudgeRubric(model)) or parts={{'{name}': ...}}"
                )
        extra: list[str] = [
            n for n in ("state", "actions", "communicate") if self.report_all and n not in basis and n in self.parts
        ]
        return basis, extra

    @staticmethod
    def _combine(basis: list[str], results: dict[str, RewardResult]) -> RewardResult:
        value = 1.0
        parts: dict[str, float] = {}
        details: dict[str, Any] = {}
        for res in results.values():
            parts.update(res.parts)
            details.update(res.details)
        for name in basis:
            value *= results[name].value
        details["basis"] = list(basis)
        return RewardResult(float(value), parts, details)

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Score every part and combine them: the product of the basis parts."""
        basis, extra = self._plan(outcome)
        return self._combine(basis, {n: self.parts[n].score(outcome) for n in [*basis, *extra]})

    async def ascore(self, outcome: EpisodeOutcome) -> RewardResult:
        """Score every part (awaiting async ones) and combine them: the product of the basis parts."""
        basis, extra = self._plan(outcome)
        return self._combine(basis, {n: await self.parts[n].ascore(outcome) for n in [*basis, *extra]})
