"""The simulator on large states: it sees the slice a call touches (real JSON Pointers), within a budget."""

from __future__ import annotations

import orjson

from gem_env.env import ToolUseEnv
from gem_env.llm.testing.scripted import ScriptedBackend
from gem_env.simulated import SimulatedToolBackend
from gem_env.state_slice import state_slice

BIG = {
    "orders": [
        {"order_id": f"O-{i}", "owner_id": f"U-{i % 50}", "status": "open", "note": "n" * 40} for i in range(1000)
    ],
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
        return orjson.dumps(
            {
                "output": {"order_id": "O-537", "status": "done"},
                "error": None,
                "patch": [{"op": "replace", "path": "/orders/537/status", "value": "done"}],
            }
        ).decode()

    ld = shop()
    ld.domain.initial_state = BIG
    env = ToolUseEnv(ld, tools=SimulatedToolBackend(ScriptedBackend(reply), prompt_budget_tokens=1500), user="replay")
    env.reset(seed=0)
    env.step(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "set_status", "arguments": {"order_id": "O-537", "status": "done"}},
                }
            ],
        }
    )
    assert env.backend.state["orders"][537]["status"] == "done"
    assert len(orjson.dumps(BIG)) > 60_000 and len(prompts[0]) < 3.5 * 1500 + 1500
    assert '"/orders/537"' in prompts[0] and '"O-12"' not in prompts[0]
    assert sampling[0]["max_tokens"] == 1024


def test_bundled_domains_prompts_stay_small():
    """The bundled domains' states (13-25K chars) and schemas (6-10K) no longer go whole into every prompt."""
    from gem_env.compiled.verify import reference_calls
    from tools_registry.domains import bundled_dir, load_domain

    for name in ("home-maintenance", "pharmacy-refill", "photo-framing"):
        ld = load_domain(bundled_dir() / name, load_tools=False)
        backend = SimulatedToolBackend(ScriptedBackend([]))
        env = ToolUseEnv(ld, tools=backend, user="replay")
        env.reset(seed=0)
        specs = {t.name: t for t in ld.domain.tools}
        sizes = [
            len(backend.prompt(specs[n], a, env.messages)) for t in ld.tasks for n, a, _ in reference_calls(t.reference)
        ]
        assert max(sizes) <= 12_000, (name, max(sizes))  # policy and tool spec (never cut) included
        assert max(sizes) < len(orjson.dumps(ld.domain.initial_state)) + len(orjson.dumps(ld.domain.state_schema))


def test_schema_slice_keeps_what_the_shown_keys_use():
    from gem_env.state_slice import schema_slice

    schema = {
        "type": "object",
        "$defs": {
            "Order": {
                "title": "Order",
                "type": "object",
                "properties": {"status": {"type": "string", "description": "d" * 500}},
            },
            "User": {"type": "object", "description": "u" * 3000},
        },
        "properties": {
            "orders": {"type": "array", "items": {"$ref": "#/$defs/Order"}},
            "users": {"type": "object", "additionalProperties": {"$ref": "#/$defs/User"}},
        },
    }
    cut = schema_slice(schema, {"orders"}, budget_chars=1200)
    assert set(cut["properties"]) == {"orders"} and set(cut["$defs"]) == {"Order"}
    assert schema_slice(schema, None, budget_chars=10**6) == schema
    tiny = schema_slice(schema, {"orders"}, budget_chars=50)
    assert tiny["properties"] == {"orders": {"type": "array"}}
