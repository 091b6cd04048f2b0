"""What hostile tool schemas cost now: catastrophic patterns and a huge schema, beside Python's ``re``.

Patterns: ``^(a+)+$``, ``^(a|a)*$`` and ``(x+x+)+y`` checked against a failing value of ``n``
characters through ``ToolSet.check_call`` (fast path and the readable-message path, both on
linear-time engines), beside Python's backtracking ``re.search`` on the same value (the baseline,
run only up to ``--re-max`` characters: it doubles with each one). Schema: ``tool_problems`` and
``ToolSet`` on a schema of ``--props`` properties (about 28 MB at 220,000), refused at the size
limit, with the peak memory traced.

    python benchmarks/untrusted_schemas.py
"""

from __future__ import annotations

import argparse
import re
import time
import tracemalloc

import orjson

from tools_registry.errors import ArgumentError, ToolDefinitionError
from tools_registry.validation import ToolSet, tool_problems

PATTERNS = (("^(a+)+$", "a", "!"), ("^(a|a)*$", "a", "!"), ("(x+x+)+y", "x", ""))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def check(ts: ToolSet, value: str) -> None:
    try:
        ts.check_call("t", {"x": value})
    except ArgumentError:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--re-max", type=int, default=22, help="longest value given to Python's re (baseline)")
    ap.add_argument("--props", type=int, default=220_000)
    args = ap.parse_args()
    print("pattern          n   ToolSet.check_call   python re.search (baseline)")
    for pattern, ch, tail in PATTERNS:
        ts = ToolSet(
            [
                {
                    "name": "t",
                    "description": "d",
                    "parameters": {
                        "type": "object",
                        "properties": {"x": {"type": "string", "pattern": pattern, "description": "x"}},
                    },
                }
            ]
        )
        for n in (16, args.re_max, 32, 1000, 100_000):
            value = ch * n + tail
            ours = timed(lambda ts=ts, value=value: check(ts, value))
            base = (
                f"{timed(lambda p=pattern, v=value: re.search(p, v)) * 1000:10.1f} ms"
                if n <= args.re_max
                else "  (skipped: hours)"
            )
            print(f"{pattern:14s} {n:6d} {ours * 1000:12.3f} ms   {base}")
    props = {
        f"p{i}": {"type": "string", "description": f"property number {i} of a very large schema"}
        for i in range(args.props)
    }
    tool = {"name": "t", "description": "d", "parameters": {"type": "object", "properties": props}}
    size = len(orjson.dumps(tool))
    secs = timed(lambda: tool_problems([tool]))
    tracemalloc.start()
    tool_problems([tool])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"schema of {args.props} properties ({size / 1e6:.1f} MB): tool_problems {secs * 1000:.1f} ms, "
        f"peak {peak / 2**20:.1f} MiB: {tool_problems([tool])[0][:90]}"
    )
    start = time.perf_counter()
    try:
        ToolSet([tool])
    except ToolDefinitionError as exc:
        print(f"ToolSet refuses it in {(time.perf_counter() - start) * 1000:.1f} ms: {str(exc)[:90]}")


if __name__ == "__main__":
    main()
