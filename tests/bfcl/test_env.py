"""The BFCL environments: registration, fidelity on a sample, zero for tool-less agents, reveal, limits, safety."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import pytest

from gem_env.agents import Agent, OracleAgent
from gem_env.bfcl import CATEGORIES, ENV_IDS, category_of, register_bfcl_envs
from gem_env.bfcl.data import ADDITIONAL_FUNCTION_PROMPT, load_entries
from gem_env.bfcl.env import BFCLMultiTurnEnv
from gem_env.rollout import run_episode

pytestmark = pytest.mark.bfcl

SAMPLE = 8  # entries per category and data version in the quick fidelity test (the benchmark runs all)


class Silent(Agent):
    """Answers every turn in words, never calling a tool."""

    name = "silent"

    async def act(self, observation):
        return {"role": "assistant", "content": "I have taken care of it."}


def test_import_does_not_load_bfcl_eval():
    code = (
        "import sys, gem_env, gem_env.bfcl, gem_env.bfcl.suite\n"
        "ids = gem_env.bfcl.register_bfcl_envs()\n"
        "print(len(ids), 'bfcl_eval' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["4", "False"]


def test_registration_and_make():
    assert register_bfcl_envs() == list(ENV_IDS)
    assert ENV_IDS == (
        "gem/bfcl-multi-turn-base-v0",
        "gem/bfcl-multi-turn-miss-func-v0",
        "gem/bfcl-multi-turn-miss-param-v0",
        "gem/bfcl-multi-turn-long-context-v0",
    )
    assert [category_of(e) for e in ENV_IDS] == list(CATEGORIES)
    env = gym.make("gem/bfcl-multi-turn-miss-param-v0").unwrapped
    assert isinstance(env, BFCLMultiTurnEnv) and env.category == "miss_param" and len(env.tasks) == 200
    assert env.version == "v4" and env.domain.name == "bfcl-multi-turn-miss-param"
    from gem_env.bfcl import make_bfcl_env
    from tools_registry.errors import ConfigError

    assert make_bfcl_env("gem/bfcl-multi-turn-base-v0", task_ids=["multi_turn_base_1"]).category == "base"
    with pytest.raises(ConfigError, match="did you mean 'gem/bfcl-multi-turn-base-v0'"):
        make_bfcl_env("gem/bfcl-multi-turn-bas-v0")


@pytest.mark.parametrize("category", CATEGORIES)
def test_ground_truth_replay_passes(category, data_dir):
    ids = [e.id for e in load_entries(category, data_dir)[:SAMPLE]]
    env = BFCLMultiTurnEnv(category, data_dir=data_dir, task_ids=ids)
    for tid in ids:
        rec = run_episode(env, OracleAgent(), task_id=tid)
        assert rec.reward == 1.0, (tid, rec.breakdown)
        assert rec.terminated and not rec.truncated
        turns = rec.breakdown["details"]["turns"]
        assert len(turns) == len(env.entries[tid].ground_truth) and all(t["valid"] for t in turns)


@pytest.mark.parametrize("category", CATEGORIES)
def test_agent_without_tool_calls_scores_zero(category):
    env = BFCLMultiTurnEnv(category)
    rewards = []
    for tid in [t.id for t in env.tasks]:  # every entry
        rec = run_episode(env, Silent(), task_id=tid)
        assert rec.terminated and rec.tool_calls == 0
        assert rec.breakdown["details"]["bfcl"]["error_type"] == "multi_turn:empty_turn_model_response"
        rewards.append(rec.reward)
    assert rewards and set(rewards) == {0.0}


def test_miss_func_reveals_held_out_function_at_its_turn():
    env = BFCLMultiTurnEnv("miss_func", task_ids=["multi_turn_miss_func_0"])
    entry = env.entries["multi_turn_miss_func_0"]
    ((turn, docs),) = entry.missed_function.items()
    held = {d["name"] for d in docs}
    obs, _ = env.reset(options={"task_id": "multi_turn_miss_func_0"})
    names = lambda o: {t["function"]["name"] for t in o["tools"]}
    assert not held & names(obs)
    for t in range(1, turn + 1):
        obs, _reward, term, trunc, _info = env.step({"role": "assistant", "content": "ok"})
        assert not (term or trunc)
        assert (held <= names(obs)) == (t == turn)
    assert obs["messages"][-1] == {"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}


def test_step_limit_ends_the_episode_as_bfcl_force_quits():
    env = BFCLMultiTurnEnv("base", task_ids=["multi_turn_base_0"])
    env.reset(options={"task_id": "multi_turn_base_0"})
    call = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "pwd", "arguments": {}}}]}
    for step in range(21):
        _obs, reward, term, trunc, info = env.step(call)
        assert trunc == (step == 20) and not term
    assert info["truncated_by"] == "bfcl_step_limit" and reward == 0.0
    assert info["reward_breakdown"]["details"]["bfcl"]["error_type"] == "multi_turn:force_terminated"


def test_calls_run_in_bfcl_classes_and_unsafe_calls_never_run():
    env = BFCLMultiTurnEnv("base", task_ids=["multi_turn_base_0"])
    env.reset(options={"task_id": "multi_turn_base_0"})
    fs = env.backend.executor.instances["GorillaFileSystem"]
    calls = [
        ("cd", {"folder": "document"}),
        ("mkdir", {"dir_name": "temp"}),
        ("open", {"file": "/tmp/x", "mode": "w"}),  # a Python builtin bfcl-eval would eval
        ("mkdir", {"dir_name='a'),open(file='/tmp/gem_bfcl_pwned',mode='w'": "x"}),
        ("touch", {"file_name": 5, "extra": 1}),
    ]  # wrong types: bfcl-eval runs it, the tool fails
    msg = {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": n, "arguments": a}} for n, a in calls],
    }
    obs, *_, info = env.step(msg)
    outputs = [m["content"] for m in obs["messages"] if m["role"] == "tool"]
    assert fs._current_dir.name == "document" and "temp" in fs._current_dir.contents
    assert outputs[2] == "Error: unknown function 'open'"
    assert outputs[3].startswith("Error: invalid argument name")
    assert outputs[4].startswith("Error during execution")  # bfcl-eval's own message for a failing call
    assert [e["kind"] for e in info["errors"]] == ["tool", "tool"]
    import os

    assert not os.path.exists("/tmp/gem_bfcl_pwned")


def test_episodes_do_not_share_state_and_snapshots_restore():
    env = BFCLMultiTurnEnv("base", task_ids=["multi_turn_base_0"])
    cd = {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": "cd", "arguments": {"folder": "document"}}}],
    }
    pwd = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "pwd", "arguments": {}}}]}
    env.reset(options={"task_id": "multi_turn_base_0"})
    snap = env.snapshot()
    env.step(cd)
    obs, *_ = env.step(pwd)
    assert "document" in obs["messages"][-1]["content"]
    env.restore(snap)
    obs, *_ = env.step(pwd)
    assert "document" not in obs["messages"][-1]["content"]
    env.reset(options={"task_id": "multi_turn_base_0"})
    obs, *_ = env.step(pwd)
    assert "document" not in obs["messages"][-1]["content"]
    from gem_env.bfcl._bfcl import require_bfcl

    before = sum(1 for k in require_bfcl().utils_globals if k.endswith("_instance"))
    env.close()
    after = sum(1 for k in require_bfcl().utils_globals if k.endswith("_instance"))
    assert after < before


def test_check_env():
    from gymnasium.utils.env_checker import check_env

    register_bfcl_envs()
    check_env(gym.make("gem/bfcl-multi-turn-long-context-v0", task_ids=["multi_turn_long_context_3"]).unwrapped)
