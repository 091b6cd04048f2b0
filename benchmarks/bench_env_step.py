"""Framework overhead of one ToolUseEnv step with Python tools, on one core.

The step measured: an assistant message dict with one tool call (arguments as a dict) -> argument
validation against the tool's JSON Schema (ToolSet, jsonschema-rs) -> the domain's Python tool ->
``format_tool_output`` -> messages appended -> observation and info built. The env is the bare
``ToolUseEnv`` (no Gymnasium wrappers); episodes are reset every ``--episode-len`` steps so the
conversation stays a realistic size (resets are not timed). The floor is the same call without the
env: validate + call + format. Prints median and p90 in microseconds.

    python benchmarks/bench_env_step.py [--domain photo-framing] [--steps 20000]
    python benchmarks/bench_env_step.py --trivial    # a one-line lookup tool: the floor is the framework's

``--trivial`` builds an in-memory domain whose tool is a single dict lookup, so the floor (validate +
call + format) is close to the bare cost of parsing and validating, and the step time shows what
the framework adds on top of a tool that does almost nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

from pydantic import BaseModel

from gem_env.env import ToolUseEnv
from gem_env.registration import make_env
from tools_registry import Domain, Toolkit, tool
from tools_registry.pytools import format_tool_output
from tools_registry.reference import ReferenceBuilder


class _KV(BaseModel):
    items: dict[str, int] = {}


class _Lookup(Toolkit):
    State = _KV

    @tool
    def get_item(self, item_id: str) -> dict:
        """Return one item's count.

        Args:
            item_id: Item id.
        """
        return {"item_id": item_id, "count": self.state.items[item_id]}


def trivial_env() -> ToolUseEnv:
    """An in-memory domain with one dict-lookup tool and one task."""
    state = {"items": {f"I{i}": i for i in range(20)}}
    b = ReferenceBuilder(_Lookup, state)
    b.user("How many I3?")
    b.call("get_item", item_id="I3")
    b.assistant("There are 3.")
    task = b.task(
        "t", "trivial", user={"instruction": "Ask how many I3.", "turns": ["How many I3?"]}, communicate=["3"]
    )
    domain = Domain(
        name="trivial",
        policy="Answer.",
        tools=_Lookup.tool_specs(),
        state_schema=_Lookup.state_schema(),
        initial_state=state,
    )
    return ToolUseEnv(domain, [task], toolkit=_Lookup, tools="python", max_turns=10**9, max_tool_calls_per_turn=10**9)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="photo-framing")
    ap.add_argument("--tool", default="get_order", help="a read-only tool of the domain")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--episode-len", type=int, default=20)
    ap.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: no pinning)")
    ap.add_argument("--trivial", action="store_true", help="use a one-line lookup tool instead of a domain's")
    args = ap.parse_args()
    if args.trivial:
        args.domain, args.tool = "trivial", "get_item"
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    env = (
        trivial_env()
        if args.trivial
        else make_env(args.domain, tools="python", max_turns=10**9, max_tool_calls_per_turn=10**9)
    )
    arguments = next(
        c.function.arguments
        for t in env.tasks
        for m in t.reference
        for c in (m.tool_calls or [])
        if c.function.name == args.tool
    )
    action = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {"name": args.tool, "arguments": arguments}}],
    }
    task_id = env.tasks[0].id

    # --- env step -------------------------------------------------------------------------------
    times: list[float] = []
    env.reset(seed=0, options={"task_id": task_id})
    for _ in range(2000):  # warm-up
        env.step(action)
    gc.collect()
    gc.disable()
    clock = time.perf_counter_ns
    done = 0
    while done < args.steps:
        env.reset(seed=0, options={"task_id": task_id})
        for _ in range(min(args.episode_len, args.steps - done)):
            t0 = clock()
            env.step(action)
            times.append((clock() - t0) / 1000)
            done += 1
    gc.enable()
    last = env.step(action)[4]["new_messages"][-1]["content"]
    assert not last.startswith("Error"), last

    # --- floor: validate + call + format, no env -----------------------------------------------
    toolset = env._toolset
    kit = env.backend._kit
    floor: list[float] = []
    gc.disable()
    for _ in range(args.steps):
        t0 = clock()
        toolset.check_call(args.tool, arguments)
        format_tool_output(kit.call(args.tool, arguments))
        floor.append((clock() - t0) / 1000)
    gc.enable()

    # --- snapshot / restore of a mid-episode env ---------------------------------------------------
    env.reset(seed=0, options={"task_id": task_id})
    for _ in range(10):
        env.step(action)
    snap_t: list[float] = []
    restore_t: list[float] = []
    for _ in range(2000):
        t0 = clock()
        snap = env.snapshot()
        t1 = clock()
        env.restore(snap)
        restore_t.append((clock() - t1) / 1000)
        snap_t.append((t1 - t0) / 1000)

    print(
        f"domain={args.domain} tool={args.tool} steps={args.steps} episode_len={args.episode_len} "
        f"pinned_cpu={args.cpu} load1={os.getloadavg()[0]:.2f}"
    )
    print(
        f"env.step (validate + python tool + format + messages + obs/info): "
        f"median {statistics.median(times):.2f} us, p90 {percentile(times, 0.9):.2f} us"
    )
    print(
        f"floor (validate + python tool + format):                         "
        f"median {statistics.median(floor):.2f} us, p90 {percentile(floor, 0.9):.2f} us"
    )
    print(f"framework overhead over the floor: median {statistics.median(times) - statistics.median(floor):.2f} us")
    print(
        f"snapshot (state {len(env.backend.snapshot())} bytes of JSON, {len(env.messages)} messages): median "
        f"{statistics.median(snap_t):.1f} us; restore: median {statistics.median(restore_t):.1f} us"
    )


if __name__ == "__main__":
    main()
