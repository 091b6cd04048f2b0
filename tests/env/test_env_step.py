"""ToolUseEnv's episode loop: reset, tool calls, errors as messages, hand-back, limits, snapshots."""

from __future__ import annotations

import asyncio

import gymnasium as gym
import orjson
import pytest

from gem_env.env import ToolUseEnv
from gem_env.tool_backends import PythonToolBackend
from gem_env.users import ScriptedUser, UserTurn
from tools_registry.errors import ConfigError
from tools_registry.specs import ToolSpec


def call(name, args, text=None):
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [{"id": "x", "type": "function", "function": {"name": name, "arguments": args}}],
    }


def test_reset_picks_task_by_id_or_seed(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    obs, info = env.reset(options={"task_id": "chair-price"})
    assert info["task_id"] == "chair-price"
    assert obs["messages"][0] == {"role": "system", "content": "You are a shop assistant."}
    assert obs["messages"][1] == {"role": "user", "content": "How much is the chair I-2?"}
    assert {t["function"]["name"] for t in obs["tools"]} == {"get_item", "place_order", "cancel_order"}
    picked = {env.reset(seed=s)[1]["task_id"] for s in range(30)}
    assert picked == {"order-lamps", "chair-price", "chair-stock"}
    assert env.reset(seed=7)[1]["task_id"] == env.reset(seed=7)[1]["task_id"]
    with pytest.raises(ConfigError, match="no task 'nope'"):
        env.reset(options={"task_id": "nope"})


def test_tool_call_runs_and_ids_are_deterministic(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    obs, reward, term, trunc, info = env.step(call("get_item", '{"item_id": "I-1"}'))  # JSON-string arguments
    assert (reward, term, trunc) == (0.0, False, False)
    assistant, tool = info["new_messages"]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert assistant["tool_calls"][0]["function"]["arguments"] == {"item_id": "I-1"}
    assert tool == {
        "role": "tool",
        "tool_call_id": "call_1",
        "name": "get_item",
        "content": '{"item_id":"I-1","name":"lamp","price":30,"stock":4}',
    }
    assert obs["messages"][-2:] == [assistant, tool]
    assert info["turn"] == 1 and info["tool_calls"] == 1 and info["errors"] == []


@pytest.mark.parametrize(
    "action,kind,needle",
    [
        (call("fly_away", {}), "unknown_tool", "unknown tool 'fly_away'"),
        (call("get_item", {}), "arguments", "missing required argument 'item_id'"),
        (call("get_item", {"item_id": 3}), "arguments", "'item_id' must be string"),
        (call("get_item", "{not json"), "arguments", "not valid JSON"),
        (call("get_item", {"item_id": "I-9"}), "tool", "Error: no item I-9"),
        (call("cancel_order", {"order_id": "O-7"}), "tool", "Error: no order O-7"),  # a KeyError from the tool
    ],
)
def test_bad_calls_become_tool_messages(tiny_domain, action, kind, needle):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    _, reward, term, trunc, info = env.step(action)
    assert reward == 0.0
    assert not term and not trunc
    tool_msg = info["new_messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["content"].startswith("Error: ")
    assert needle in tool_msg["content"]
    assert [e["kind"] for e in info["errors"]] == [kind]
    assert info["error_count"] == 1
    obs, *_ = env.step(call("get_item", {"item_id": "I-1"}))  # the episode goes on
    assert obs["messages"][-1]["content"].startswith('{"item_id":"I-1"')


def test_unparseable_text_becomes_system_message(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    _, _, term, trunc, info = env.step('<tool_call>{"name": </tool_call> and more')
    assert [m["role"] for m in info["new_messages"]] == ["assistant", "system"]
    assert info["new_messages"][1]["content"].startswith("Error: ")
    assert info["errors"][0]["kind"] == "parse" and not term and not trunc
    _, _, _, _, info = env.step(42)  # not a message at all
    assert info["errors"][0]["kind"] == "parse"
    _, _, _, _, info = env.step('<tool_call>{"name": "get_item", "arguments": {"item_id": "I-2"}}</tool_call>')
    assert info["new_messages"][1]["content"].startswith('{"item_id":"I-2"')


def test_hand_back_gets_scripted_user_and_final_reward(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    env.step(call("place_order", {"item_id": "I-1", "quantity": 2}))
    _, r, term, _, info = env.step({"role": "assistant", "content": "Done: order O-1 for 2 lamps, $60."})
    assert info["new_messages"][-1] == {"role": "user", "content": "Thanks!"} and not term and r == 0.0
    _, r, term, trunc, info = env.step({"role": "assistant", "content": "Bye"})
    assert term and not trunc and r == 1.0
    assert info["reward_breakdown"]["state"] == 1.0 and info["reward_breakdown"]["communicate"] == 1.0
    with pytest.raises(gym.error.ResetNeeded):
        env.step({"role": "assistant", "content": "more"})


def test_limits_truncate(tiny_domain):
    env = ToolUseEnv(tiny_domain, max_turns=2)
    env.reset(options={"task_id": "order-lamps"})
    assert env.step(call("get_item", {"item_id": "I-1"}))[3] is False
    _, _, term, trunc, info = env.step(call("get_item", {"item_id": "I-1"}))
    assert trunc and not term and info["truncated_by"] == "max_turns" and "reward_breakdown" in info

    env = ToolUseEnv(tiny_domain, max_tool_calls_per_turn=2)
    env.reset(options={"task_id": "order-lamps"})
    many = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"function": {"name": "get_item", "arguments": {"item_id": "I-1"}}} for _ in range(3)],
    }
    _, _, term, trunc, info = env.step(many)
    assert trunc and info["truncated_by"] == "max_tool_calls_per_turn"
    tool_msgs = [m for m in info["new_messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 3 and tool_msgs[2]["content"].startswith("Error: not run")


def test_state_does_not_leak_between_episodes(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    env.step(call("place_order", {"item_id": "I-2", "quantity": 1, "tags": ["a"]}))
    assert env.backend.state["items"][1]["stock"] == 0
    env.reset(options={"task_id": "order-lamps"})
    assert env.backend.state == tiny_domain.domain.initial_state
    assert tiny_domain.domain.initial_state["items"][1]["stock"] == 1


def test_snapshot_restore_branches(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(options={"task_id": "order-lamps"})
    env.step(call("get_item", {"item_id": "I-1"}))
    snap = env.snapshot()
    outcomes = []
    for qty in (2, 3):
        env.restore(snap)
        env.step(call("place_order", {"item_id": "I-1", "quantity": qty}))
        env.step({"role": "assistant", "content": "Done: O-1, $60"})
        _, r, _, _, _ = env.step({"role": "assistant", "content": "bye"})
        outcomes.append((r, env.backend.state["items"][0]["stock"], len(env.messages)))
    assert outcomes == [(1.0, 2, 9), (0.0, 1, 9)]
    env.restore(snap)
    assert len(env.messages) == 4 and env.backend.state["items"][0]["stock"] == 4 and not env.done


def test_user_turn_reveals_tools(tiny_domain):
    extra = ToolSpec(
        name="get_item_by_name",
        description="Find an item by name.",
        parameters={"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    )
    user = ScriptedUser(["hi", UserTurn(content="now use the new tool", tools=[extra])])
    seen = []

    class Backend(PythonToolBackend):
        def add_tools(self, tools):
            seen.extend(t.name for t in tools)

    env = ToolUseEnv(tiny_domain, user=user, tools=Backend(tiny_domain.toolkit))
    obs, _ = env.reset(options={"task_id": "order-lamps"})
    assert "get_item_by_name" not in {t["function"]["name"] for t in obs["tools"]}
    _, _, _, _, info = env.step(call("get_item_by_name", {"name": "lamp"}))
    assert info["errors"][0]["kind"] == "unknown_tool"
    obs, *_ = env.step({"role": "assistant", "content": "ok"})
    assert "get_item_by_name" in {t["function"]["name"] for t in obs["tools"]} and seen == ["get_item_by_name"]
    assert env.action_space.contains(call("get_item_by_name", {"name": "lamp"}))
    assert not env.action_space.contains(call("get_item_by_name", {"nom": "lamp"}))


def test_async_twins_match_sync(tiny_domain):
    actions = [
        call("get_item", {"item_id": "I-1"}),
        call("place_order", {"item_id": "I-1", "quantity": 2}),
        {"role": "assistant", "content": "O-1, $60"},
        {"role": "assistant", "content": "bye"},
    ]

    def sync_run():
        env = ToolUseEnv(tiny_domain)
        env.reset(seed=3, options={"task_id": "order-lamps"})
        return [env.step(a)[1:4] for a in actions], env.messages

    async def async_run():
        env = ToolUseEnv(tiny_domain)
        await env.areset(seed=3, options={"task_id": "order-lamps"})
        return [(await env.astep(a))[1:4] for a in actions], env.messages

    assert sync_run() == asyncio.run(async_run())


def test_render_ansi(tiny_domain):
    env = ToolUseEnv(tiny_domain, render_mode="ansi")
    env.reset(options={"task_id": "chair-price"})
    env.step(call("get_item", {"item_id": "I-2"}))
    text = env.render()
    assert "[user] How much is the chair I-2?" in text and '[assistant -> get_item] {"item_id":"I-2"}' in text


def test_observation_lists_are_fresh(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    obs0, _ = env.reset(options={"task_id": "chair-price"})
    obs1, *_ = env.step(call("get_item", {"item_id": "I-2"}))
    assert len(obs0["messages"]) == 2 and len(obs1["messages"]) == 4
    assert orjson.dumps(obs1)  # plain JSON data


def test_replay_backend_misses_error_or_fall_back(tiny_domain):
    from gem_env.tool_backends import PythonToolBackend, Recording, ReplayToolBackend

    env = ToolUseEnv(tiny_domain, tools="replay")
    env.reset(options={"task_id": "order-lamps"})
    _, _, _, _, info = env.step(call("get_item", {"item_id": "I-1"}))  # recorded
    assert info["new_messages"][-1]["content"].startswith('{"item_id":"I-1"') and not info["errors"]
    _, _, _, _, info = env.step(call("get_item", {"item_id": "I-2"}))  # never recorded
    assert info["errors"][0]["kind"] == "tool" and "no recorded output for get_item" in info["errors"][0]["message"]

    fb = ReplayToolBackend(fallback=PythonToolBackend(tiny_domain.toolkit))
    env = ToolUseEnv(tiny_domain, tools=fb)
    env.reset(options={"task_id": "order-lamps"})
    env.step(call("place_order", {"item_id": "I-1", "quantity": 2}))  # replayed, with its state patch
    _, _, _, _, info = env.step(call("place_order", {"item_id": "I-2", "quantity": 1}))  # falls through
    assert info["new_messages"][-1]["content"].startswith('{"order_id":"O-2"') and fb.misses == 1
    assert [o["order_id"] for o in env.backend.state["orders"]] == ["O-1", "O-2"]

    # a recorded failure replays as the same tool error
    env = ToolUseEnv(tiny_domain, tools="replay")
    env.reset(options={"task_id": "chair-stock"})
    _, _, _, _, info = env.step(call("place_order", {"item_id": "I-2", "quantity": 3, "tags": ["gift"]}))
    assert info["new_messages"][-1]["content"] == "Error: not enough stock" and info["errors"][0]["kind"] == "tool"

    # without Python tools the task's final-state patch is credited to the last write
    task = tiny_domain.task("chair-stock")
    rec = Recording.from_task(task, tiny_domain.domain.initial_state, tiny_domain.domain.tools)
    assert [c.patch for c in rec.calls] == [[], task.criteria.final_state]
