"""Records: unknown fields rejected by name, arguments as dict or JSON string, exports."""

import pytest
from pydantic import ValidationError

from tools_registry import Domain, Message, ParseError, Task, Trajectory
from tools_registry.records import parse_arguments

CALL_MSG = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "A1"}'}}
    ],
}


def test_arguments_json_string_is_held_as_dict_and_exported_per_format():
    m = Message.model_validate(CALL_MSG)
    assert m.tool_calls[0].function.arguments == {"order_id": "A1"}
    assert m.to_dict()["tool_calls"][0]["function"]["arguments"] == {"order_id": "A1"}
    assert m.to_dict(arguments_as="json")["tool_calls"][0]["function"]["arguments"] == '{"order_id":"A1"}'


@pytest.mark.parametrize("bad", ['{"order_id": ', "[1, 2]", 5])
def test_bad_arguments_are_a_clear_error(bad):
    with pytest.raises(ValidationError, match="arguments"):
        Message.model_validate({**CALL_MSG, "tool_calls": [{"id": "c", "function": {"name": "x", "arguments": bad}}]})
    with pytest.raises(ParseError):
        parse_arguments(bad)


def test_unknown_fields_are_rejected_by_name():
    with pytest.raises(ValidationError, match="colour"):
        Message.model_validate({"role": "user", "content": "hi", "colour": "red"})
    with pytest.raises(ValidationError, match="toolz"):
        Domain.model_validate({"name": "d", "toolz": []})
    with pytest.raises(ValidationError, match="instructions"):
        Task.model_validate({"id": "t", "domain": "d", "user": {"instructions": "x"}})


@pytest.mark.parametrize(
    "msg, problem",
    [
        ({"role": "tool", "content": "x"}, "tool_call_id"),
        ({"role": "user", "content": "x", "tool_call_id": "c"}, "tool_call_id"),
        ({"role": "user", "content": None}, "needs content"),
        ({**CALL_MSG, "role": "user", "content": "x"}, "tool_calls"),
    ],
)
def test_role_rules(msg, problem):
    with pytest.raises(ValidationError, match=problem):
        Message.model_validate(msg)


def test_trajectory_stats_and_rows():
    traj = Trajectory.model_validate(
        {
            "messages": [
                {"role": "system", "content": "policy"},
                {"role": "user", "content": "where is A1?"},
                CALL_MSG,
                {"role": "tool", "tool_call_id": "c1", "content": '{"status": "shipped"}'},
                {"role": "assistant", "content": "It shipped."},
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_order",
                        "description": "d",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ],
        }
    ).with_stats()
    s = traj.meta.stats
    assert (s.messages, s.tool_calls, s.distinct_tools, s.user_turns) == (5, 1, 1, 1)  # every message of the row
    assert s.messages == len(traj.to_row()["messages"])
    row = traj.to_row()
    assert set(row) == {"messages", "tools", "meta"}
    assert row["tools"][0]["type"] == "function"
    assert Trajectory.model_validate(row) == traj  # rows read back
    ft = traj.to_openai_finetune()
    assert isinstance(ft["messages"][2]["tool_calls"][0]["function"]["arguments"], str)
