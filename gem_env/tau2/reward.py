"""The tau2 reward: tau2's own ``evaluate_simulation`` on the episode, every part reported.

The gem conversation (plus the user's own tool calls in telecom) becomes tau2 messages; tau2's
verdict on them combines the checks the task's ``reward_basis`` names: DB, ENV_ASSERTION,
COMMUNICATE, ACTION. By default it comes from :func:`~gem_env.tau2.evaluation.evaluate_episode`
(the episode's own environment as the predicted one, the gold DB hashes computed once per task);
``exact=True`` builds a ``SimulationRun`` and runs tau2's ``evaluate_simulation`` itself, which
replays the conversation on fresh environments (through the cheap-copy constructor registered in
tau2's registry as ``gem-<domain>``).
NL_ASSERTION: tau2 judges them with its own litellm model; here they are judged by gem's judge
backend with tau2's prompt (``tau2_nl_assertions``) when a judge is given, otherwise reported as
``"not scored"`` - and a task whose reward_basis needs them then gets reward 0, never a silent pass.
When tau2's evaluator raises (an assertion about a record the agent never created), the reward is
0.0 with the error in ``details["evaluator_error"]``, as tau2's ``run_tasks`` scores a failed sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from tools_registry.errors import GemError

from ..rewards import EpisodeOutcome, Reward, RewardResult
from ._tau2 import require_tau2
from .backend import Tau2ToolBackend, history_messages
from .data import registry_name
from .evaluation import evaluate_episode

__all__ = ["Tau2Reward", "to_tau2_messages"]


def to_tau2_messages(
    messages: list[dict[str, Any]], user_calls: Sequence[Any] = (), history: Sequence[Any] = ()
) -> list[Any]:
    """tau2 messages for a gem conversation.

    The system message is dropped; a task's message history (tau2 objects) is kept as is; calls
    whose arguments could not be read never ran and are left out with their tool messages; the
    simulated user's tool calls are put back before the user message they preceded. The objects
    are built without validation (``model_construct``: the fields are already of tau2's types, and
    validating every message was a quarter of the reward's time); their timestamps are set as
    tau2 sets them.
    """
    t2 = require_tau2()
    out: list[Any] = []
    skip: set[str] = set()
    by_at: dict[int, list[Any]] = {}
    for uc in user_calls:
        by_at.setdefault(uc.at, []).append(uc)
    n_hist = len(history)
    for i, m in enumerate(messages):
        for uc in by_at.pop(i, ()):
            out.append(
                t2.UserMessage.model_construct(
                    role="user",
                    content=None,
                    tool_calls=[
                        t2.ToolCall.model_construct(id=uc.id, name=uc.name, arguments=uc.arguments, requestor="user")
                    ],
                )
            )
            out.append(
                t2.ToolMessage.model_construct(
                    id=uc.id, role="tool", content=uc.content, requestor="user", error=uc.error
                )
            )
        role = m.get("role")
        if role == "system":
            continue
        if n_hist and i <= n_hist:  # messages[1 : n_hist + 1] are the task's history
            out.append(history[i - 1])
            continue
        if role == "assistant":
            calls = []
            for c in m.get("tool_calls") or ():
                fn = c["function"]
                if isinstance(fn.get("arguments"), dict):
                    calls.append(
                        t2.ToolCall.model_construct(
                            id=c["id"], name=fn["name"], arguments=fn["arguments"], requestor="assistant"
                        )
                    )
                else:
                    skip.add(c["id"])
            content = m.get("content")
            if calls or content:
                out.append(
                    t2.AssistantMessage.model_construct(
                        role="assistant", content=content or None, tool_calls=calls or None
                    )
                )
        elif role == "tool":
            if m.get("tool_call_id") not in skip:
                content = m.get("content")
                out.append(
                    t2.ToolMessage.model_construct(
                        id=m.get("tool_call_id") or "",
                        role="tool",
                        content=content,
                        requestor="assistant",
                        error=isinstance(content, str) and content.startswith("Error:"),
                    )
                )
        elif role == "user":
            out.append(t2.UserMessage.model_construct(role="user", content=m.get("content") or ""))
    for at in sorted(by_at):  # user calls after the last message (the user stopped right after them)
        for uc in by_at[at]:
            out.append(
                t2.UserMessage.model_construct(
                    role="user",
                    content=None,
                    tool_calls=[
                        t2.ToolCall.model_construct(id=uc.id, name=uc.name, arguments=uc.arguments, requestor="user")
                    ],
                )
            )
            out.append(
                t2.ToolMessage.model_construct(
                    id=uc.id, role="tool", content=uc.content, requestor="user", error=uc.error
                )
            )
    return out


def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


class Tau2Reward(Reward):
    """tau2's evaluator as a gem reward (see the module doc).

    Args:
        backend: The environment's tau2 backend (tasks, user-side calls, domain).
        termination: Returns tau2's termination reason for the finished episode.
        judge: An LLM backend (or model string) for NL assertions, or None.
        exact: Run tau2's ``evaluate_simulation`` itself (two fresh environments, the conversation
            replayed) instead of :func:`~gem_env.tau2.evaluation.evaluate_episode` (the episode's
            own environment, the gold DB hashes computed once per task): same rewards, slower.
    """

    name = "tau2"

    def __init__(
        self, backend: Tau2ToolBackend, termination: Callable[[], str], judge: Any = None, exact: bool = False
    ):
        self.backend = backend
        self.termination = termination
        self.exact = exact
        if isinstance(judge, str):
            from ..llm import make_backend

            judge = make_backend(judge)
        self.judge = judge

    def _evaluate(self, outcome: EpisodeOutcome) -> tuple[Any, Any, list[Any]]:
        t2 = require_tau2()
        task = self.backend.tasks[outcome.setup.task.id]
        msgs = to_tau2_messages(outcome.messages, self.backend.user_calls, history_messages(task))
        crit = task.evaluation_criteria
        eval_task = task
        if crit is not None and t2.RewardType.NL_ASSERTION in crit.reward_basis:
            basis = [b for b in crit.reward_basis if b != t2.RewardType.NL_ASSERTION]
            eval_task = task.model_copy(update={"evaluation_criteria": crit.model_copy(update={"reward_basis": basis})})
        termination = t2.TerminationReason(self.termination())
        if not self.exact and self.backend.env is not None:
            info = evaluate_episode(t2, self.backend.store, eval_task, msgs, termination, self.backend.env)
            return task, info, msgs
        sim = t2.SimulationRun(
            id=f"gem-{task.id}",
            task_id=str(task.id),
            start_time="",
            end_time="",
            duration=0.0,
            termination_reason=termination,
            messages=msgs,
        )
        info = t2.evaluate_simulation(
            sim, eval_task, t2.EvaluationType.ALL, solo_mode=False, domain=registry_name(self.backend.store.domain)
        )
        return task, info, msgs

    def _needs_judge(self, outcome: EpisodeOutcome) -> bool:
        crit = self.backend.tasks[outcome.setup.task.id].evaluation_criteria
        return self.judge is not None and crit is not None and bool(crit.nl_assertions)

    def score(self, outcome: EpisodeOutcome) -> RewardResult:
        """Score with tau2's evaluator (runs :meth:`ascore` when NL assertions need the judge)."""
        if self._needs_judge(outcome):
            from .._sync import run_sync

            return run_sync(self.ascore(outcome))
        result, _ = self._parts(outcome)
        return result

    async def ascore(self, outcome: EpisodeOutcome) -> RewardResult:
        """Score with tau2's evaluator, judging NL assertions with the judge model."""
        result, pending = self._parts(outcome)
        if pending is not None:  # judge the NL assertions (the only awaited part)
            msgs, assertions, needs_nl = pending
            nl, checks = await self._judge(msgs, assertions)
            result.parts["nl_assertion"] = nl
            result.details["nl_assertions"] = checks
            if needs_nl:
                result.value *= nl
        return result

    def _parts(self, outcome: EpisodeOutcome) -> tuple[RewardResult, Any]:
        """tau2's verdict as a RewardResult, and what the judge still has to do (or None)."""
        try:
            task, info, msgs = self._evaluate(outcome)
        except Exception as exc:  # tau2's evaluator failed (e.g. an assertion on a record never created):
            # tau2's run_tasks scores such a sample 0.0; report why instead of ending the rollout
            return RewardResult(
                0.0,
                {},
                {"evaluator_error": f"{type(exc).__name__}: {exc}", "termination_reason": _value(self.termination())},
            ), None
        crit = task.evaluation_criteria
        basis = [_value(b) for b in crit.reward_basis] if crit is not None else []
        parts: dict[str, float] = {}
        details: dict[str, Any] = {
            "reward_basis": basis,
            "termination_reason": _value(self.termination()),
            "tau2_reward_breakdown": {_value(k): v for k, v in (info.reward_breakdown or {}).items()},
        }
        if info.db_check is not None:
            parts["db"] = float(info.db_check.db_reward)
        if info.env_assertions is not None:
            parts["env_assertion"] = float(all(c.met for c in info.env_assertions))
            details["env_assertions"] = [{"func": c.env_assertion.func_name, "met": c.met} for c in info.env_assertions]
        if info.action_checks is not None:
            parts["action"] = float(all(c.action_match for c in info.action_checks))
            details["action_checks"] = [{"name": c.action.name, "match": c.action_match} for c in info.action_checks]
        if info.communicate_checks is not None:
            parts["communicate"] = float(all(c.met for c in info.communicate_checks))
            details["communicate_checks"] = [{"info": c.info, "met": c.met} for c in info.communicate_checks]
        if info.info:
            details["info"] = info.info
        value = float(info.reward)
        assertions = list(crit.nl_assertions or []) if crit is not None else []
        needs_nl = "NL_ASSERTION" in basis
        pending = None
        if assertions and self.judge is not None:
            pending = (msgs, assertions, needs_nl)
        elif assertions:
            details["nl_assertions"] = "not scored"
            if needs_nl:
                value = 0.0
                details["note"] = "NL_ASSERTION is in the reward basis but no judge model was given"
        elif needs_nl:
            parts["nl_assertion"] = 1.0
        return RewardResult(value, parts, details), pending

    async def _judge(self, msgs: list[Any], assertions: list[str]) -> tuple[float, list[dict[str, Any]]]:
        from ..prompts import fill, load_prompt

        conversation = "\n".join(f"{m.role}: {m.content}" for m in msgs)
        prompt = fill(load_prompt("tau2_nl_assertions"), conversation=conversation, assertions=str(assertions))
        try:
            reply = await self.judge.chat(
                [{"role": "user", "content": prompt}],
                caller="judge",
                response_format={"type": "json_object"},
                temperature=0.0,
            )
            results = orjson.loads(reply.content or "{}").get("results", [])
            checks = [
                {
                    "nl_assertion": r["expectedOutcome"],
                    "met": bool(r["metExpectation"]),
                    "justification": r.get("reasoning"),
                }
                for r in results
            ]
        except (GemError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            return 0.0, [{"error": f"unusable judge verdict: {type(exc).__name__}: {exc}"}]
        return (1.0 if checks and all(c["met"] for c in checks) else 0.0), checks
