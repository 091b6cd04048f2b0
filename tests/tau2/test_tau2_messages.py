"""tau2 message objects built without validation are what validation would build."""

from __future__ import annotations

from gem_env.tau2.backend import UserCall
from gem_env.tau2.reward import to_tau2_messages


def test_constructed_messages_equal_validated_ones():
    messages = [
        {"role": "system", "content": "policy"},
        {"role": "user", "content": "Hi, cancel my booking."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_reservation_details", "arguments": {"reservation_id": "X"}},
                },
                {"id": "c2", "type": "function", "function": {"name": "broken", "arguments": "{not json"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "get_reservation_details", "content": '{"a": 1}'},
        {"role": "tool", "tool_call_id": "c2", "name": "broken", "content": "Error: unreadable"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "Thanks"},
    ]
    user_calls = [UserCall(5, "user_call_1", "toggle_airplane_mode", {}, "Error: no", True)]
    out = to_tau2_messages(messages, user_calls)
    assert [type(m).__name__ for m in out] == [
        "UserMessage",
        "AssistantMessage",
        "ToolMessage",
        "UserMessage",
        "ToolMessage",
        "AssistantMessage",
        "UserMessage",
    ]
    for m in out:
        again = type(m).model_validate(m.model_dump())
        assert m == again and m.model_dump(exclude={"timestamp"}) == again.model_dump(exclude={"timestamp"})
        assert isinstance(m.timestamp, str) and m.timestamp
        for c in getattr(m, "tool_calls", None) or []:
            assert type(c).model_validate(c.model_dump()) == c
