"""Verifier strength: mutants of compiled programs that change an output or the final state are rejected."""

from __future__ import annotations

import jsonpatch

from gem_env.compiled.mutants import mutants, mutation_score
from tools_registry.records import Message


def test_every_mutant_kind_is_generated(shop_programs, state):
    kinds = {k for src in shop_programs["tools"].values() for k, _, _ in mutants(src, state)}
    assert kinds == {"constant", "drop_write", "invert", "swap_field"}


def test_the_verifier_rejects_changing_mutants(shop, shop_programs, state):
    ref = list(shop().tasks[0].reference)
    ref[-1:-1] = [  # add a failing call and a listing so error texts and filters are on the reference
        Message.model_validate(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c3",
                        "type": "function",
                        "function": {"name": "set_status", "arguments": {"order_id": "O-1", "status": "done"}},
                    }
                ],
            }
        ),
        Message(role="tool", tool_call_id="c3", content="Error: order O-1 is already done"),
        Message.model_validate(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c4",
                        "type": "function",
                        "function": {"name": "list_orders", "arguments": {"owner_id": "U-1"}},
                    }
                ],
            }
        ),
        Message(
            role="tool",
            tool_call_id="c4",
            content='[{"order_id":"O-1","status":"done"},{"order_id":"O-2","status":"done"}]',
        ),
    ]
    final = jsonpatch.apply_patch(state, [{"op": "replace", "path": "/orders/0/status", "value": "done"}])
    r = mutation_score(shop_programs, ref, state, expected_final_state=final, read_only={"get_order", "list_orders"})
    assert r["scored"] >= 15 and r["score"] >= 0.95, r["missed"]
    assert r["kinds"]["constant"]["rejected"] >= 1  # the error message is on the reference now
