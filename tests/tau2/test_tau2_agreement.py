"""Agreement: simulations run through tau2's own pipeline (Orchestrator, tau2's environment loaded
from file, ``evaluate_simulation``) with a scripted agent - gold and corrupted variants - get the
same reward when gem re-scores them (``gem_env.score``)."""

from __future__ import annotations

import copy

import pytest

from gem_env.score import score_rows
from gem_env.tau2.data import load_tasks
from gem_env.tau2.fidelity import gold_conversation, run_tau2_pipeline, simulation_to_openai

pytestmark = pytest.mark.tau2


def _variants(task) -> dict[str, list[dict]]:
    gold = gold_conversation(task)
    calls = [i for i, m in enumerate(gold) if m.get("tool_calls")]
    out = {
        "gold": gold,
        "no_tool_calls": [m for m in gold if not (m["role"] == "assistant" and m.get("tool_calls"))],
        "no_facts": gold_conversation(task, communicate=False),
    }
    if calls:
        dropped = copy.deepcopy(gold)
        dropped[calls[-1]]["tool_calls"].pop()
        if not dropped[calls[-1]]["tool_calls"]:
            del dropped[calls[-1]]["tool_calls"]
            if dropped[calls[-1]]["role"] == "assistant":
                del dropped[calls[-1]]
        out["drop_last_call"] = dropped
        bent = copy.deepcopy(gold)
        args = bent[calls[0]]["tool_calls"][0]["function"]["arguments"]
        key = next((k for k, v in args.items() if isinstance(v, str)), None)
        if key is not None:
            args[key] += "X"
            out["bent_argument"] = bent
    bad = copy.deepcopy(gold)
    bad.insert(
        1,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "bad", "type": "function", "function": {"name": "no_such_tool", "arguments": {"a": 1}}}
            ],
        },
    )
    out["unknown_tool"] = bad
    return out


def _writing(task) -> bool:
    return any(
        not a.name.startswith(("get_", "find_", "search_", "list_", "calculate"))
        for a in task.evaluation_criteria.actions or []
    )


CASES = [
    ("mock", None, None),
    ("airline", 2, "base"),
    ("retail", 1, "base"),
    ("telecom", ["[mobile_data_issue]airplane_mode_on|data_mode_off[PERSONA:None]"], "base"),
]


@pytest.mark.parametrize(("domain", "pick", "split"), CASES, ids=[c[0] for c in CASES])
def test_gem_reward_equals_tau2_reward(domain, pick, split):
    tasks = load_tasks(domain, split)
    if isinstance(pick, int):  # the first tasks whose gold actions write (one with facts to communicate)
        writing = [t for t in tasks if _writing(t)]
        talk = [t for t in writing if t.evaluation_criteria.communicate_info][:1]
        tasks = talk + [t for t in writing if t not in talk][: pick - len(talk)]
    elif pick is not None:
        tasks = [t for t in tasks if t.id in pick]
    rows, expected, names = [], [], []
    for task in tasks:
        variants = _variants(task)
        if domain != "mock":  # the real domains are slow in tau2's pipeline (a DB load per environment)
            variants = {
                k: variants[k] for k in ("gold", "drop_last_call", "bent_argument", "no_facts") if k in variants
            }
        for name, conv in variants.items():
            reward, sim = run_tau2_pipeline(domain, task, conv)
            rows.append({"task_id": task.id, "messages": simulation_to_openai(sim)})
            expected.append(reward)
            names.append(f"{task.id}/{name}")
    got = [r.reward for r in score_rows(f"gem/tau2-{domain}-v0", rows, env_kwargs={"task_split": split})]
    assert dict(zip(names, got)) == dict(zip(names, expected))
    assert 1.0 in expected and 0.0 in expected  # the set holds passing and failing conversations


FAST_CASES = [("mock", None, None), ("airline", 8, "base"), ("retail", 8, "base"), ("telecom", 4, "base")]


@pytest.mark.parametrize(("domain", "first", "split"), FAST_CASES, ids=[c[0] for c in FAST_CASES])
def test_episode_evaluator_equals_tau2_evaluate_simulation(domain, first, split):
    """The default evaluator (the episode's own environment, gold DB hashes cached per task) gives
    tau2's ``evaluate_simulation`` verdict - reward and every check - on gold and corrupted conversations."""
    tasks = load_tasks(domain, split)
    if first is not None:
        tasks = tasks[:first]
    rows = [{"task_id": t.id, "messages": conv} for t in tasks for conv in _variants(t).values()]
    kw = {"task_split": split}
    fast = score_rows(f"gem/tau2-{domain}-v0", rows, env_kwargs=kw)
    exact = score_rows(f"gem/tau2-{domain}-v0", rows, env_kwargs={**kw, "exact_reward": True})
    assert [(r.reward, r.breakdown) for r in fast] == [(r.reward, r.breakdown) for r in exact]
    assert {r.reward for r in exact} == {0.0, 1.0}
    again = score_rows(f"gem/tau2-{domain}-v0", rows, env_kwargs=kw)  # the gold hashes now come from the cache
    assert [r.reward for r in again] == [r.reward for r in fast]


STEP_TASKS = [
    "[mobile_data_issue]airplane_mode_on|data_mode_off[PERSONA:None]",
    "[mobile_data_issue]data_usage_exceeded|user_abroad_roaming_enabled_off[PERSONA:Easy]",
]


@pytest.mark.parametrize("tid", STEP_TASKS)
def test_max_steps_counts_the_users_tool_rounds_as_tau2(tid):
    """tau2 counts the user's tool-call messages and their results as steps and checks its limits
    after each step (even right after the user's stop); for every max_steps the episode ends as in
    tau2's own Orchestrator: same termination reason, same reward."""
    task = next(t for t in load_tasks("telecom", "base") if t.id == tid)
    conv = gold_conversation(task)
    assert any(m["role"] == "user" and m.get("tool_calls") for m in conv)
    seen = set()
    for max_steps in range(1, 13):
        reward, sim = run_tau2_pipeline("telecom", task, conv, max_steps=max_steps)
        (res,) = score_rows(
            "gem/tau2-telecom-v0", [{"task_id": tid, "messages": conv}], env_kwargs={"max_steps": max_steps}
        )
        ours = (res.reward, res.breakdown["details"]["termination_reason"])
        assert ours == (reward, sim.termination_reason.value), max_steps
        seen.add(ours)
    assert seen == {(0.0, "max_steps"), (1.0, "user_stop")}


def test_llm_user_tool_rounds_count_and_end_the_episode_mid_turn():
    """An LLM user calling tools twice before speaking: 2 steps per round; the episode ends after the
    round that reaches max_steps, before the user's next round (as tau2 checks after each tool result)."""
    from gem_env.llm.testing.scripted import ScriptedBackend
    from gem_env.tau2 import make_tau2_env

    def call(name):
        return {"id": name, "type": "function", "function": {"name": name, "arguments": "{}"}}

    replies = [
        {"role": "assistant", "content": "My data does not work."},
        {"role": "assistant", "content": None, "tool_calls": [call("toggle_airplane_mode")]},
        {"role": "assistant", "content": None, "tool_calls": [call("toggle_data")]},
        {"role": "assistant", "content": "Done. ###STOP###"},
    ]
    tid = STEP_TASKS[0]
    ends = {}
    for max_steps in (2, 3, 5, 7, 8):
        env = make_tau2_env(
            "gem/tau2-telecom-v0", user_model=ScriptedBackend(list(replies)), max_steps=max_steps, task_ids=[tid]
        )
        env.reset(options={"task_id": tid})  # step 1: the user's words
        _, _, term, trunc, info = env.step({"role": "assistant", "content": "Please toggle airplane mode and data."})
        ends[max_steps] = (term, trunc, env.backend.steps, len(env.backend.user_calls), env.termination_reason)
    assert ends == {
        2: (False, True, 2, 0, "max_steps"),  # the agent's words (step 2) then the check: the user says nothing
        3: (False, True, 4, 1, "max_steps"),  # first round: steps 3 and 4, then the check stops the second
        5: (False, True, 6, 2, "max_steps"),
        7: (False, True, 7, 2, "max_steps"),  # the user's stop is step 7: max_steps wins, as in tau2
        8: (True, False, 7, 2, "user_stop"),
    }
