"""Simulated tools with a scripted LLM: patches applied, bad patches rejected, retries, exact cache replay."""

from __future__ import annotations

import orjson
import pytest

from gem_env.env import ToolUseEnv
from gem_env.llm.testing import ScriptedBackend
from gem_env.simulated import SimulatedToolBackend
from gem_env.tool_backends import ReplayToolBackend


def call(name, args):
    return {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": name, "arguments": args}}]}


def order_patch(qty=2, stock=2):
    return [
        {"op": "replace", "path": "/items/0/stock", "value": stock},
        {
            "op": "add",
            "path": "/orders/-",
            "value": {"order_id": "O-1", "item_id": "I-1", "quantity": qty, "status": "placed", "tags": []},
        },
    ]


def reply(output, patch=(), error=None):
    return orjson.dumps({"output": output, "error": error, "patch": list(patch)}).decode()


def test_patch_applied_and_state_reaches_reward(tiny_domain):
    llm = ScriptedBackend([reply({"order_id": "O-1"}, order_patch())])
    env = ToolUseEnv(tiny_domain, tools=SimulatedToolBackend(llm))
    env.reset(options={"task_id": "order-lamps"})
    _, _, _, _, info = env.step(call("place_order", {"item_id": "I-1", "quantity": 2}))
    assert info["new_messages"][-1]["content"] == '{"order_id":"O-1"}' and info["errors"] == []
    assert env.backend.state["orders"][0]["order_id"] == "O-1"
    env.step({"role": "assistant", "content": "O-1 placed, $60"})
    _, r, term, _, info = env.step({"role": "assistant", "content": "bye"})
    assert term and r == 1.0 and info["reward_breakdown"]["state"] == 1.0
    prompt = llm.calls[0]["messages"][0]["content"]
    assert '"name":"place_order"' in prompt.replace(" ", "").replace("\n", "") and "read-write" in prompt
    assert llm.calls[0]["response_format"] == {"type": "json_object"} and llm.calls[0]["caller"] == "tool_simulator"


@pytest.mark.parametrize(
    "bad,why",
    [
        (reply({"item": 1}, [{"op": "replace", "path": "/items/0/stock", "value": 0}]), "is read-only"),
        (reply("ok", [{"op": "replace", "path": "/items/0/stock", "value": "many"}]), "breaks the state schema"),
        (reply("ok", [{"op": "remove", "path": "/nothing/here"}]), "does not apply"),
        ("this is not json at all", "not JSON"),
        (orjson.dumps({"patch": []}).decode(), "output"),
    ],
)
def test_bad_replies_rejected_then_retried(tiny_domain, bad, why):
    tool = "get_item" if "read-only" in why else "place_order"
    args = {"item_id": "I-1"} if tool == "get_item" else {"item_id": "I-1", "quantity": 1}
    llm = ScriptedBackend([bad, reply({"fine": True})])
    backend = SimulatedToolBackend(llm, retries=1)
    env = ToolUseEnv(tiny_domain, tools=backend)
    env.reset(options={"task_id": "order-lamps"})
    _, _, _, _, info = env.step(call(tool, args))
    assert info["new_messages"][-1]["content"] == '{"fine":true}' and info["errors"] == []
    assert backend.rejected == 1
    assert why in llm.calls[1]["messages"][-1]["content"]  # the model is told what was wrong
    assert env.backend.state == tiny_domain.domain.initial_state  # the rejected patch never landed


def test_simulator_error_after_retries_is_reported_and_episode_goes_on(tiny_domain):
    llm = ScriptedBackend(["nope", "still nope", reply("O-9 not found", error="no order O-9")])
    env = ToolUseEnv(tiny_domain, tools=SimulatedToolBackend(llm, retries=1))
    env.reset(options={"task_id": "order-lamps"})
    _, _, term, trunc, info = env.step(call("get_item", {"item_id": "I-1"}))
    assert info["errors"][0]["kind"] == "simulator" and "no usable answer" in info["new_messages"][-1]["content"]
    assert not term and not trunc
    _, _, _, _, info = env.step(call("cancel_order", {"order_id": "O-9"}))
    assert info["new_messages"][-1]["content"] == "Error: no order O-9" and info["errors"][0]["kind"] == "tool"


def test_cache_replays_exactly_and_recording_feeds_replay(tiny_domain):
    answers = {
        "get_item": reply({"item_id": "I-1", "stock": 4}),
        "place_order": reply({"order_id": "O-1"}, order_patch()),
    }

    def responder(messages, tools, response_format, sampling):
        text = messages[0]["content"]
        call_line = text.split("# The call to answer")[1]
        return answers["place_order" if "place_order(" in call_line else "get_item"]

    llm = ScriptedBackend(responder)
    cache: dict = {}
    actions = [
        call("get_item", {"item_id": "I-1"}),
        call("place_order", {"item_id": "I-1", "quantity": 2}),
        call("get_item", {"item_id": "I-1"}),
    ]

    def episode():
        env = ToolUseEnv(tiny_domain, tools=SimulatedToolBackend(llm, cache=cache))
        env.reset(seed=1, options={"task_id": "order-lamps"})
        for a in actions:
            env.step(a)
        return env.messages, env.backend.state, env.backend.recording()

    first_msgs, first_state, recording = episode()
    n_calls = len(llm.calls)
    assert n_calls == 3  # get_item after the order runs on a new state: a new question
    again_msgs, again_state, _ = episode()
    assert len(llm.calls) == n_calls  # every answer came from the cache
    assert (again_msgs, again_state) == (first_msgs, first_state)

    replay = ToolUseEnv(tiny_domain, tools=ReplayToolBackend(recording))
    replay.reset(seed=1, options={"task_id": "order-lamps"})
    for a in actions:
        replay.step(a)
    assert replay.messages == first_msgs and replay.backend.state == first_state
