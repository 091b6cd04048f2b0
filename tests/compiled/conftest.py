"""Fixtures for compiled tools: a small shop domain with programs, a reference task and its state."""

from __future__ import annotations

import copy

import pytest

from gem_env.compiled import ProgramSet
from tools_registry.domains import LoadedDomain
from tools_registry.records import Criteria, Domain, GoldAction, Message, Task, UserScenario
from tools_registry.specs import ToolSpec

STATE = {
    "orders": [
        {"order_id": "O-1", "owner_id": "U-1", "status": "open", "total": 20},
        {"order_id": "O-2", "owner_id": "U-1", "status": "done", "total": 35},
        {"order_id": "O-3", "owner_id": "U-2", "status": "open", "total": 5},
    ],
    "users": {"U-1": {"name": "Ada", "credit": 10}, "U-2": {"name": "Bo", "credit": 0}},
}
FIND = {
    "find": "orders",
    "where": {"order_id": "$args.order_id"},
    "as": "order",
    "else": "order {args.order_id} not found",
}
PROGRAMS = {
    "format": "gem-program/v1",
    "tools": {
        "get_order": {"steps": [FIND], "return": "$order"},
        "set_status": {
            "steps": [
                FIND,
                {
                    "check": {"$ne": ["$order.status", "$args.status"]},
                    "else": "order {args.order_id} is already {args.status}",
                },
                {"update": "order", "set": {"status": "$args.status"}},
            ],
            "return": {"order_id": "$order.order_id", "status": "$order.status"},
        },
        "list_orders": {
            "steps": [
                {
                    "filter": "orders",
                    "where": {"owner_id": "$args.owner_id"},
                    "as": "items",
                    "select": {"$pick": ["$item", ["order_id", "status"]]},
                }
            ],
            "return": "$items",
        },
    },
}
_ID = {"type": "string", "description": "Order ID."}
TOOLS = [
    ToolSpec(
        name="get_order",
        description="Look up an order.",
        parameters={"type": "object", "properties": {"order_id": _ID}, "required": ["order_id"]},
    ),
    ToolSpec(
        name="set_status",
        description="Change an order's status.",
        mutates=True,
        parameters={
            "type": "object",
            "properties": {
                "order_id": _ID,
                "status": {"type": "string", "enum": ["open", "done"], "description": "New status."},
            },
            "required": ["order_id", "status"],
        },
    ),
    ToolSpec(
        name="list_orders",
        description="List a user's orders.",
        parameters={
            "type": "object",
            "properties": {"owner_id": {"type": "string", "description": "User."}},
            "required": ["owner_id"],
        },
    ),
]


def _call(i: int, name: str, **args) -> Message:
    return Message.model_validate(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": args}}],
        }
    )


REFERENCE = [
    Message(role="user", content="Please close order O-1."),
    _call(1, "get_order", order_id="O-1"),
    Message(role="tool", tool_call_id="c1", content='{"order_id":"O-1","owner_id":"U-1","status":"open","total":20}'),
    _call(2, "set_status", order_id="O-1", status="done"),
    Message(role="tool", tool_call_id="c2", content='{"order_id":"O-1","status":"done"}'),
    Message(role="assistant", content="Order O-1 is done."),
]


def make_domain(
    programs=PROGRAMS, *, reference=REFERENCE, basis=("state", "actions"), final=True, certificate=None
) -> LoadedDomain:
    patch = (
        final
        if isinstance(final, list)
        else ([{"op": "replace", "path": "/orders/0/status", "value": "done"}] if final else None)
    )
    gold = [GoldAction(name="set_status", arguments={"order_id": "O-1", "status": "done"})]
    task = Task(
        id="t0",
        domain="shop",
        user=UserScenario(instruction="close O-1"),
        reference=list(reference),
        criteria=Criteria(actions=gold, final_state=patch, reward_basis=list(basis)),
    )
    domain = Domain(
        name="shop",
        policy="You help with orders.",
        tools=TOOLS,
        initial_state=copy.deepcopy(STATE),
        programs=copy.deepcopy(programs),
        certificate=certificate,
    )
    return LoadedDomain(domain, [task])


@pytest.fixture
def state():
    return copy.deepcopy(STATE)


@pytest.fixture
def programs():
    return ProgramSet(copy.deepcopy(PROGRAMS))


@pytest.fixture
def shop():
    """``shop(programs=..., reference=..., basis=..., final=..., certificate=...)`` -> LoadedDomain."""
    return make_domain


@pytest.fixture
def shop_programs():
    return copy.deepcopy(PROGRAMS)
