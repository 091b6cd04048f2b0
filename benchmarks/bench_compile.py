"""Compiled tools: step time beside the Python backend, compile throughput, and the verifier's mutation score.

1. Step: programs for three tools of the bundled ``photo-framing`` domain (``get_order``,
   ``find_customer``, ``cancel_order``, written in the program language the way a teacher writes
   them) answer the same calls as the domain's ``tools.py``; outputs are checked equal, then the
   median of ``backend.call`` is timed for both backends in the same run (a write's state is
   restored between calls, untimed).
2. Throughput: ``compile_item`` (teacher call, parse, compile, verify, certify) on ``--items``
   FakeTeacher items with a zero-latency teacher.
3. Mutation score: mutants of the photo-framing programs (reference: calls with both successes and
   errors, outputs and final state from ``tools.py``), of every FakeTeacher program set, and of a
   small shop domain; the verifier (reference replay with the expected final state) must reject
   the mutants that change an output or the final state.

    python benchmarks/bench_compile.py [--calls 3000] [--items 200]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import statistics
import time

import orjson

from gem_env.compiled import ProgramSet
from gem_env.compiled.backend import CompiledToolBackend
from gem_env.compiled.mutants import mutation_score
from gem_env.tool_backends import EpisodeSetup, PythonToolBackend
from tools_registry.domains import bundled_dir, load_domain
from tools_registry.records import Message
from tools_registry.reference import ReferenceBuilder

FIND_ORDER = {"find": "orders", "key": "$args.order_id", "as": "order", "else": "order {args.order_id} not found"}
FRAMING = {
    "format": "gem-program/v1",
    "tools": {
        "get_order": {"steps": [FIND_ORDER], "return": "$order"},
        "find_customer": {
            "steps": [
                {"let": "wanted", "value": {"$lower": "$args.email"}},
                {
                    "find": "customers",
                    "where": {"email": "$wanted"},
                    "as": "customer",
                    "else": "no customer with email {wanted}",
                },
            ],
            "return": "$customer",
        },
        "cancel_order": {
            "steps": [
                FIND_ORDER,
                {
                    "check": {"$eq": ["$order.status", "received"]},
                    "else": "order {args.order_id} is {order.status} and can no longer be cancelled",
                },
                {"update": "order", "set": {"status": "cancelled", "refund_amount": "$order.price.total"}},
            ],
            "return": {
                "order_id": "$args.order_id",
                "status": "$order.status",
                "refund_amount": "$order.refund_amount",
            },
        },
    },
}
CALLS = [
    ("get_order", {"order_id": "ORD-50214"}),
    ("get_order", {"order_id": "ORD-99999"}),
    ("find_customer", {"email": "Maya.Okafor@gmail.com"}),
    ("find_customer", {"email": "nobody@x.org"}),
    ("cancel_order", {"order_id": "ORD-50211"}),
    ("cancel_order", {"order_id": "ORD-50214"}),
    ("get_order", {"order_id": "ORD-50214"}),
    ("cancel_order", {"order_id": "ORD-50214"}),
]


def framing_setup():
    ld = load_domain(bundled_dir() / "photo-framing")
    d = ld.domain
    setup = EpisodeSetup(
        task=ld.tasks[0],
        domain=d,
        tools=list(d.tools),
        policy=d.policy,
        initial_state=d.initial_state,
        initial_state_json=orjson.dumps(d.initial_state),
    )
    return ld, setup


def framing_reference(ld) -> tuple[list[Message], dict]:
    """The CALLS run on tools.py: the reference conversation and its final state."""
    b = ReferenceBuilder(ld.toolkit, ld.domain.initial_state)
    b.user("help")
    for name, args in CALLS:
        try:
            b.call(name, **args)
        except AssertionError:
            b.call(name, expect_error=True, **args)
    return b.messages, b.kit.dump_state()


def step_medians(n: int) -> None:
    ld, setup = framing_setup()
    py, comp = PythonToolBackend(ld.toolkit), CompiledToolBackend(ProgramSet(FRAMING))
    for b in (py, comp):
        b.reset(setup)
    for name, args in CALLS:  # same answers on the same calls
        outs = []
        for b in (py, comp):
            try:
                outs.append(orjson.loads(b.call(name, dict(args), [])))
            except Exception as exc:  # noqa: BLE001 - compare the error texts
                outs.append(str(exc))
        assert outs[0] == outs[1], (name, args, outs)
    print(f"step: median of {n} backend.call()s, us (photo-framing state {len(setup.initial_state_json)} bytes)")
    print(f"{'tool':<34} {'compiled':>9} {'python':>9}")
    for name, args, write in (
        ("get_order", {"order_id": "ORD-50214"}, False),
        ("find_customer", {"email": "grace.liu@protonmail.com"}, False),
        ("cancel_order", {"order_id": "ORD-50214"}, True),
    ):
        row = []
        for b in (comp, py):
            b.reset(setup)
            snap = b.snapshot()
            times = []
            for _ in range(n):
                t = time.perf_counter_ns()
                b.call(name, dict(args), [])
                times.append(time.perf_counter_ns() - t)
                if write:
                    b.restore(snap)
            row.append(statistics.median(times) / 1000)
        label = f"{name} ({'write' if write else 'read'})"
        print(f"{label:<34} {row[0]:>9.1f} {row[1]:>9.1f}")


def throughput(items: int) -> None:
    from synth.compile import compile_item
    from synth.convert import tools_from_json, trajectory_from_compact
    from synth.testing import FakeTeacher, fake_backend

    teacher = FakeTeacher()
    work = []
    for i in range(items):
        text = f"Procedure {i}: look the record up\n1. Find it.\n2. Change its status.\n3. Confirm."
        data = orjson.loads(
            teacher.reply(
                [{"role": "system", "content": "(GEM stage: refine)"}, {"role": "user", "content": f"<<<\n{text}\n>>>"}]
            )
        )
        work.append(
            (
                trajectory_from_compact(data, tools_from_json(data["tools"], [])),
                data["state_schema"],
                data["initial_state"],
            )
        )
    backend = fake_backend()

    async def run():
        return [await compile_item(backend, t, s, st) for t, s, st in work]

    start = time.perf_counter()
    results = asyncio.run(run())
    secs = time.perf_counter() - start
    certified = sum(bool(r.certificate and r.certificate["passed"]) for r in results)
    print(
        f"\nthroughput: {items} items compiled+verified+certified in {secs:.2f}s = {items / secs:.0f} items/s "
        f"(zero-latency FakeTeacher; {certified}/{items} certified; certificate: 4 random episodes each)"
    )


def mutation() -> None:
    from synth.convert import tools_from_json, trajectory_from_compact
    from synth.testing import FakeTeacher, fake_programs

    ld, _ = framing_setup()
    msgs, final = framing_reference(ld)
    subjects = [("photo-framing", FRAMING, msgs, ld.domain.initial_state, final, {"get_order", "find_customer"})]
    for text in ("order desk", "ticket queue", "bookings", "devices", "clinic", "requests", "a", "b", "c"):
        data = orjson.loads(
            FakeTeacher().reply(
                [{"role": "system", "content": "(GEM stage: refine)"}, {"role": "user", "content": f"<<<\n{text}\n>>>"}]
            )
        )
        traj = trajectory_from_compact(data, tools_from_json(data["tools"], []))
        progs = {"format": "gem-program/v1", "tools": fake_programs(traj.tools[0].name.removeprefix("get_"))}
        state = data["initial_state"]
        ps = ProgramSet(progs)
        s = copy.deepcopy(state)
        for m in traj.messages:
            for c in m.tool_calls or []:
                try:
                    ps.call(s, c.function.name, dict(c.function.arguments))
                except Exception:  # noqa: BLE001, S112 - errors change nothing
                    continue
        subjects.append(
            (traj.tools[0].name, progs, traj.messages, state, s, {t.name for t in traj.tools if not t.mutates})
        )
    total = {"scored": 0, "rejected": 0}
    kinds: dict[str, list[int]] = {}
    missed = []
    seen = set()
    for label, progs, messages, state, final_state, read_only in subjects:
        key = orjson.dumps(progs, option=orjson.OPT_SORT_KEYS)
        if key in seen:
            continue
        seen.add(key)
        r = mutation_score(progs, messages, state, expected_final_state=final_state, read_only=read_only)
        total["scored"] += r["scored"]
        total["rejected"] += r["rejected"]
        for k, row in r["kinds"].items():
            acc = kinds.setdefault(k, [0, 0, 0])
            acc[0] += row["mutants"]
            acc[1] += row["mutants"] - row["equivalent"]
            acc[2] += row["rejected"]
        missed += [f"{label}: {m}" for m in r["missed"]]
    print(
        f"\nmutation score over {len(seen)} program sets (mutants that change an output or the final state "
        f"on the reference, rejected by the verifier):"
    )
    print(f"{'kind':<12} {'mutants':>8} {'changing':>9} {'rejected':>9}")
    for k, (n, changing, rej) in sorted(kinds.items()):
        print(f"{k:<12} {n:>8} {changing:>9} {rej:>9}")
    score = total["rejected"] / max(total["scored"], 1)
    print(f"mutation score: {total['rejected']}/{total['scored']} = {score:.1%}")
    for m in missed[:10]:
        print(f"  missed: {m}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--items", type=int, default=200)
    a = ap.parse_args()
    step_medians(a.calls)
    throughput(a.items)
    mutation()


if __name__ == "__main__":
    main()
