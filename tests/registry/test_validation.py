"""Tool-definition rules (one planted defect per rule) and call-argument validation."""

import copy

import pytest

from tools_registry import ArgumentError, ToolDefinitionError, ToolSpec, UnknownToolError
from tools_registry.validation import RULES, ToolSet, ensure_valid_tools, tool_problems

GOOD = {
    "name": "schedule_pickup",
    "description": "Schedule a courier pickup for a parcel.",
    "parameters": {
        "type": "object",
        "properties": {
            "parcel_id": {"type": "string", "description": "Parcel id."},
            "date": {"type": "string", "description": "Pickup date, YYYY-MM-DD.", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "weight_kg": {"type": "number", "description": "Weight in kg.", "minimum": 0},
            "signature": {"type": "boolean", "description": "Require a signature."},
            "window": {"type": "string", "enum": ["am", "pm"], "description": "Time window."},
        },
        "required": ["parcel_id", "date"],
        "additionalProperties": False,
    },
}


def planted(rule):
    t = copy.deepcopy(GOOD)
    props = t["parameters"]["properties"]
    if rule == "name":
        t["name"] = "SchedulePickup"
    elif rule == "description":
        t["description"] = "  "
    elif rule == "schema":
        props["weight_kg"]["type"] = "decimal"
    elif rule == "object":
        t["parameters"]["type"] = "array"
    elif rule == "required":
        t["parameters"]["required"].append("courier_id")
    elif rule == "param-described":
        del props["signature"]["description"]
    elif rule == "param-typed":
        del props["parcel_id"]["type"]
    elif rule == "ref":
        props["parcel_id"] = {"$ref": "http://127.0.0.1:9/parcel.json", "description": "Parcel id."}
    elif rule == "pattern":
        props["date"]["pattern"] = r"^(\d)\1$"  # a backreference: no linear-time engine runs it
    elif rule == "size":
        props.update({f"p{i}": {"type": "string", "description": "x" * 64} for i in range(3000)})
    return [ToolSpec.model_validate(t)] if rule != "unique" else [ToolSpec.model_validate(t)] * 2


def test_valid_tool_passes():
    assert tool_problems([GOOD]) == []
    ensure_valid_tools([ToolSpec.model_validate(GOOD)])


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_planted_defect_is_caught_by_its_rule(rule):
    problems = tool_problems(planted(rule))
    assert problems, rule
    assert any(p.startswith(f"[{rule}]") for p in problems), problems
    assert all("schedule_pickup" in p or "SchedulePickup" in p for p in problems)


def test_all_problems_reported_at_once():
    t = copy.deepcopy(GOOD)
    t["name"] = "Bad-Name"
    t["description"] = ""
    t["parameters"]["required"].append("ghost")
    with pytest.raises(ToolDefinitionError) as ei:
        ensure_valid_tools([t])
    rules = {p.split("]")[0] + "]" for p in ei.value.problems}
    assert {"[name]", "[description]", "[required]"} <= rules
    assert "properties" in str(ei.value)


def test_mcp_and_openai_inputs_are_validated():
    mcp = {
        "name": "x_tool",
        "description": "d",
        "inputSchema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    assert any("[param-described]" in p for p in tool_problems([mcp]))
    oa = {"type": "function", "function": {"name": "ok_tool", "description": "d", "parameters": {"type": "object"}}}
    assert tool_problems([oa]) == []


@pytest.fixture
def toolset():
    return ToolSet([GOOD])


def test_valid_call_passes(toolset):
    toolset.check_call("schedule_pickup", {"parcel_id": "P1", "date": "2026-11-21", "weight_kg": 2.5})


@pytest.mark.parametrize(
    "args, message",
    [
        ({"date": "2026-11-21"}, "missing required argument 'parcel_id'"),
        ({"parcel_id": 7, "date": "2026-11-21"}, "'parcel_id' must be string"),
        ({"parcel_id": "P1", "date": "2026-11-21", "weight_kg": "heavy"}, "'weight_kg' must be number"),
        ({"parcel_id": "P1", "date": "2026-11-21", "speed": "fast"}, "unexpected argument 'speed'"),
        ({"parcel_id": "P1", "date": "2026-11-21", "window": "night"}, "'window' must be one of ['am', 'pm']"),
        ({"parcel_id": "P1", "date": "tomorrow"}, "'date'"),
        ({"parcel_id": "P1", "date": "2026-11-21", "weight_kg": -1}, "minimum"),
    ],
)
def test_invalid_arguments_get_actionable_messages(toolset, args, message):
    with pytest.raises(ArgumentError) as ei:
        toolset.check_call("schedule_pickup", args)
    assert message in str(ei.value)
    assert "schedule_pickup" in str(ei.value)


def test_unknown_tool_and_non_object_arguments(toolset):
    with pytest.raises(UnknownToolError, match="unknown tool 'cancel_pickup'; available tools: schedule_pickup"):
        toolset.check_call("cancel_pickup", {})
    with pytest.raises(ArgumentError, match="must be a JSON object"):
        toolset.check_call("schedule_pickup", ["P1"])


def test_validators_are_compiled_once_and_shared():
    from tools_registry.validation import _compiled

    a, b = ToolSet([GOOD]), ToolSet([copy.deepcopy(GOOD)])
    assert a._validators["schedule_pickup"] is b._validators["schedule_pickup"]
    assert _compiled.cache_info().hits >= 1


def test_toolset_add_reveals_a_tool(toolset):
    other = {**copy.deepcopy(GOOD), "name": "cancel_pickup"}
    bigger = toolset.add([other])
    assert "cancel_pickup" in bigger and "cancel_pickup" not in toolset


def test_severity_and_a_single_toolspec():
    from tools_registry.specs import ToolSpec
    from tools_registry.validation import RULE_SEVERITY, ToolSet, problem_severity, split_problems, tool_problems

    spec = ToolSpec(
        name="Lookup",
        description="",
        parameters={"type": "object", "properties": {"q": {}}, "required": ["q", "missing"]},
    )
    problems = tool_problems(spec)  # one ToolSpec where a list is expected: a list of one
    assert problems == tool_problems([spec]) and all("tool 'Lookup'" in p for p in problems)
    errors, warnings = split_problems(problems)
    assert [p.split("]")[0] + "]" for p in errors] == ["[required]"]
    assert {p.split("]")[0] + "]" for p in warnings} == {
        "[name]",
        "[description]",
        "[param-described]",
        "[param-typed]",
    }
    assert problem_severity("[some-new-rule] x") == "error" and set(RULE_SEVERITY.values()) == {"error", "warning"}
    assert "Lookup" in ToolSet(spec)
    with pytest.raises(TypeError, match="list of tools"):
        tool_problems("get_weather")
