"""The program language: reads, writes as JSON Patch, atomic failures, compile errors, determinism."""

from __future__ import annotations

import copy

import jsonpatch
import orjson
import pytest

from gem_env.compiled import ProgramCompileError, ProgramError, ProgramSet


def one(program, state, args=None, name="t"):
    return ProgramSet({"tools": {name: program}}).call(state, name, args or {})


def test_read_tools(programs, state):
    out, ops = programs.call(state, "get_order", {"order_id": "O-2"})
    assert orjson.loads(out) == state["orders"][1] and ops == []
    out, _ = programs.call(state, "list_orders", {"owner_id": "U-1"})
    assert orjson.loads(out) == [{"order_id": "O-1", "status": "open"}, {"order_id": "O-2", "status": "done"}]
    with pytest.raises(ProgramError, match="^order O-9 not found$"):
        programs.call(state, "get_order", {"order_id": "O-9"})


def test_write_is_a_json_patch_that_jsonpatch_reproduces(programs, state):
    before = copy.deepcopy(state)
    out, ops = programs.call(state, "set_status", {"order_id": "O-1", "status": "done"})
    assert orjson.loads(out) == {"order_id": "O-1", "status": "done"}
    assert ops == [{"op": "replace", "path": "/orders/0/status", "value": "done"}]
    assert jsonpatch.apply_patch(before, ops) == state


def test_failed_call_leaves_the_state_unchanged(state):
    prog = {
        "steps": [
            {"find": "orders", "where": {"order_id": "O-1"}, "as": "o"},
            {"update": "o", "set": {"status": "x", "new_field": 1}},
            {"insert": "orders", "value": {"order_id": "O-9"}},
            {"patch": [{"op": "remove", "path": "/users/U-2"}]},
            {"check": False, "else": "nope"},
        ]
    }
    before = copy.deepcopy(state)
    with pytest.raises(ProgramError, match="nope"):
        one(prog, state)
    assert state == before


def test_insert_delete_patch_and_keyed_collections(state):
    before = copy.deepcopy(state)
    prog = {
        "steps": [
            {"insert": "orders", "value": {"order_id": "$args.id", "owner_id": "U-2", "status": "open", "total": 1}},
            {"find": "users", "key": "$args.user", "as": "u", "else": "no user {args.user}"},
            {"update": "u", "set": {"credit": {"$add": ["$u.credit", 5]}}},
            {"find": "orders", "where": {"order_id": "O-3"}, "as": "gone"},
            {"delete": "gone"},
            {"patch": [{"op": "add", "path": "/users/{args.user}/tier", "value": "gold"}]},
            {"insert": "users", "key": "U-3", "value": {"name": "Cy", "credit": 0}},
        ],
        "return": {"credit": "$u.credit", "n": {"$len": "$state.orders"}},
    }
    out, ops = one(prog, state, {"id": "O-4", "user": "U-1"})
    assert orjson.loads(out) == {"credit": 15, "n": 3}
    assert jsonpatch.apply_patch(before, ops) == state
    assert state["users"]["U-1"] == {"name": "Ada", "credit": 15, "tier": "gold"}
    with pytest.raises(ProgramError, match="already exists"):
        one({"steps": [{"insert": "users", "key": "U-1", "value": {}}]}, state)


def test_operators_and_queries(state):
    prog = {
        "steps": [
            {"let": "open", "value": {"$query": "length(state.orders[?status=='open'])"}},
            {
                "filter": "orders",
                "when": {"$gt": ["$item.total", 10]},
                "sort_by": "total",
                "as": "big",
                "select": "$item.order_id",
            },
            {
                "if": {"$in": ["$args.who", ["Ada", "Bo"]]},
                "then": [
                    {
                        "return": {
                            "open": "$open",
                            "big": "$big",
                            "msg": "hi {args.who}, {open} open",
                            "sum": {"$round": [{"$div": [{"$mul": [3, 7]}, 2]}, 1]},
                            "up": {"$upper": "$args.who"},
                            "c": {"$concat": ["a", 1, True, None]},
                            "m": {"$merge": [{"a": 1}, {"b": 2}]},
                            "k": {"$coalesce": [None, "$state.users.U-1.name"]},
                            "g": {"$get": ["$state.users", "U-2"]},
                            "i": {"$if": [{"$and": [True, {"$not": False}]}, 1, 2]},
                            "lit": "$$5.00",
                            "price": "$5.00",
                        }
                    }
                ],
                "else": [{"fail": "unknown person {args.who}"}],
            },
        ]
    }
    out, _ = one(prog, state, {"who": "Ada"})
    assert orjson.loads(out) == {
        "open": 2,
        "big": ["O-1", "O-2"],
        "msg": "hi Ada, 2 open",
        "sum": 10.5,
        "up": "ADA",
        "c": "a1truenull",
        "m": {"a": 1, "b": 2},
        "k": "Ada",
        "g": {"name": "Bo", "credit": 0},
        "i": 1,
        "lit": "$5.00",
        "price": "$5.00",
    }
    with pytest.raises(ProgramError, match="unknown person Zed"):
        one(prog, state, {"who": "Zed"})


def test_compile_errors_name_every_problem():
    bad = {
        "tools": {
            "a": {"steps": [{"find": "orders", "as": "o"}, {"update": "p", "set": {"x": 1}}], "return": "$nope.x"},
            "b": {"steps": [{"loop": 3}], "return": {"$exec": "1"}},
            "c": {"steps": [{"let": "x", "value": {"$query": "foo("}}], "retrun": 1},
        }
    }
    with pytest.raises(ProgramCompileError) as err:
        ProgramSet(bad)
    text = "\n".join(err.value.problems)
    for needle in (
        "'p' is not a record",
        "unknown name '$nope'",
        "exactly one of",
        "unknown operator '$exec'",
        "not a valid JMESPath",
        "unknown keys ['retrun']",
    ):
        assert needle in text, needle


def test_deterministic(programs, state):
    outs = []
    for _ in range(3):
        s = copy.deepcopy(state)
        outs.append(
            [
                programs.call(s, "set_status", {"order_id": "O-1", "status": "done"}),
                programs.call(s, "list_orders", {"owner_id": "U-1"}),
                s,
            ]
        )
    assert outs[0] == outs[1] == outs[2]


def test_read_sets_and_write_flags(programs):
    assert programs.programs["get_order"].reads == {"orders"} and not programs.programs["get_order"].writes
    assert programs.programs["set_status"].writes
