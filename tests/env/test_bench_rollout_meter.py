"""The env CPU meter of ``benchmarks/bench_rollout.py``: it counts an env's own running time only.

The benchmark prints the rollout's client CPU less what the envs' ``areset``/``astep`` ran, so a
meter that also counted what other episodes ran while a step was suspended would flatter the
rollout loop. Thread CPU is used on both sides, so a busy machine does not move these bounds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_rollout_meter", REPO / "benchmarks" / "bench_rollout.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class _Env:
    """Stands in for an env: each coroutine burns CPU, yields to the loop, burns again."""

    def __init__(self) -> None:
        self.calls = 0

    async def areset(self, *, seed: int) -> tuple[str, int]:
        _burn(0.02)
        await asyncio.sleep(0.05)
        _burn(0.02)
        return "reset", seed

    async def astep(self, action: str) -> str:
        self.calls += 1
        if action == "fail":
            raise ValueError("bad action")
        _burn(0.02)
        await asyncio.sleep(0.05)
        return action.upper()


def test_the_meter_counts_the_envs_own_cpu_not_what_ran_while_it_waited():
    bench = _bench()
    meter = bench.EnvCpu()
    env = meter.wrap(_Env())

    async def other_episode() -> None:  # runs while the env's coroutines sleep
        for _ in range(8):
            _burn(0.02)
            await asyncio.sleep(0)

    async def main() -> tuple:
        busy = asyncio.create_task(other_episode())
        out = await env.areset(seed=3), await env.astep("hi")
        await busy
        return out

    assert asyncio.run(main()) == (("reset", 3), "HI")
    # the env ran 60 ms of its own; the other episode's 160 ms ran while the env slept
    assert 0.055 <= meter.seconds < 0.12, meter.seconds


def test_the_meter_passes_errors_and_cancellation_through():
    bench = _bench()
    meter = bench.EnvCpu()
    env = meter.wrap(_Env())

    with pytest.raises(ValueError, match="bad action"):
        asyncio.run(env.astep("fail"))

    async def cancel_midway() -> None:
        task = asyncio.create_task(env.areset(seed=1))
        await asyncio.sleep(0.01)  # the env is inside its sleep
        task.cancel()
        await task

    before = meter.seconds
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancel_midway())
    assert 0.015 <= meter.seconds - before < 0.06  # the first burn ran; the second never did
    assert type(env).areset is _Env.areset  # the class is untouched: only this instance is timed


class _Backend:
    def reset(self, setup: str) -> str:
        _burn(0.02)
        return f"state of {setup}"

    def state_json(self) -> bytes:
        _burn(0.02)
        return b"{}"


class _EnvWithState(_Env):
    """An env whose reset builds a tool state and whose step serialises it, as the real one does."""

    def __init__(self) -> None:
        super().__init__()
        self.backend = _Backend()

    async def areset(self, *, seed: int) -> tuple[str, int]:
        built = self.backend.reset(f"task {seed}")
        out = await super().areset(seed=seed)
        return built, out[1]

    async def astep(self, action: str) -> str:
        out = await super().astep(action)
        assert self.backend.state_json() == b"{}"
        return out


def test_the_meter_splits_the_tool_state_out_of_the_envs_work():
    bench = _bench()
    meter = bench.EnvCpu()
    env = meter.wrap(_EnvWithState())

    async def main() -> tuple:
        return await env.areset(seed=2), await env.astep("go")

    assert asyncio.run(main()) == (("state of task 2", 2), "GO")
    # reset and state_json burnt 40 ms of the env's 100 ms; both are inside the env's time
    assert 0.035 <= meter.state_seconds < 0.08, meter.state_seconds
    assert 0.09 <= meter.seconds < 0.2, meter.seconds
    assert meter.state_seconds < meter.seconds
    assert type(env.backend).reset is _Backend.reset  # only this instance's backend is timed


def test_pair_figures_are_per_request_and_relative_to_the_bare_client():
    bench = _bench()
    meter = bench.EnvCpu()
    meter.seconds, meter.state_seconds = 0.3, 0.1
    pair = {
        "rollout": {"requests": 1000, "cpu": 1.2, "seconds": 2.0, "env": meter},
        "bare": {"requests": 1000, "cpu": 0.8, "seconds": 1.9},
    }
    got = bench.pair_figures(pair, latency=0.1, slots=64)
    assert got["rollout"] == pytest.approx(1.2) and got["bare"] == pytest.approx(0.8)
    assert got["env"] == pytest.approx(0.3) and got["state"] == pytest.approx(0.1)
    assert got["loop"] == pytest.approx(0.9)
    assert got["ratio"] == pytest.approx(1.5)
    assert got["loop_ratio"] == pytest.approx(0.9 / 0.8)
    assert got["free_state_ratio"] == pytest.approx(1.1 / 0.8)
    assert got["share"] == pytest.approx(1000 * 0.1 / 64 / 2.0)
