"""Request bodies: each message encoded once per conversation, the same JSON as encoding the whole body."""

from __future__ import annotations

import orjson

from gem_env.llm.encoding import BodyEncoder
from gem_env.llm.types import normalize_messages

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]


def _naive(messages, tools, tail):
    body = {"model": "m", "messages": normalize_messages(messages, arguments="str"), **tail}
    if tools:
        body["tools"] = tools
    return body


def test_body_is_the_same_json_and_old_messages_are_not_encoded_again():
    enc = BodyEncoder()
    msgs = [{"role": "system", "content": "policy"}, {"role": "user", "content": 'hi \u00e9 "q"'}]
    assert orjson.loads(enc.body({"model": "m"}, msgs, TOOLS, {"temperature": 0.5})) == _naive(
        msgs, TOOLS, {"temperature": 0.5}
    )
    assert (enc.hits, enc.misses) == (0, 3)
    msgs = [
        *msgs,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": [1, 2]}}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    body = orjson.loads(enc.body({"model": "m"}, msgs, TOOLS, {}))
    assert (
        body == _naive(msgs, TOOLS, {})
        and body["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"x":[1,2]}'
    )
    assert (enc.hits, enc.misses) == (3, 5), "only the two new messages were encoded"
    assert msgs[2]["tool_calls"][0]["function"]["arguments"] == {"x": [1, 2]}, "the caller's message is untouched"


def test_a_replaced_field_is_encoded_again_and_the_cache_stays_bounded():
    enc = BodyEncoder(max_entries=8)
    m = {"role": "user", "content": "one"}
    enc.body({"model": "m"}, [m], None, {})
    m["content"] = "two"
    assert orjson.loads(enc.body({"model": "m"}, [m], None, {}))["messages"][0]["content"] == "two"
    for i in range(50):
        enc.body({"model": "m"}, [{"role": "user", "content": str(i)}], None, {})
    assert len(enc._cache) <= 8
    assert orjson.loads(enc.body({"model": "m"}, [], None, {})) == {"model": "m", "messages": []}
