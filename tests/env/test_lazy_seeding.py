"""reset(seed=...) seeds as gymnasium does, although the generator is built only when first used."""

import gymnasium as gym
import pytest
from gymnasium.utils import seeding

from gem_env.registration import make_env


def test_seeded_generator_equals_gymnasiums():
    env = make_env("photo-framing", tools="python")
    env.reset(seed=123, options={"task_id": env.tasks[0].id})
    assert env.np_random_seed == 123
    ref, _ = seeding.np_random(123)
    assert env.np_random.integers(1 << 30, size=5).tolist() == ref.integers(1 << 30, size=5).tolist()


def test_seed_picks_the_same_task_and_snapshot_carries_the_generator():
    env = make_env("photo-framing", tools="python")
    env.reset(seed=7)
    first = env.task.id
    snap = env.snapshot()  # taken before the generator was used again
    draws = env.np_random.integers(1 << 30, size=3).tolist()
    env.restore(snap)
    assert env.np_random.integers(1 << 30, size=3).tolist() == draws
    env.reset(seed=7)
    assert env.task.id == first


def test_unseeded_reset_keeps_the_generator_running():
    env = make_env("photo-framing", tools="python")
    env.reset(seed=5, options={"task_id": env.tasks[0].id})
    a = env.np_random.integers(1 << 30)
    env.reset(options={"task_id": env.tasks[0].id})  # no seed: gymnasium keeps the generator
    ref, _ = seeding.np_random(5)
    ref.integers(1 << 30)
    assert env.np_random.integers(1 << 30) == ref.integers(1 << 30)
    assert a is not None


@pytest.mark.parametrize("bad", [-1, 1.5, "7"])
def test_bad_seed_is_refused_at_reset(bad):
    env = make_env("photo-framing", tools="python")
    with pytest.raises(gym.error.Error, match="Seed must be"):
        env.reset(seed=bad)
