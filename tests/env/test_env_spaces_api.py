"""Spaces sample valid calls and reject bad ones; registration is cheap; the public API is declared."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

from gem_env.env import ToolUseEnv
from gem_env.spaces import ConversationSpace, sample_from_schema
from tools_registry.validation import ToolSet

SCHEMAS = [
    {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 3, "maximum": 5},
            "b": {"type": "string", "enum": ["x", "y"]},
            "c": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2},
            "d": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
            "e": {
                "type": "object",
                "properties": {"f": {"type": "string", "minLength": 2}},
                "required": ["f"],
                "additionalProperties": False,
            },
        },
        "required": ["a", "b", "c", "e"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {"n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
        "required": ["n"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_sample_from_schema_is_valid(schema):
    ts = ToolSet([{"name": "t", "description": "d", "parameters": schema}])
    rng = np.random.default_rng(0)
    for _ in range(200):
        ts.check_call("t", sample_from_schema(schema, rng))


def test_action_space_samples_valid_calls_and_rejects_bad(tiny_domain):
    env = ToolUseEnv(tiny_domain)
    env.reset(seed=0)
    env.action_space.seed(5)
    samples = [env.action_space.sample() for _ in range(50)]
    assert all(env.action_space.contains(s) for s in samples)
    assert {s["tool_calls"][0]["function"]["name"] for s in samples} == {"get_item", "place_order", "cancel_order"}
    env.action_space.seed(5)
    assert env.action_space.sample() == samples[0]  # seeded
    bad = {"role": "assistant", "tool_calls": [{"function": {"name": "get_item", "arguments": {"item_id": 1}}}]}
    assert not env.action_space.contains(bad)
    assert not env.action_space.contains({"role": "user", "content": "hi"})
    assert env.action_space.contains({"role": "assistant", "content": "plain text"})
    assert env.action_space.contains('<tool_call>{"name": "get_item", "arguments": {"item_id": "I-1"}}</tool_call>')
    assert not env.action_space.contains('<tool_call>{"name": "get_item", "arguments": {}}</tool_call>')
    for s in samples[:10]:  # every sampled action steps without an argument error
        env.reset(seed=0)
        info = env.step(s)[4]
        assert all(e["kind"] == "tool" for e in info["errors"])


def test_observation_space_contains():
    space = ConversationSpace(seed=0)
    assert space.contains(space.sample())
    assert not space.contains({"messages": [{"role": "robot"}], "tools": []})
    assert not space.contains({"messages": []})


def test_import_is_light_and_registration_imports_no_tools():
    code = (
        "import sys; import gem_env.registration as r; ids = r.register_envs(); "
        "import gymnasium as gym; assert ids; "
        "bad = [m for m in sys.modules if m.startswith(('torch', 'openai', 'transformers', 'gem_domain_tools'))]; "
        "assert not bad, bad; "
        "env = gym.make(ids[0]); assert any(m.startswith('gem_domain_tools') for m in sys.modules); "
        "assert 'openai' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


MODULES = [
    "gem_env.env",
    "gem_env.spaces",
    "gem_env.tool_backends",
    "gem_env.simulated",
    "gem_env.users",
    "gem_env.rewards",
    "gem_env.registration",
    "gem_env.agents",
    "gem_env.rollout",
    "gem_env.prompts",
    "gem_env.cli.rollout",
    "gem_env._sync",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_resolve(name):
    mod = importlib.import_module(name)
    assert mod.__all__ and all(hasattr(mod, n) for n in mod.__all__)
