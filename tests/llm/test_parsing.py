"""Tool-call and JSON parsing of raw model text: hermes/qwen, plain JSON, <think>, repairs, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gem_env.llm import parse_json, parse_tool_calls, split_reasoning
from tools_registry.errors import ConfigError, ParseError


def test_hermes_calls_with_reasoning_and_content():
    text = (
        '<think>\nneed weather\n</think>\n\nLet me check.\n<tool_call>\n{"name": "get_weather", '
        '"arguments": {"city": "Paris"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n'
        "</tool_call>"
    )
    p = parse_tool_calls(text)
    assert p.reasoning == "need weather"
    assert p.content == "Let me check."
    assert [c["function"]["name"] for c in p.tool_calls] == ["get_weather", "get_time"]
    assert p.tool_calls[0]["function"]["arguments"] == {"city": "Paris"}
    assert p.tool_calls[1]["id"] == "call_1" and p.tool_calls[0]["type"] == "function"
    assert p.repairs == []
    msg = p.message
    assert msg["role"] == "assistant" and msg["reasoning_content"] == "need weather" and len(msg["tool_calls"]) == 2


def test_plain_text_has_no_calls():
    p = parse_tool_calls("Hello there.")
    assert p.content == "Hello there." and p.tool_calls == [] and "tool_calls" not in p.message


def test_arguments_as_string_and_parameters_alias():
    p = parse_tool_calls('<tool_call>{"name": "f", "arguments": "{\\"a\\": 1}"}</tool_call>')
    assert p.tool_calls[0]["function"]["arguments"] == {"a": 1}
    p = parse_tool_calls('<tool_call>{"name": "f", "parameters": {"b": 2}}</tool_call>', parser="qwen")
    assert p.tool_calls[0]["function"]["arguments"] == {"b": 2}


def test_damaged_json_is_repaired_and_recorded():
    p = parse_tool_calls('<tool_call>\n{"name": "f", "arguments": {"a": 1, "b": [1, 2}\n</tool_call>')
    assert p.tool_calls[0]["function"]["arguments"]["a"] == 1
    assert p.repairs and "repaired JSON" in p.repairs[0]


def test_unclosed_tool_call_is_closed_and_recorded():
    p = parse_tool_calls('ok <tool_call>\n{"name": "f", "arguments": {"a": 1}}')
    assert p.content == "ok" and p.tool_calls[0]["function"]["name"] == "f"
    assert any("missing </tool_call>" in r for r in p.repairs)


@pytest.mark.parametrize(
    "body", ["not json at all", '{"arguments": {"a": 1}}', '{"name": 3}', "[1, 2]", '{"name": "f", "arguments": [1]}']
)
def test_unusable_tool_call_raises_parse_error(body):
    with pytest.raises(ParseError):
        parse_tool_calls(f"<tool_call>{body}</tool_call>")


def test_plain_json_parser():
    p = parse_tool_calls('{"name": "f", "arguments": {"x": 1}}', parser="json")
    assert p.content is None and p.tool_calls[0]["function"] == {"name": "f", "arguments": {"x": 1}}
    p = parse_tool_calls('```json\n[{"name": "f", "arguments": {}}, {"name": "g", "arguments": {}}]\n```', "json")
    assert [c["function"]["name"] for c in p.tool_calls] == ["f", "g"]
    p = parse_tool_calls('{"tool_calls": [{"function": {"name": "h", "arguments": "{}"}}]}', "json")
    assert p.tool_calls[0]["function"]["name"] == "h"
    p = parse_tool_calls('{"answer": 42}', "json")  # JSON but no call: content
    assert p.tool_calls == [] and p.content == '{"answer": 42}'
    p = parse_tool_calls('{"name": "f", "arguments": {"x": 1}', "json")
    assert p.tool_calls[0]["function"]["arguments"] == {"x": 1} and p.repairs
    with pytest.raises(ConfigError):
        parse_tool_calls("x", parser="nope")


def test_split_reasoning_variants():
    assert split_reasoning("<think>a</think>b") == ("a", "b")
    assert split_reasoning("a</think>\n\nb") == ("a", "b")  # opened in the prompt
    assert split_reasoning("<think>\n\n</think>\n\nb") == (None, "b")
    assert split_reasoning("<think>cut off") == ("cut off", "")
    assert split_reasoning("plain") == (None, "plain")
    assert split_reasoning('{"a": "<think>x</think>"}') == (None, '{"a": "<think>x</think>"}')
    text = '<tool_call>{"name": "f", "arguments": {"note": "a</think>b"}}</tool_call>'
    assert parse_tool_calls(text).tool_calls[0]["function"]["arguments"] == {"note": "a</think>b"}


def test_parse_json_variants():
    assert parse_json('{"a": 1}') == ({"a": 1}, [])
    value, repairs = parse_json('```json\n{"a": 1}\n```')
    assert value == {"a": 1} and repairs
    value, repairs = parse_json('Sure! Here it is: {"a": [1, 2]} hope it helps')
    assert value == {"a": [1, 2]} and any("around" in r for r in repairs)
    value, repairs = parse_json("<think>hmm</think>{'a': 1,}")
    assert value == {"a": 1} and any("repaired" in r for r in repairs)
    with pytest.raises(ParseError):
        parse_json("no json here")
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert parse_json('{"a": 3}', schema=schema)[0] == {"a": 3}
    with pytest.raises(ParseError, match="schema"):
        parse_json('{"a": "x"}', schema=schema)


_names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    calls=st.lists(st.tuples(_names, st.dictionaries(st.text(max_size=10), _json, max_size=4)), min_size=0, max_size=3),
    content=st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=40),
    reasoning=st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=40),
)
def test_hermes_round_trip(calls, content, reasoning):
    text = f"<think>\n{reasoning}\n</think>\n\n{content}"
    for name, args in calls:
        text += "\n<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
    p = parse_tool_calls(text)
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in p.tool_calls] == calls
    assert p.repairs == []
    assert (p.content or "") == content.strip()
    assert (p.reasoning or "") == reasoning.strip()
