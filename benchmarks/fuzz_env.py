"""Fuzz ``env.step`` on the bundled environments: count exceptions (must be 0) and watch memory.

Each action is drawn from one of the hostile classes below (random JSON and text, wrong types and
shapes, huge and deep values, integers past 64 bits, lone surrogates, NaN/Infinity, Python values
that are not JSON, broken ``<tool_call>`` markup, duplicate ids, thousands of calls in one message,
schema-valid calls that reach the tools) and stepped on ``gem/photo-framing-v0``,
``gem/pharmacy-refill-v0`` and ``gem/home-maintenance-v0`` in turn. Anything that escapes
``step`` is an exception; every finished episode is also written as a corpus row
(``EpisodeRecord.to_row()`` through ``orjson``), and a row that cannot be written counts too.
Prints the counts, actions per second and the resident memory at each tenth of the run.

    python benchmarks/fuzz_env.py                  # 60,000 actions (about 10 minutes on a busy 2-core machine)
    python benchmarks/fuzz_env.py --actions 3000   # a quick look
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import random
import time
import traceback

import orjson

from gem_env.registration import make_env
from gem_env.rollout import EpisodeRecord

ENVS = ("gem/photo-framing-v0", "gem/pharmacy-refill-v0", "gem/home-maintenance-v0")
SURROGATES = ("\ud800", "\udfff", "\udc00x", "a\ud83d")


def rss_mib() -> float:
    """Resident set size of this process, MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


_NESTED: dict[int, object] = {}


def nested(depth: int) -> object:
    """A value ``depth`` levels deep (lists and dicts in turn); built once per depth."""
    if depth not in _NESTED:
        v: object = 1
        for i in range(depth):
            v = [v] if i % 2 else {"k": v}
        _NESTED[depth] = v
    return _NESTED[depth]


class Hostile:
    """Draws hostile actions for an environment's current tools."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def text(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.3:
            return "".join(chr(r.randrange(32, 0x2FFF)) for _ in range(r.randrange(0, 40)))
        if kind < 0.5:
            return r.choice(SURROGATES) * r.randrange(1, 4)
        if kind < 0.7:
            return r.choice(["", " ", "\x00", "\n", "{", "</tool_call>", "<think>", "null", "NaN", "\u202e"])
        return "".join(r.choice('ab{}[]":,<>/\\ \x00') for _ in range(r.randrange(0, 60)))

    def json(self, depth: int = 0) -> object:
        r = self.rng
        k = r.random()
        if depth > 3 or k < 0.45:
            return r.choice(
                [
                    None,
                    True,
                    False,
                    0,
                    -1,
                    2**63 - 1,
                    2**64,
                    -(2**63) - 1,
                    10**30,
                    1.5,
                    math.nan,
                    math.inf,
                    -math.inf,
                    -0.0,
                    self.text(),
                    r.randrange(-(10**6), 10**6),
                ]
            )
        if k < 0.7:
            return [self.json(depth + 1) for _ in range(r.randrange(0, 4))]
        return {self.text(): self.json(depth + 1) for _ in range(r.randrange(0, 4))}

    def not_json(self) -> object:
        r = self.rng
        return r.choice(
            [
                {1, 2},
                b"bytes",
                (1, 2),
                {1: "int key"},
                {(1, 2): "tuple key"},
                object(),
                frozenset(),
                bytearray(b"x"),
                1 + 2j,
                range(3),
                {"x": {"y": {3}}},
                [b"\xff"],
                Ellipsis,
                {None: 1},
                {"ok": [1, 2, (3,)]},
            ]
        )

    def arguments(self, params: dict) -> object:
        r = self.rng
        props = list((params.get("properties") or {}).keys()) or ["x"]
        k = r.random()
        if k < 0.25:
            return {p: self.json() for p in r.sample(props, r.randrange(0, len(props) + 1))}
        if k < 0.35:
            return {r.choice(props): nested(r.choice([63, 64, 65, 255, 300, 1000, 5000]))}
        if k < 0.45:
            return {r.choice(props): r.choice([2**64, -(2**65), 10**5000 if r.random() < 0.1 else 2**100])}
        if k < 0.55:
            return {r.choice(SURROGATES): 1} if r.random() < 0.5 else {r.choice(props): r.choice(SURROGATES)}
        if k < 0.65:
            return {r.choice(props): self.not_json()} if r.random() < 0.7 else self.not_json()
        if k < 0.8:
            return r.choice(
                [
                    "",
                    "{",
                    "{}",
                    "[]",
                    "null",
                    "1",
                    '{"a": NaN}',
                    '{"a": Infinity}',
                    '{"a": 1e999}',
                    '{"a": 123456789012345678901234567890}',
                    '{"\\ud800": 1}',
                    "[" * 3000,
                    '{"a": ' + "[" * 300 + "]" * 300 + "}",
                    orjson.dumps({p: "x" for p in props}).decode(),
                    "\ud800",
                    b"{}",
                    b"\xff\xfe",
                    self.text(),
                ]
            )
        return self.json()

    def call(self, tools: list[dict]) -> dict:
        r = self.rng
        fn = r.choice(tools)["function"] if tools else {"name": "x", "parameters": {}}
        name = (
            fn["name"]
            if r.random() < 0.85
            else r.choice(["", "nope", "\ud800", 7, None, "a" * 10_000, fn["name"] + "\n"])
        )
        return {
            "id": r.choice(["call_1", "dup", "", None, 5]),
            "type": "function",
            "function": {"name": name, "arguments": self.arguments(fn.get("parameters") or {})},
        }

    def markup(self, tools: list[dict]) -> str:
        r = self.rng
        name = r.choice(tools)["function"]["name"] if tools else "x"
        body = r.choice(
            [
                orjson.dumps({"name": name, "arguments": {}}).decode(),
                '{"name": "%s", "arguments": {"x": %s}}' % (name, "[" * 255 + "1" + "]" * 255),
                '{"name": "%s", "arguments": {"x": %s' % (name, "[" * 3000),
                '{"name": "%s", "arguments": {"x": 123456789012345678901234567890}}' % name,
                '{"name": "%s", "arguments": {"\\ud800": 1}}' % name,
                '{"name": "%s", "arguments": "{\\"x\\": 1"}' % name,
                '{"name": "%s", "arguments": [1, 2]}' % name,
                '{"name": 5}',
                "not json at all",
                "",
                "{",
                '{"name": "%s" "arguments": {}}' % name,
                '[{"name": "%s"}, {"name": "%s"}]' % (name, name),
                "<tool_call>",
                self.text(),
            ]
        )
        if r.random() < 0.15:  # a whole message serialised as JSON text
            return r.choice(
                [
                    '{"role": "assistant", "tool_calls": "x"}',
                    '{"role": "user", "content": "hi"}',
                    '{"tool_calls": [{"function": {"name": "%s", "arguments": "{"}}]}' % name,
                    '{"tool_calls": ' + "[" * 300 + "]" * 300 + "}",
                    '{"role": "assistant", "content": 5}',
                    '{"tool_calls": [{"function": {"name": "%s", "arguments": {"x": %d}}}]}' % (name, 2**70),
                ]
            )
        text = f"<tool_call>{body}</tool_call>"
        k = r.random()
        if k < 0.2:
            text = text[: r.randrange(len(text) + 1)]  # cut anywhere
        elif k < 0.3:
            text = "<think>" + self.text() + "</think>" + text
        elif k < 0.35:
            text = text * r.randrange(2, 200)
        elif k < 0.4:
            text = self.text() + text + r.choice(SURROGATES)
        return text

    def action(self, env) -> object:
        r = self.rng
        tools = env._tools
        k = r.random()
        if k < 0.12:  # schema-valid calls reach the tool code itself
            return env.action_space.sample()
        if k < 0.35:
            return {
                "role": "assistant",
                "content": None,
                "tool_calls": [self.call(tools) for _ in range(r.randrange(1, 4))],
            }
        if k < 0.5:
            return self.markup(tools)
        if k < 0.58:
            return self.text()
        if k < 0.66:
            return r.choice([None, 5, 1.5, [], [1], {"x"}, b"bytes", self.json(), self.not_json(), nested(5000)])
        if k < 0.76:  # wrong shapes
            return r.choice(
                [
                    {"tool_calls": "call it"},
                    {"tool_calls": {"function": {"name": "x"}}},
                    {"tool_calls": [None, 1, "s"]},
                    {"tool_calls": [{"function": "x"}]},
                    {"tool_calls": [{"function": {"name": ["x"]}}]},
                    {"content": ["part"]},
                    {"content": 5},
                    {"content": {"text": "x"}},
                    {"reasoning_content": [1]},
                    {"content": self.text(), "reasoning_content": self.text()},
                    {},
                    {"role": "user", "content": "hi"},
                    {"content": None, "tool_calls": [self.call(tools)] * 3},
                ]
            )
        if k < 0.77:  # many calls in one message
            few = [self.call(tools) for _ in range(5)]
            return {"content": None, "tool_calls": [r.choice(few) for _ in range(r.choice([33, 200, 2000]))]}
        if k < 0.78:  # huge text
            return r.choice(["x" * (1 << 21), "<tool_call>" + "x" * (1 << 20), {"content": "y" * (1 << 21)}])
        return {"role": "assistant", "content": self.text()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    gen = Hostile(rng)
    envs = [make_env(e) for e in ENVS]
    stats = collections.Counter()
    escaped: collections.Counter[str] = collections.Counter()
    first: dict[str, str] = {}
    started = time.perf_counter()
    per_env = args.actions // len(envs)
    mem = [rss_mib()]
    for which, env in enumerate(envs):
        env.reset(seed=which)
        for i in range(per_env):
            action = gen.action(env)
            try:
                _, _, terminated, truncated, info = env.step(action)
            except Exception as exc:  # noqa: BLE001 - what the benchmark counts
                key = f"{type(exc).__name__}: {str(exc)[:80]}"
                escaped[key] += 1
                first.setdefault(key, traceback.format_exc(limit=6))
                env.reset(seed=i)
                continue
            stats["actions"] += 1
            stats["errors_reported"] += len(info["errors"])
            if terminated or truncated:
                stats["episodes"] += 1
                rec = EpisodeRecord(
                    env_id=ENVS[which],
                    task_id=env.task.id,
                    seed=i,
                    agent="fuzz",
                    messages=env.messages,
                    tools=env._tools,
                    reward=0.0,
                    breakdown={},
                    terminated=terminated,
                    truncated=truncated,
                    truncated_by=info.get("truncated_by"),
                )
                try:
                    orjson.dumps(rec.to_row())
                except Exception as exc:  # noqa: BLE001 - a row that cannot be written is counted
                    key = f"row {type(exc).__name__}: {str(exc)[:80]}"
                    escaped[key] += 1
                    first.setdefault(key, traceback.format_exc(limit=6))
                env.reset(seed=i)
            done = which * per_env + i + 1
            if done % max(1, args.actions // 10) == 0:
                mem.append(rss_mib())
    secs = time.perf_counter() - started
    total = sum(escaped.values())
    print(f"actions: {stats['actions'] + total} on {len(envs)} envs ({', '.join(ENVS)}), seed {args.seed}")
    print(f"exceptions out of env.step or row writing: {total}")
    print(f"episodes written as rows: {stats['episodes']}; errors reported to the agent: {stats['errors_reported']}")
    print(f"{(stats['actions'] + total) / secs:,.0f} actions/s, {secs:.1f}s")
    print("RSS MiB at each tenth: " + " ".join(f"{m:.0f}" for m in mem))
    for key, n in escaped.most_common():
        print(f"  {n:6d}  {key}\n{first[key]}")
    raise SystemExit(1 if total else 0)


if __name__ == "__main__":
    main()
