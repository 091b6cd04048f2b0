"""Acceptance over every bundled domain: oracle 1.0 (python and replay), random 0, exact replays, check_env."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from gem_env.agents import OracleAgent, RandomAgent
from gem_env.registration import make_env, register_envs
from gem_env.rollout import rollout, run_episode
from tools_registry.domains import bundled_dir, discover_domains, load_domain

BUNDLED = sorted(name for name, path in discover_domains().items() if path.parent == bundled_dir())


def test_bundled_domains_are_found():
    assert len(BUNDLED) >= 2, BUNDLED


@pytest.mark.parametrize("domain", BUNDLED)
@pytest.mark.parametrize("tools", ["python", "replay"])
def test_oracle_scores_one_on_every_task(domain, tools):
    loaded = load_domain(discover_domains()[domain])
    env = make_env(domain, tools=tools)
    for task in loaded.tasks:
        rec = run_episode(env, OracleAgent(), task_id=task.id, seed=0)
        assert rec.reward == 1.0, (task.id, rec.breakdown)
        assert rec.terminated and not rec.truncated and rec.error is None
        if tools == "python":  # the oracle's conversation is the reference, message for message
            assert rec.messages[1:] == [m.to_dict() for m in task.reference] or rec.messages == [
                m.to_dict() for m in task.reference
            ]


@pytest.mark.parametrize("domain", BUNDLED)
def test_random_agent_scores_zero_on_every_task(domain):
    loaded = load_domain(discover_domains()[domain])
    env = make_env(domain)
    for task in loaded.tasks:
        rec = run_episode(env, RandomAgent(seed=1), task_id=task.id, seed=5)
        assert rec.reward == 0.0, task.id
        assert rec.breakdown["reward"] == 0.0


@pytest.mark.parametrize("domain", BUNDLED)
def test_same_seed_same_agent_same_trajectory(domain):
    def run():
        recs = rollout(f"gem/{domain}-v0", RandomAgent(seed=3), 6, concurrency=3, seed=11)
        return [(r.task_id, r.messages, r.reward) for r in recs]

    first = run()
    assert first == run()
    assert len({m["tool_calls"][0]["id"] for _, msgs, _ in first for m in msgs if m.get("tool_calls")}) > 1


def test_check_env_passes_on_every_registered_env():
    ids = register_envs()
    assert {f"gem/{d}-v0" for d in BUNDLED} <= set(ids)
    for env_id in ids:
        env = gym.make(env_id)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(env.unwrapped)
        env.close()


def test_unversioned_id_and_did_you_mean():
    register_envs()
    name = BUNDLED[0]
    with pytest.warns(UserWarning, match="latest versioned"):
        env = gym.make(f"gem/{name}")
    assert env.spec.id == f"gem/{name}-v0"
    with pytest.raises(gym.error.NameNotFound, match=f"Did you mean: `{name}`"):
        gym.make(f"gem/{name[:-1]}-v0")


def test_make_passes_kwargs_and_module_prefix(monkeypatch):
    register_envs()
    env = gym.make(f"gem_env.registration:gem/{BUNDLED[0]}-v0", tools="replay", max_turns=3)
    assert env.unwrapped.backend.kind == "replay" and env.unwrapped.max_turns == 3
