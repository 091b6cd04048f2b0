"""tau2's ``evaluate_simulation`` for a finished gem episode, without redoing per-task work.

tau2's evaluator (``EvaluationType.ALL``) builds two environments per simulation: the *predicted*
one, a fresh environment on which the whole conversation is replayed, and the *gold* one, a fresh
environment on which the task's gold actions are run; it compares their DB hashes, runs the env
assertions on the predicted one, and adds its action and communicate checks. Here:

- the predicted environment is the episode's own environment at the end of the episode: the same
  construction, the same initial state and the same tool calls in the same order (tau2's tools
  are deterministic, and its replay only checks that each call gives the recorded output, which
  the episode's outputs are);
- the gold side depends only on the task, so its DB hashes are computed once per task and process
  (:func:`gold_hashes`), exactly as tau2 computes them (a failing gold action is skipped, as
  tau2's ``EnvironmentEvaluator`` logs it and goes on);
- the action and communicate checks are tau2's own ``ActionEvaluator`` and
  ``CommunicateEvaluator``, and the parts are combined as ``evaluate_simulation`` combines them.

``Tau2Reward(exact=True)`` runs tau2's ``evaluate_simulation`` itself; ``tests/tau2`` checks that
both give the same reward and checks on gold and corrupted conversations of every domain.
"""

from __future__ import annotations

from typing import Any

from .data import DomainStore

__all__ = ["evaluate_episode", "gold_hashes"]

_GOLD: dict[tuple[int, int], tuple[Any, Any, tuple[str | None, str | None]]] = {}


def gold_hashes(store: DomainStore, task: Any) -> tuple[str | None, str | None]:
    """The agent and user DB hashes of the task's gold environment (computed once per task and store)."""
    key = (id(store), id(task))
    hit = _GOLD.get(key)
    if hit is None or hit[0] is not store or hit[1] is not task:
        env = store.new_environment()
        st = task.initial_state
        env.set_state(
            initialization_data=st.initialization_data if st is not None else None,
            initialization_actions=st.initialization_actions if st is not None else None,
            message_history=list(st.message_history or []) if st is not None else [],
        )
        for action in task.evaluation_criteria.actions or []:
            try:
                env.make_tool_call(tool_name=action.name, requestor=action.requestor, **action.arguments)
            except Exception:  # tau2's EnvironmentEvaluator logs a failing gold action and goes on
                pass
        hit = _GOLD[key] = (store, task, (env.get_db_hash(), env.get_user_db_hash()))
    return hit[2]


def _env_reward(t2: Any, store: DomainStore, task: Any, predicted: Any) -> Any:
    """tau2's ``EnvironmentEvaluator.calculate_reward`` with ``predicted`` as the replayed environment."""
    crit = task.evaluation_criteria
    if crit.actions is None and crit.env_assertions is None:
        return t2.RewardInfo(
            reward=1.0,
            db_check=t2.DBCheck(db_match=True, db_reward=1.0),
            info={"note": "No expected actions or env assertions"},
        )
    gold_agent, gold_user = gold_hashes(store, task)
    db_match = gold_agent == predicted.get_db_hash() and gold_user == predicted.get_user_db_hash()
    db_reward = 1.0 if db_match else 0.0
    checks = []
    assertion_reward = 1.0
    for assertion in crit.env_assertions or []:
        met = predicted.run_env_assertion(assertion, raise_assertion_error=False)
        checks.append(t2.EnvAssertionCheck(env_assertion=assertion, met=met, reward=1.0 if met else 0.0))
        assertion_reward *= 1.0 if met else 0.0
    reward = 1.0
    breakdown = {}
    if t2.RewardType.DB in crit.reward_basis:
        breakdown[t2.RewardType.DB] = db_reward
        reward *= db_reward
    if t2.RewardType.ENV_ASSERTION in crit.reward_basis:
        breakdown[t2.RewardType.ENV_ASSERTION] = assertion_reward
        reward *= assertion_reward
    return t2.RewardInfo(
        reward=reward,
        db_check=t2.DBCheck(db_match=db_match, db_reward=db_reward),
        env_assertions=checks,
        reward_basis=crit.reward_basis,
        reward_breakdown=breakdown,
    )


def evaluate_episode(t2: Any, store: DomainStore, task: Any, messages: list[Any], termination: Any, env: Any) -> Any:
    """tau2's ``evaluate_simulation(..., EvaluationType.ALL)`` for an episode that ended in ``env``.

    Args:
        t2: The tau2 namespace (``require_tau2()``).
        store: The domain store the episode's environment was built from.
        task: The tau2 task (its reward basis without NL_ASSERTION: NL assertions are judged apart).
        messages: The episode as tau2 messages (``to_tau2_messages``).
        termination: tau2's termination reason.
        env: The episode's tau2 environment, at the end of the episode.

    Returns:
        tau2's ``RewardInfo``.
    """
    if termination not in (t2.TerminationReason.AGENT_STOP, t2.TerminationReason.USER_STOP):
        value = getattr(termination, "value", termination)
        return t2.RewardInfo(
            reward=0.0,
            reward_basis=None,
            info={"note": f"Simulation terminated prematurely. Termination reason: {value}"},
        )
    crit = task.evaluation_criteria
    if crit is None:
        return t2.RewardInfo(reward=1.0, reward_basis=None, info={"note": "No evaluation criteria"})
    env_info = _env_reward(t2, store, task, env)
    action_info = t2.ActionEvaluator.calculate_reward(task=task, full_trajectory=messages)
    comm_info = t2.CommunicateEvaluator.calculate_reward(task=task, full_trajectory=messages)
    basis = set(crit.reward_basis)
    reward = 1.0
    breakdown: dict[Any, float] = {}
    for info, kinds in (
        (env_info, {t2.RewardType.DB, t2.RewardType.ENV_ASSERTION}),
        (action_info, {t2.RewardType.ACTION}),
        (comm_info, {t2.RewardType.COMMUNICATE}),
    ):
        if basis & kinds:
            breakdown.update(info.reward_breakdown or {})
            reward *= info.reward
    return t2.RewardInfo(
        reward=reward,
        db_check=env_info.db_check,
        env_assertions=env_info.env_assertions,
        action_checks=action_info.action_checks,
        communicate_checks=comm_info.communicate_checks,
        reward_basis=crit.reward_basis,
        reward_breakdown=breakdown,
        info={"env": env_info.info, "nl": None, "communicate": comm_info.info, "action": action_info.info},
    )
