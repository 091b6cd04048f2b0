"""A rule-based stand-in teacher for tests, benchmarks and offline demos (public testing API).

``FakeTeacher`` answers every stage prompt (select, extract, generate, refine, judge, synthesizer,
compile)
with a valid reply built from the segment's text: tools over one entity ("order", "ticket", ...),
a conversation that follows the turn grammar and pattern quotas, and a database that its tool
outputs agree with. It writes no real content; it proves the plumbing, not the teacher. Use it
through ``fake_backend()`` (a ``gem_env.llm.testing``-style ScriptedBackend).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from typing import Any

import orjson

from .prefilter import passes_prefilter

__all__ = ["FakeTeacher", "fake_backend", "fake_programs", "source_text", "stage_of"]

_STAGE = re.compile(r"\(GEM stage: (\w+)\)")
_TEXT = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
_NOUNS = ("order", "ticket", "booking", "device", "appointment", "request")
_DOMAINS = {
    "order": ("shopping_retail", "e_commerce"),
    "ticket": ("computers_electronics", "customer_support"),
    "booking": ("travel", "travel_booking"),
    "device": ("computers_electronics", "device_configuration"),
    "appointment": ("health", "scheduling_calendar"),
    "request": ("work_world", "it_operations"),
}


def stage_of(messages: list[dict[str, Any]]) -> str:
    """The stage a prompt is for, read from its ``(GEM stage: ...)`` marker; ``unknown`` without one."""
    m = _STAGE.search(messages[0].get("content") or "")
    return m.group(1) if m else "unknown"


def source_text(messages: list[dict[str, Any]]) -> str:
    """The source text between the ``<<<``/``>>>`` fences of the last message, else its whole content."""
    user = messages[-1].get("content") or ""
    m = _TEXT.search(user)
    return m.group(1) if m else user


def _noun(text: str) -> str:
    return _NOUNS[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(_NOUNS)]


def _summary(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "a task"
    return first[:90].rstrip(". ")


def _tools(n: str, mcp: bool) -> list[dict[str, Any]]:
    idp = {"type": "string", "description": f"ID of the {n}, e.g. as given by the user."}
    specs = [
        (f"get_{n}", f"Look up one {n} by its ID.", {f"{n}_id": idp}, [f"{n}_id"], False),
        (
            f"update_{n}_status",
            f"Change the status of one {n}.",
            {
                f"{n}_id": idp,
                "status": {
                    "type": "string",
                    "enum": ["open", "scheduled", "done"],
                    "description": "The new status.",
                },
            },
            [f"{n}_id", "status"],
            True,
        ),
        (
            f"list_{n}s",
            f"List the {n}s of one account.",
            {"owner_id": {"type": "string", "description": "Account ID of the owner."}},
            ["owner_id"],
            False,
        ),
    ]
    out = []
    for name, desc, props, req, mutates in specs:
        schema = {"type": "object", "properties": props, "required": req}
        out.append(
            {
                "name": name,
                "description": desc,
                "mutates": mutates,
                **({"inputSchema": schema} if mcp else {"parameters": schema}),
            }
        )
    return out


def _state(n: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    rec = {
        "type": "object",
        "properties": {
            f"{n}_id": {"type": "string"},
            "owner_id": {"type": "string"},
            "status": {"type": "string"},
            "title": {"type": "string"},
        },
        "required": [f"{n}_id", "owner_id", "status", "title"],
    }
    schema = {
        "type": "object",
        "properties": {f"{n}s": {"type": "array", "items": rec}},
        "required": [f"{n}s"],
    }
    title = _summary(text)
    state = {
        f"{n}s": [
            {f"{n}_id": "N-1001", "owner_id": "U-77", "status": "open", "title": title},
            {f"{n}_id": "N-1002", "owner_id": "U-77", "status": "done", "title": "older " + n},
        ]
    }
    return schema, state


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [{"name": name, "arguments": args}]}


def _conversation(n: str, text: str, refined: bool) -> dict[str, Any]:
    summary = _summary(text).lower()
    _, state = _state(n, text)
    rec = state[f"{n}s"][0]
    msgs: list[dict[str, Any]] = [
        {"role": "user", "content": f"hey, can you help me with this: {summary}?"},
        {"role": "assistant", "content": f"Sure. Which {n} is it? Please give me its ID."},
    ]
    if refined:
        msgs += [
            {
                "role": "user",
                "content": "It's N-1001. Please mark it done once you've checked it. "
                "Oh and what's the status of N-1003?",
            },
            _call(f"get_{n}", **{f"{n}_id": "N-1003"}),
            {"role": "tool", "name": f"get_{n}", "content": f"Error: {n} N-1003 not found"},
        ]
    else:
        msgs += [{"role": "user", "content": "It's N-1001. Please mark it done once you've checked it."}]
    msgs += [
        _call(f"get_{n}", **{f"{n}_id": "N-1001"}),
        {"role": "tool", "name": f"get_{n}", "content": orjson.dumps(rec).decode()},
        {
            "role": "assistant",
            "content": f"{n.capitalize()} N-1001 ({rec['title']}) is open. Marking it done "
            f"cannot be undone. Shall I go ahead?",
        },
        {"role": "user", "content": "yes go ahead"},
        _call(f"update_{n}_status", **{f"{n}_id": "N-1001", "status": "done"}),
        {
            "role": "tool",
            "name": f"update_{n}_status",
            "content": orjson.dumps({f"{n}_id": "N-1001", "status": "done"}).decode(),
        },
        {
            "role": "assistant",
            "content": "Done: N-1001 is now marked done."
            + (" I could not find N-1003; please check that ID." if refined else ""),
        },
    ]
    confirm = next(i for i, m in enumerate(msgs) if "Shall I" in (m.get("content") or ""))
    patterns = [
        {"pattern": "clarification", "turn": 1},
        {"pattern": "domain_rule", "turn": confirm},
        {"pattern": "multi_hop", "turn": len(msgs) - 1},
    ]
    if refined:
        patterns.append({"pattern": "error_recovery", "turn": 5})
    system = (
        f"You are a support assistant for {n}s. Rules: look a {n} up before changing it; ask for IDs you "
        f"were not given; confirm before marking a {n} done; never reveal other accounts' {n}s."
    )
    return {"system": system, "messages": msgs, "patterns": patterns}


def fake_programs(n: str) -> dict[str, Any]:
    """Programs (gem-program/v1) for the three tools of :func:`_tools`, matching :func:`_conversation`."""
    find = {"find": f"{n}s", "where": {f"{n}_id": f"$args.{n}_id"}, "as": n, "else": f"{n} {{args.{n}_id}} not found"}
    return {
        f"get_{n}": {"steps": [find], "return": f"${n}"},
        f"update_{n}_status": {
            "steps": [find, {"update": n, "set": {"status": "$args.status"}}],
            "return": {f"{n}_id": f"${n}.{n}_id", "status": f"${n}.status"},
        },
        f"list_{n}s": {
            "steps": [{"filter": f"{n}s", "where": {"owner_id": "$args.owner_id"}, "as": "items"}],
            "return": "$items",
        },
    }


class FakeTeacher:
    """Callable for ``ScriptedBackend``: a valid reply for whichever stage prompt it is given.

    Args:
        delay_s: Sleep per call (asyncio), to imitate latency.
        damage: Optional ``(stage, text) -> text`` to corrupt replies in tests.
        judge: The verdict the judge stage returns.
    """

    def __init__(
        self,
        delay_s: float = 0.0,
        damage: Callable[[str, str], str] | None = None,
        judge: dict[str, int] | None = None,
    ):
        self.delay_s = delay_s
        self.damage = damage
        self.verdict = judge or {"R1": 1, "R2": 1, "R3": 1}

    def reply(self, messages: list[dict[str, Any]]) -> str:
        """The canned JSON reply to a prompt, built from its stage and source text (damaged if configured)."""
        stage = stage_of(messages)
        text = source_text(messages)
        n = _noun(text)
        domain, task = _DOMAINS[n]
        tags = {"summary": _summary(text), "domain": domain, "platform": "computer", "task": task}
        if stage == "select":
            out: Any = {"multi_step": True, **tags} if passes_prefilter(text) else {"multi_step": False}
        elif stage == "extract":
            out = {
                "workflows": [
                    {
                        "description": f"Handle a {n} from lookup to status change.",
                        "steps": [f"Step 1: look up the {n}", "Step 2: update its status"],
                        "execution_graph": f"(get_{n})->(update_{n}_status)",
                        "actions": [{"name": f"get_{n}", "arguments": {f"{n}_id": "N-1001"}}],
                    }
                ],
                "tools": _tools(n, mcp=True),
            }
        elif stage == "generate":
            out = _conversation(n, text, refined=False)
        elif stage == "refine":
            schema, state = _state(n, text)
            out = {
                **_conversation(n, text, refined=True),
                "tools": _tools(n, mcp=True),
                "state_schema": schema,
                "initial_state": state,
            }
        elif stage == "judge":
            out = dict(self.verdict)
        elif stage == "compile":
            tool = re.search(r'"name": "get_([a-z]+)"', messages[1].get("content") or "")
            out = {"programs": fake_programs(tool.group(1) if tool else n)}
        elif stage == "synthesizer":
            schema, state = _state(n, text)
            out = {
                "format": "gem-synth/v1",
                "tags": tags,
                "tools": _tools(n, mcp=False),
                "state_schema": schema,
                "initial_state": state,
                **_conversation(n, text, refined=True),
            }
        else:
            out = {"error": f"unknown stage {stage}"}
        raw = orjson.dumps(out).decode()
        return self.damage(stage, raw) if self.damage else raw

    async def __call__(
        self,
        messages: list[dict[str, Any]],
        tools: Any = None,
        response_format: Any = None,
        sampling: Any = None,
    ) -> str:
        """Reply to ``messages`` after ``delay_s``; the other arguments are accepted and ignored."""
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return self.reply(messages)


def fake_backend(
    delay_s: float = 0.0,
    damage: Callable[[str, str], str] | None = None,
    *,
    judge: dict[str, int] | None = None,
    model: str = "fake-teacher",
) -> Any:
    """A ScriptedBackend answering with :class:`FakeTeacher`."""
    from gem_env.llm.testing import ScriptedBackend

    return ScriptedBackend(FakeTeacher(delay_s, damage, judge), model=model)
