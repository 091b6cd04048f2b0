"""One planted defect per validation rule: each is caught by its rule; the clean trajectory passes all."""

import asyncio
import copy

import orjson
import pytest

from synth.consistency import replay_problems, state_problems
from synth.convert import tools_from_json, trajectory_from_compact
from synth.records import EnvSpec
from synth.stages.refine import env_problems
from synth.rules import pattern_problems, trajectory_problems
from synth.testing import _conversation, _state, _tools

TEXT = "How to close a support request\n1. Find the request.\n2. Check it.\n3. Mark it done."
NOUN = "ticket"


def clean():
    conv = _conversation(NOUN, TEXT, refined=True)
    schema, state = _state(NOUN, TEXT)
    return conv, _tools(NOUN, mcp=True), schema, state


def build(conv, tools):
    return trajectory_from_compact(conv, tools_from_json(tools))


def all_problems(conv, tools, schema, state):
    traj = build(conv, tools)
    return (
        trajectory_problems(traj, refined=True)
        + pattern_problems(conv["patterns"], traj)
        + env_problems(EnvSpec(state_schema=schema, initial_state=state))
        + state_problems(traj, state)
    )


def test_clean_trajectory_passes_every_rule():
    assert all_problems(*clean()) == []


def _msg(conv, pred):
    return next(m for m in conv["messages"] if pred(m))


def plant_ungrounded(conv, tools, schema, state):
    _msg(conv, lambda m: m.get("tool_calls"))["tool_calls"][0]["arguments"]["ticket_id"] = "N-9999"


def plant_unknown_tool(conv, tools, schema, state):
    _msg(conv, lambda m: m.get("tool_calls"))["tool_calls"][0]["name"] = "delete_everything"


def plant_bad_argument(conv, tools, schema, state):
    calls = [m for m in conv["messages"] if m.get("tool_calls")]
    calls[-1]["tool_calls"][0]["arguments"]["status"] = 5


def plant_turn_order(conv, tools, schema, state):
    conv["messages"].insert(1, {"role": "user", "content": "hello? anyone?"})


def plant_unanswered(conv, tools, schema, state):
    idx = next(i for i, m in enumerate(conv["messages"]) if m["role"] == "tool")
    del conv["messages"][idx]


def plant_placeholder(conv, tools, schema, state):
    _msg(conv, lambda m: m["role"] == "assistant" and m.get("content") and not m.get("tool_calls"))["content"] += (
        " I found 5+ more results as well."
    )


def plant_two_calls(conv, tools, schema, state):
    m = _msg(conv, lambda m: m.get("tool_calls"))
    m["tool_calls"].append(dict(m["tool_calls"][0]))


def plant_prose_output(conv, tools, schema, state):
    _msg(conv, lambda m: m["role"] == "tool")["content"] = "Something went wrong.\nPlease try again later, " * 10


def plant_ends_with_user(conv, tools, schema, state):
    conv["messages"].append({"role": "user", "content": "thanks!"})


def plant_few_patterns(conv, tools, schema, state):
    conv["patterns"] = [{"pattern": "clarification", "turn": 1}, {"pattern": "multi_hop", "turn": 3}]


def plant_pattern_overuse(conv, tools, schema, state):
    conv["patterns"] += [{"pattern": "clarification", "turn": 1}] * 2


def plant_fake_error_recovery(conv, tools, schema, state):
    conv["patterns"] = [p for p in conv["patterns"] if p["pattern"] != "error_recovery"] + [
        {"pattern": "error_recovery", "turn": len(conv["messages"]) - 1}
    ]


def plant_state_value(conv, tools, schema, state):
    m = next(
        m for m in conv["messages"] if m["role"] == "tool" and m["content"].startswith("{") and '"open"' in m["content"]
    )
    m["content"] = m["content"].replace('"open"', '"scheduled"')


def plant_state_not_found(conv, tools, schema, state):
    m = next(m for m in conv["messages"] if m["role"] == "tool" and '"open"' in m["content"])
    m["content"] = "Error: ticket N-1001 not found"


def plant_state_unknown_record(conv, tools, schema, state):
    m = next(m for m in conv["messages"] if m["role"] == "tool" and '"open"' in m["content"])
    m["content"] = orjson.dumps([orjson.loads(m["content"]), {"ticket_id": "N-5555", "status": "open"}]).decode()


def plant_bad_tool_definition(conv, tools, schema, state):
    del tools[0]["inputSchema"]["properties"]["ticket_id"]["description"]


def plant_duplicate_keys(conv, tools, schema, state):
    state["tickets"].append(dict(state["tickets"][1]))


def plant_invalid_state(conv, tools, schema, state):
    state["tickets"][1]["status"] = 3


PLANTED = {
    "grounded": plant_ungrounded,
    "unknown-tool": plant_unknown_tool,
    "arguments": plant_bad_argument,
    "grammar": plant_turn_order,
    "answered": plant_unanswered,
    "placeholder": plant_placeholder,
    "one-call": plant_two_calls,
    "tool-output": plant_prose_output,
    "start": plant_ends_with_user,
    "patterns": plant_few_patterns,
    "patterns ": plant_pattern_overuse,
    "patterns  ": plant_fake_error_recovery,
    "state": plant_state_value,
    "state ": plant_state_not_found,
    "state  ": plant_state_unknown_record,
    "tools": plant_bad_tool_definition,
    "state-keys": plant_duplicate_keys,
    "state-valid": plant_invalid_state,
}


@pytest.mark.parametrize("rule", list(PLANTED), ids=[f"{r.strip()}-{f.__name__}" for r, f in PLANTED.items()])
def test_planted_defect_is_caught_by_its_rule(rule):
    conv, tools, schema, state = (copy.deepcopy(x) for x in clean())
    PLANTED[rule](conv, tools, schema, state)
    problems = all_problems(conv, tools, schema, state)
    assert any(p.startswith(f"[{rule.strip()}]") for p in problems), problems


def test_replay_oracle_flags_outputs_that_disagree():
    conv, tools, schema, state = clean()
    traj = build(conv, tools)

    async def truthful(spec, args, st, history):
        for rec in st["tickets"]:
            if rec["ticket_id"] == args["ticket_id"]:
                if spec.name == "get_ticket":
                    return orjson.dumps(rec).decode(), []
                i = st["tickets"].index(rec)
                return (
                    orjson.dumps({"ticket_id": rec["ticket_id"], "status": args["status"]}).decode(),
                    [{"op": "replace", "path": f"/tickets/{i}/status", "value": args["status"]}],
                )
        return f"Error: ticket {args['ticket_id']} not found", []

    async def liar(spec, args, st, history):
        out, patch = await truthful(spec, args, st, history)
        return out.replace('"open"', '"done"'), patch

    assert asyncio.run(replay_problems(traj, state, truthful)) == []
    problems = asyncio.run(replay_problems(traj, state, liar))
    assert problems and problems[0].startswith("[replay]") and "status" in problems[0]


def test_policy_source_warnings():
    from synth.rules import policy_source_warnings

    source = "Frames up to 80x180 cm can be ordered. Returns within 30 days."
    assert policy_source_warnings("Max frame size 80x180 cm; returns within 30 days.", source) == []
    warn = policy_source_warnings("Max frame size 60x70 cm; returns within 30 days; fee $50.", source)
    assert len(warn) == 2 and "60x70 cm" in warn[0] and "$50" in warn[1]
