"""Costs kept off the episode path without changing behaviour: lazy seeding, the rollout's GC threshold."""

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


def test_rollout_raises_the_young_gc_threshold_only_while_it_runs():
    import gc

    from gem_env.rollout import YOUNG_GC_THRESHOLD, rollout, young_gc_threshold

    before = gc.get_threshold()
    seen = []

    from gem_env.agents import Agent

    class Probe(Agent):
        name = "probe"

        def clone(self):
            return self

        def reset(self, task=None, seed=None):
            seen.append(gc.get_threshold()[0])

        async def act(self, obs):
            return {"role": "assistant", "content": "done"}

    rollout("photo-framing", Probe(), 2, concurrency=2)
    assert seen and all(t == max(YOUNG_GC_THRESHOLD, before[0]) for t in seen)
    assert gc.get_threshold() == before
    rollout("photo-framing", Probe(), 1, gc_threshold=None)
    assert seen[-1] == before[0], "None leaves Python's setting"
    with young_gc_threshold(10):  # never lowers it
        assert gc.get_threshold()[0] == before[0]
    gc.set_threshold(12345, *before[1:])
    try:
        with young_gc_threshold():
            gc.set_threshold(777, *before[1:])  # changed by someone else meanwhile: kept
        assert gc.get_threshold()[0] == 777
    finally:
        gc.set_threshold(*before)


@pytest.mark.parametrize("mode", ["step", "astep"])
def test_a_failed_tool_call_leaves_no_reference_cycle(tiny_domain, mode):
    """The caught error's traceback would tie its frames (the toolkit, the episode) into a cycle
    that only the cycle collector frees; the error observation needs its message only."""
    import asyncio
    import gc
    import weakref

    env = make_env(tiny_domain, tools="python")
    env.reset(seed=0, options={"task_id": "chair-price"})
    kit = weakref.ref(env.backend._kit)
    call = {"id": "c1", "type": "function", "function": {"name": "get_item", "arguments": '{"item_id": "I-9"}'}}
    action = {"role": "assistant", "content": "", "tool_calls": [call]}
    gc.disable()
    try:
        obs, *_ = env.step(action) if mode == "step" else asyncio.run(env.astep(action))
        assert obs["messages"][-1]["content"] == "Error: no item I-9"
        env.reset(seed=1, options={"task_id": "chair-price"})  # the episode's toolkit is dropped
        assert kit() is None, "the failed call's frames keep the old toolkit alive until a GC pass"
    finally:
        gc.enable()


def test_rollout_workers_send_their_first_requests_while_later_ones_start():
    """Started together, every worker would build its env before any request left the loop."""
    import asyncio

    from gem_env.agents import Agent
    from gem_env.rollout import arollout

    events: list[str] = []
    base = make_env("photo-framing", tools="python")

    def factory():
        events.append("build")
        return make_env(base.loaded, tools="python")

    class Probe(Agent):
        name = "probe"

        def clone(self):
            return self

        def reset(self, task=None, seed=None):
            pass

        async def act(self, obs):
            await asyncio.sleep(0)  # a request handed to the transport resumes one loop turn later
            events.append("sent")
            return {"role": "assistant", "content": "done"}

    asyncio.run(arollout(factory, Probe(), 8, concurrency=8))
    assert events.count("build") == 8
    assert events.index("sent") < len(events) - events[::-1].index("build") - 1, events


def test_a_worker_error_stops_the_other_workers_before_it_leaves_arollout(tmp_path):
    """A configuration mistake stops the run; no worker keeps running (writing to a closed file)."""
    import asyncio

    from gem_env.agents import Agent
    from gem_env.rollout import arollout
    from tools_registry.errors import ConfigError

    class Breaks(Agent):
        name = "breaks"
        calls = 0

        def clone(self):
            return self

        def reset(self, task=None, seed=None):
            pass

        async def act(self, obs):
            Breaks.calls += 1
            if Breaks.calls == 5:
                raise ConfigError("the agent is misconfigured")
            await asyncio.sleep(0.01)
            return {"role": "assistant", "content": "done"}

    async def main():
        with pytest.raises(ConfigError, match="misconfigured"):
            await arollout("photo-framing", Breaks(), 50, concurrency=4, output=tmp_path / "rows.jsonl")
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(main()) == []
