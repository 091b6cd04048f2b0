"""LLM user and judge on a scripted backend; reward parts; prompt templates fully filled."""

from __future__ import annotations

import copy

import orjson
import pytest

from gem_env.env import ToolUseEnv
from gem_env.llm.testing import ScriptedBackend
from gem_env.prompts import PROMPT_NAMES, fill, load_prompt, placeholders
from gem_env.rewards import (
    ActionMatch,
    Communicated,
    EpisodeOutcome,
    ExecutedCall,
    JudgeRubric,
    Reward,
    RewardResult,
    StateMatch,
    TaskReward,
)
from gem_env.simulated import SimulatedToolBackend
from gem_env.tool_backends import EpisodeSetup
from gem_env.users import STOP_MARKER, LLMUser
from tools_registry.errors import ConfigError


def outcome(task, initial, final, calls=(), said=""):
    setup = EpisodeSetup(task=task, domain=None, tools=[], policy="be nice", initial_state=initial)  # type: ignore[arg-type]
    msgs = [{"role": "assistant", "content": said}]
    return EpisodeOutcome(setup=setup, messages=msgs, calls=list(calls), final_state=final)


def test_state_match_is_canonical(tiny_domain):
    task = tiny_domain.task("chair-stock")
    initial = tiny_domain.domain.initial_state
    from tools_registry.reference import expected_final_state

    expected = expected_final_state(initial, task.criteria)
    shuffled = copy.deepcopy(expected)
    shuffled["items"].reverse()
    shuffled["orders"][0]["tags"].reverse()  # list order does not matter
    shuffled = {k: shuffled[k] for k in reversed(list(shuffled))}  # nor key order
    assert StateMatch().score(outcome(task, initial, shuffled)).value == 1.0
    shuffled["orders"][0]["quantity"] = 2
    res = StateMatch().score(outcome(task, initial, shuffled))
    assert res.value == 0.0 and res.details["state_diff"]


def test_action_match_needs_name_args_and_success(tiny_domain):
    task = tiny_domain.task("chair-stock")  # gold: place_order(I-2, 1, [gift, red]); the failed call is not gold
    assert [a.name for a in task.criteria.actions] == ["place_order"]
    good = ExecutedCall("place_order", {"item_id": "I-2", "quantity": 1, "tags": ["gift", "red"]}, True)
    assert ActionMatch().score(outcome(task, {}, {}, [good])).value == 1.0
    failed = ExecutedCall(good.name, good.arguments, False)
    wrong = ExecutedCall("place_order", {"item_id": "I-2", "quantity": 2, "tags": ["gift", "red"]}, True)
    for calls in ([failed], [wrong], []):
        res = ActionMatch().score(outcome(task, {}, {}, calls))
        assert res.value == 0.0 and res.details["missing_actions"][0]["name"] == "place_order"


def test_communicated_is_case_insensitive(tiny_domain):
    task = tiny_domain.task("order-lamps")  # facts: O-1, $60
    assert Communicated().score(outcome(task, {}, {}, said="order o-1 costs $60")).value == 1.0
    res = Communicated().score(outcome(task, {}, {}, said="order o-1 costs sixty"))
    assert res.value == 0.0 and res.details["missing_facts"] == ["$60"]


def test_task_reward_is_product_of_basis_and_reports_all(tiny_domain):
    task = tiny_domain.task("order-lamps")
    initial = tiny_domain.domain.initial_state
    res = TaskReward().score(outcome(task, initial, initial, said="O-1 for $60"))
    assert res.value == 0.0 and res.parts == {"state": 0.0, "actions": 0.0, "communicate": 1.0}
    only_talk = TaskReward(basis=["communicate"]).score(outcome(task, initial, initial, said="O-1 for $60"))
    assert only_talk.value == 1.0 and only_talk.parts["state"] == 0.0
    with pytest.raises(ConfigError, match="judge"):
        TaskReward(basis=["judge"]).score(outcome(task, initial, initial))


def test_judge_rubric_with_scripted_model(tiny_domain):
    task = tiny_domain.task("order-lamps").model_copy(deep=True)
    task.criteria.rubric = ["Confirms the order id", "Is polite"]
    judge_llm = ScriptedBackend(
        [
            orjson.dumps(
                {"items": [{"item": 1, "met": True, "reason": "ok"}, {"item": 2, "met": False, "reason": "rude"}]}
            ).decode(),
            "garbage",
            orjson.dumps({"items": [{"item": 1, "met": True}, {"item": 2, "met": True}]}).decode(),
        ]
    )
    judge = JudgeRubric(judge_llm, retries=1)
    res = judge.score(outcome(task, {}, {}, said="O-1"))
    assert res.value == 0.0 and res.details["judge_unmet"] == ["Is polite"]
    assert judge.score(outcome(task, {}, {}, said="O-1")).value == 1.0  # after one retry
    prompt = judge_llm.calls[0]["messages"][0]["content"]
    assert "1. Confirms the order id" in prompt and "assistant: O-1" in prompt and "{{" not in prompt


def test_custom_reward_is_used(tiny_domain):
    class Always(Reward):
        def score(self, outcome):
            return RewardResult(0.5, {"custom": 0.5})

    env = ToolUseEnv(tiny_domain, reward=Always())
    env.reset(options={"task_id": "chair-price"})
    _, r, term, _, info = env.step({"role": "assistant", "content": "$80"})
    assert term and r == 0.5 and info["reward_breakdown"] == {"reward": 0.5, "custom": 0.5, "details": {}}


def test_llm_user_plays_scenario_and_stops(tiny_domain):
    def user_model(messages, tools, response_format, sampling):
        if not any(m["role"] == "assistant" for m in messages):  # the user has not spoken yet
            return "Hi, I'd like two lamps please."
        return f"Great, thanks! {STOP_MARKER}"

    llm = ScriptedBackend(user_model)
    env = ToolUseEnv(tiny_domain, user="llm", user_model=llm)
    obs, _ = env.reset(options={"task_id": "order-lamps"})
    assert obs["messages"][-1] == {"role": "user", "content": "Hi, I'd like two lamps please."}
    system = llm.calls[0]["messages"][0]["content"]
    assert "Order two lamps (I-1)." in system and STOP_MARKER in system and "{{" not in system
    env.step(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"function": {"name": "get_item", "arguments": {"item_id": "I-1"}}}],
        }
    )
    _, _, term, _, info = env.step({"role": "assistant", "content": "Which lamp?"})
    assert term and info["new_messages"][-1] == {"role": "user", "content": "Great, thanks!"}
    view = llm.calls[1]["messages"]  # roles flipped, tool traffic hidden
    assert [m["role"] for m in view] == ["system", "assistant", "user"] and view[-1]["content"] == "Which lamp?"


def test_llm_user_retries_a_reveal_then_fails_into_truncation(tiny_domain):
    task = tiny_domain.task("order-lamps").model_copy(deep=True)
    task.user.instruction = "Order two lamps (item I-1) and ask for them to be tagged as a gift please."
    leak = f"OK so: {task.user.instruction.upper()}"
    llm = ScriptedBackend(["Hello", leak, "I want lamps.", leak, ""])
    env = ToolUseEnv(tiny_domain.domain, [task], toolkit=tiny_domain.toolkit, user=LLMUser(llm, retries=1))
    env.reset(seed=0)
    _, _, term, trunc, info = env.step({"role": "assistant", "content": "Hi!"})  # leak, then a usable reply
    assert not term and not trunc and info["new_messages"][-1]["content"] == "I want lamps."
    assert "reveals the whole scenario" in llm.calls[2]["messages"][-1]["content"]
    _, _, term, trunc, info = env.step({"role": "assistant", "content": "Which?"})  # leak, then empty: give up
    assert trunc and not term and info["truncated_by"] == "user_error"
    assert info["errors"][0]["kind"] == "user" and "empty reply" in info["errors"][0]["message"]


def test_every_prompt_is_filled_by_its_code(tiny_domain):
    for name in PROMPT_NAMES:
        assert placeholders(load_prompt(name)), name
    with pytest.raises(ConfigError, match="missing"):
        fill(load_prompt("judge"), policy="x")
    braces = fill("a {{x}} b", x='{"json": "{{y}}"}')
    assert braces == 'a {"json": "{{y}}"} b'  # values are never re-read as placeholders
    sim = SimulatedToolBackend(ScriptedBackend([]))
    env = ToolUseEnv(tiny_domain, tools=sim)
    env.reset(options={"task_id": "order-lamps"})
    text = sim.prompt(env.tools[0], {"item_id": "{{policy}}"}, env.messages)
    assert "{{policy}}" in text and text.count("{{") == 1  # only the argument's own braces remain


def test_prompt_override_dir(tmp_path):
    (tmp_path / "judge.md").write_text("custom {{policy}} {{conversation}} {{rubric}}")
    assert load_prompt("judge", prompts_dir=tmp_path).text.startswith("custom")
    with pytest.raises(ConfigError):
        load_prompt("../etc")
