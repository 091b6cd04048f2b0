"""The simulator on large states: it sees the slice a call touches (real JSON Pointers), within a budget."""

from __future__ import annotations

import orjson

from gem_env.env import ToolUseEnv
from gem_env.llm.scripted import ScriptedBackend
from gem_env.simulated import SimulatedToolBackend
from gem_env.state_slice import state_slice

BIG = {
    "orders": [{"order_id": f"O-{i}", "owner_id": f"U-{i % 50}", "status": "open", "note": "n" * 40}
               for i in range(1000)],
    "users": {f"U-{i}": {"name": f"user {i}", "credit": i} for i in range(50)},
    "config": {"currency": "EUR"},
}


def test_small_states_are_shown_whole():
    whole, shown = state_slice({"a": [1, 2]}, {"x": 1}, budget_chars=1000)
    assert whole and shown == {"a": [1, 2]}


def test_large_states_show_the_records_the_call_names():
    whole, shown = state_slice(BIG, {"order_id": "O-537"}, budget_chars=4000)
    assert not whole and shown["/orders/537"]["order_id"] == "O-537"
    assert "/orders/1" not in shown and shown["/config"] == {"currency": "EUR"}
    assert "only those matching" in shown["/orders (note)"]
    assert len(orjson.dumps(shown)) < 4000 + 500
    _, keyed = state_slice(BIG, {"user_id": "U-7"}, budget_chars=4000, keys={"users"})
    assert set(keyed) == {"/users/U-7", "/users (note)"}


def test_simulated_calls_on_a_large_state_fit_the_budget_and_patch_the_full_state(shop):
    prompts, sampling = [], []

    def reply(messages, tools, response_format, samp):
        prompts.append(messages[0]["content"])
        sampling.append(samp)
        return orjson.dumps({"output": {"order_id": "O-537", "status": "done"}, "error": None,
                             "patch": [{"op": "replace", "path": "/orders/537/status", "value": "done"}]}).decode()

    ld = shop()
    ld.domain.initial_state = BIG
    env = ToolUseEnv(ld, tools=SimulatedToolBackend(ScriptedBackend(reply), state_budget_tokens=1000), user="replay")
    env.reset(seed=0)
    env.step({"role": "assistant", "content": None, "tool_calls": [
        {"type": "function", "function": {"name": "set_status", "arguments": {"order_id": "O-537", "status": "done"}}}]})
    assert env.backend.state["orders"][537]["status"] == "done"
    assert len(orjson.dumps(BIG)) > 60_000 and len(prompts[0]) < 4 * 1000 + 4000
    assert '"/orders/537"' in prompts[0] and '"O-12"' not in prompts[0]
    assert sampling[0]["max_tokens"] == 1024
