"""τ²-bench per-episode costs, gem's tau2 environments beside tau2's own, measured in one run.

- reset: tau2 builds each episode's environment with its registered constructor (the airline DB,
  7 MB of JSON, loaded and validated) and applies the task's initial state; gem's ``reset`` gives
  the episode a copy-on-access private copy of a DB parsed once per process.
- tool step: one read call through tau2's ``Environment.get_response`` (what tau2's orchestrator
  does per call) vs one gem ``env.step`` carrying the same call (conversation kept short by a
  reset every 20 steps), in rotating order; the overhead is the median of the paired differences. gem's
  backend runs what ``get_response`` runs except its ``logger.debug(f"Response: {resp}")`` line, whose
  f-string formats the result even when the log is off; a third timing, the call without that line,
  gives gem's own overhead.
- reward: tau2's ``evaluate_simulation`` on its own registered domain vs gem's reward (the same
  evaluator on cheap copies, DB compared by signature) for the gold conversation of one task.

    python benchmarks/bench_tau2.py [--domain airline] [--resets 50] [--steps 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="airline")
    ap.add_argument("--resets", type=int, default=50)
    ap.add_argument("--tau2-builds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()

    from gem_env.tau2 import make_tau2_env
    from gem_env.tau2._tau2 import require_tau2
    from gem_env.tau2.fidelity import gold_conversation, run_tau2_pipeline
    from gem_env.score import score_rows

    t2 = require_tau2()
    env = make_tau2_env(f"gem/tau2-{args.domain}-v0", user=["hello", "###STOP###"], max_steps=10**9, max_errors=10**9)
    task = env.tau2_tasks[env.tasks[0].id]
    st = task.initial_state

    build = []
    for _ in range(args.tau2_builds):
        t0 = time.perf_counter()
        tenv = t2.registry.get_env_constructor(args.domain)()
        tenv.set_state(
            initialization_data=st.initialization_data if st else None,
            initialization_actions=st.initialization_actions if st else None,
            message_history=[],
        )
        build.append(time.perf_counter() - t0)
    ours = []
    for i in range(args.resets):
        t0 = time.perf_counter()
        env.reset(options={"task_id": env.tasks[i % len(env.tasks)].id})
        ours.append(time.perf_counter() - t0)
    b, o = statistics.median(build), statistics.median(ours)
    print(f"domain={args.domain} load1={os.getloadavg()[0]:.2f}")
    print(
        f"episode start: tau2 builds its environment in {b * 1e3:.1f} ms (median of {len(build)}); "
        f"gem reset {o * 1e3:.2f} ms (median of {len(ours)}) -> {b / o:.0f}x cheaper"
    )

    call = {
        "get_reservation_details": {"reservation_id": "EHGLP3"},
        "get_order_details": {"order_id": "#W2378156"},
        "get_task": {"task_id": "task_1"},
    }
    name = next(n for n in call if tenv.tools.has_tool(n))
    tc = t2.ToolCall(id="c", name=name, arguments=call[name], requestor="assistant")
    tenv.get_response(tc)
    action = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c", "type": "function", "function": {"name": name, "arguments": call[name]}}],
    }

    def bare_call() -> str:  # get_response's work without its debug line (what gem's backend runs)
        try:
            resp = tenv.make_tool_call(name, requestor="assistant", **call[name])
            tenv.sync_tools()
        except Exception as e:
            resp = f"Error: {e}"
        return tenv.to_json_str(resp)

    def tau2_call() -> None:
        tenv.get_response(tc)

    def gem_step() -> None:
        env.step(action)

    timed = {"tau2": tau2_call, "gem": gem_step, "bare": bare_call}
    orders = [("tau2", "gem", "bare"), ("gem", "bare", "tau2"), ("bare", "tau2", "gem")]
    took: dict[str, list[float]] = {k: [] for k in timed}
    for i in range(args.steps):  # paired and in rotating order, so load and cache effects hit all alike
        if i % 20 == 0:
            env.reset(options={"task_id": env.tasks[0].id})
            env.step(action)  # the first read copies the entry into the episode's DB
        for key in orders[i % 3]:
            t0 = time.perf_counter()
            timed[key]()
            took[key].append(time.perf_counter() - t0)
    theirs, mine, bare = took["tau2"], took["gem"], took["bare"]
    diffs = [m - t for m, t in zip(mine, theirs)]
    bare_diffs = [m - b for m, b in zip(mine, bare)]
    print(
        f"tool step ({name}): tau2 get_response {_median_us(theirs):.1f} us, gem env.step {_median_us(mine):.1f} us "
        f"(medians of {args.steps}) -> overhead {_median_us(diffs):.1f} us (median of paired differences)"
    )
    print(
        f"  the same call without get_response's debug f-string (make_tool_call, sync_tools, to_json_str: what "
        f"gem's backend runs) {_median_us(bare):.1f} us -> gem's own overhead {_median_us(bare_diffs):.1f} us "
        f"(median of paired differences)"
    )

    conv = gold_conversation(task)
    t0 = time.perf_counter()
    ref, _ = run_tau2_pipeline(args.domain, task, conv)
    their_pipeline = time.perf_counter() - t0
    t0 = time.perf_counter()
    (res,) = score_rows(f"gem/tau2-{args.domain}-v0", [{"task_id": task.id, "messages": conv}])
    our_score = time.perf_counter() - t0
    print(
        f"gold conversation of task {task.id}: tau2's own pipeline + evaluator {their_pipeline * 1e3:.0f} ms "
        f"(reward {ref}); gem episode + reward {our_score * 1e3:.0f} ms (reward {res.reward})"
    )


if __name__ == "__main__":
    main()
