"""Property: ``env.step`` never raises, whatever the action, and every recorded row can be written.

Hypothesis draws actions from every hostile class (random JSON and text, wrong types and shapes,
huge and deep values, integers past 64 bits, lone surrogates, NaN/Infinity, Python values that are
not JSON, broken ``<tool_call>`` markup, duplicate ids, many calls in one message) and steps them
on the three bundled environments; bounded here, ``benchmarks/fuzz_env.py`` runs 60,000.
The reproducers of the reported failures come first, one test each.
"""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gem_env.registration import make_env
from gem_env.rollout import EpisodeRecord

ENVS = ("gem/photo-framing-v0", "gem/pharmacy-refill-v0", "gem/home-maintenance-v0")
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def envs():
    return {e: make_env(e) for e in ENVS}


def nested(depth, leaf=1):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


def step_ok(env, action):
    """Step ``action``; the observation, info and (at the end) the row must all serialise."""
    obs, reward, terminated, truncated, info = env.step(action)
    orjson.dumps(obs["messages"])
    orjson.dumps(info["new_messages"])
    assert all(isinstance(e["message"], str) for e in info["errors"])
    rec = EpisodeRecord(
        env_id="fuzz",
        task_id=env.task.id,
        seed=0,
        agent="fuzz",
        messages=env.messages,
        tools=obs["tools"],
        reward=float(reward),
        breakdown={},
        terminated=terminated,
        truncated=truncated,
        truncated_by=info.get("truncated_by"),
    )
    orjson.dumps(rec.to_row())
    return info


def call(name, arguments):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {"name": name, "arguments": arguments}}],
    }


# ---- the reported reproducers (gem/photo-framing-v0 after reset(seed=0)) ----------------------
REPRODUCERS = {
    "args nested 255 lists deep (text)": lambda t: (
        '<tool_call>{"name": "%s", "arguments": {"email": %s}}</tool_call>' % (t, "[" * 255 + "1" + "]" * 255)
    ),
    "args nested 300 deep (dict)": lambda t: call(t, {"email": nested(300)}),
    "integer above 64 bits": lambda t: call(t, {"email": 2**70}),
    "integer above 64 bits (text)": lambda t: (
        '<tool_call>{"name": "%s", "arguments": {"email": %d}}</tool_call>' % (t, 2**70)
    ),
    "lone surrogate as a key": lambda t: call(t, {"\ud800": 1}),
    "lone surrogate in a valid argument": lambda t: call(t, {"email": "a\udc00@example.com"}),
    "lone surrogate in content": lambda t: {"role": "assistant", "content": "hello \ud83d"},
    "lone surrogate in raw text": lambda t: "I will call \udfff now",
    "a set": lambda t: call(t, {"email": {1, 2}}),
    "bytes": lambda t: call(t, {"email": b"x@y.z"}),
    "a tuple": lambda t: call(t, {"email": ("x", "y")}),
    "an int key": lambda t: call(t, {1: "x"}),
    "arguments a list": lambda t: call(t, [1, 2]),
    "arguments bytes that are not UTF-8": lambda t: call(t, b"\xff\xfe"),
    "action nested 5000 deep": lambda t: nested(5000),
    "content a list": lambda t: {"role": "assistant", "content": ["part"]},
    "tool_calls a string": lambda t: {"role": "assistant", "tool_calls": "call it"},
    "reasoning a list": lambda t: {"role": "assistant", "content": "x", "reasoning_content": [1]},
    "NaN and Infinity": lambda t: call(t, {"email": [math.nan, math.inf, -math.inf]}),
    "unknown tool with a surrogate name": lambda t: call("\ud800", {}),
    "arguments over the size limit": lambda t: call(t, '{"email": "' + "x" * (2 << 20) + '"}'),
    "2000 calls in one message": lambda t: {
        "role": "assistant",
        "tool_calls": [call(t, {"email": "a@b.c"})["tool_calls"][0]] * 2000,
    },
}


@pytest.mark.parametrize("case", sorted(REPRODUCERS))
def test_reported_action_becomes_an_error_observation(envs, case):
    env = envs["gem/photo-framing-v0"]
    obs, _ = env.reset(seed=0)
    tool = obs["tools"][0]["function"]["name"]
    info = step_ok(env, REPRODUCERS[case](tool))
    if "content" not in case and "reasoning" not in case and "raw text" not in case and "NaN" not in case:
        assert info["errors"], f"{case}: the agent should be told what was wrong"


# ---- strategies -------------------------------------------------------------------------------
surrogate = st.sampled_from(["\ud800", "\udfff", "a\udc00", "\ud83d"])
text = st.one_of(st.text(max_size=30), surrogate, st.sampled_from(["", "\x00", "</tool_call>", "<think>", "{", "NaN"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
json_values = st.recursive(
    scalars, lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(text, kids, max_size=4)), max_leaves=12
)
not_json = st.sampled_from([{1, 2}, b"b", (1, 2), {1: "x"}, {(1,): 2}, object(), bytearray(b"x"), 1j, range(2), ...])
deep = st.integers(min_value=60, max_value=1200).map(nested)
arguments = st.one_of(
    st.dictionaries(text, st.one_of(json_values, not_json, deep), max_size=4),
    json_values,
    not_json,
    st.text(max_size=40),
    st.sampled_from(["{", '{"a": NaN}', "[" * 2000, '{"a": 1e999}', "null"]),
)


def as_json_text(message):
    """A message as JSON text the way a careless agent might write it (big ints, NaN, escaped surrogates)."""
    try:
        return json.dumps(message, default=repr, skipkeys=True)
    except RecursionError:
        return '{"role": "assistant", "tool_calls": ' + "[" * 2000 + "]" * 2000 + "}"


@st.composite
def actions(draw, tools):
    names = [t["function"]["name"] for t in tools] + ["", "nope", "\ud800"]
    one_call = st.builds(
        lambda n, a, i: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
        st.sampled_from(names),
        arguments,
        st.one_of(st.none(), st.just("dup"), st.integers()),
    )
    markup = st.builds(
        lambda n, a, cut: ('<tool_call>{"name": "%s", "arguments": %s}</tool_call>' % (n, a))[:cut],
        st.sampled_from(names),
        st.sampled_from(["{}", '{"x": 1', "[1]", "9" * 30, "[" * 300, '"s"']),
        st.integers(min_value=0, max_value=200),
    )
    json_text = st.builds(
        as_json_text,
        st.fixed_dictionaries(
            {},
            optional={
                "role": st.sampled_from(["assistant", "user", 5]),
                "content": json_values,
                "tool_calls": st.one_of(json_values, st.lists(one_call, max_size=3)),
            },
        ),
    )
    kind = draw(st.sampled_from(["calls", "markup", "text", "value", "shape", "many", "json_message"]))
    if kind == "json_message":  # a whole message serialised as JSON text
        return draw(
            st.one_of(
                json_text,
                st.just('{"tool_calls": ' + "[" * 300 + "]" * 300 + "}"),
                st.just('{"role": "assistant", "tool_calls": "x"}'),
            )
        )
    if kind == "calls":
        return {
            "role": "assistant",
            "content": draw(st.one_of(st.none(), text)),
            "tool_calls": draw(st.lists(one_call, max_size=4)),
        }
    if kind == "markup":
        return draw(st.one_of(text, st.just(""))) + draw(markup)
    if kind == "text":
        return draw(text)
    if kind == "value":
        return draw(st.one_of(json_values, not_json, deep))
    if kind == "many":
        return {"role": "assistant", "tool_calls": [draw(one_call)] * draw(st.integers(min_value=33, max_value=500))}
    return draw(
        st.fixed_dictionaries(
            {},
            optional={
                "content": st.one_of(text, json_values),
                "tool_calls": st.one_of(json_values, st.lists(st.one_of(json_values, one_call), max_size=3)),
                "reasoning_content": json_values,
            },
        )
    )


@pytest.mark.parametrize("env_id", ENVS)
def test_step_never_raises_on_drawn_actions(envs, env_id):
    env = envs[env_id]

    @SETTINGS
    @given(data=st.data())
    def run(data):
        obs, _ = env.reset(seed=data.draw(st.integers(min_value=0, max_value=50)))
        for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
            info = step_ok(env, data.draw(actions(obs["tools"])))
            if env.done:
                break
            assert info["turn"] >= 1

    run()


def test_schema_valid_calls_reach_the_tools_without_raising(envs):
    for env in envs.values():
        for seed in range(15):
            env.reset(seed=seed)
            env.action_space.seed(seed)
            while not env.done:
                step_ok(env, env.action_space.sample())
