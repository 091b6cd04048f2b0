"""ToolSpec conversions: OpenAI, MCP, BFCL, and round trips."""

import copy

import pytest

from tools_registry import ToolDefinitionError, ToolSpec
from tools_registry.specs import normalize_schema
from tools_registry.validation import ToolSet, tool_problems

OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_order_status",
        "description": "Look up the status of an order.",
        "parameters": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "description": "Order id, e.g. 'W2378156'."},
                "include_items": {"type": "boolean", "description": "Also list the items.", "default": False},
            },
            "required": ["order_id"],
            "additionalProperties": False,
        },
    },
}

# Shaped like what MCP servers return from tools/list (e.g. a GitHub or filesystem server).
MCP_TOOL = {
    "name": "create_issue",
    "title": "Create issue",
    "description": "Create a new issue in a GitHub repository.",
    "inputSchema": {
        "type": "object",
        "properties": {
            "owner": {"type": "string", "description": "Repository owner"},
            "repo": {"type": "string", "description": "Repository name"},
            "title": {"type": "string", "description": "Issue title"},
            "labels": {"type": "array", "items": {"type": "string"}, "description": "Labels to apply"},
        },
        "required": ["owner", "repo", "title"],
        "$schema": "http://json-schema.org/draft-07/schema#",
    },
    "annotations": {"readOnlyHint": False, "destructiveHint": False},
}

# Shaped like BFCL v3 multi-turn function docs ("type": "dict", "float", enums in prose, a response).
BFCL_DOC = {
    "name": "set_thermostat",
    "description": "This tool belongs to the home control system. Tool description: Sets the target temperature.",
    "parameters": {
        "type": "dict",
        "properties": {
            "temperature": {"type": "float", "description": "Target temperature in degrees."},
            "unit": {"type": "string", "description": 'Unit. [Enum]: ["celsius", "fahrenheit"]', "default": "celsius"},
            "zones": {"type": "array", "items": {"type": "integer"}, "description": "Zone numbers."},
            "schedule": {
                "type": "dict",
                "description": "Optional schedule.",
                "properties": {"start": {"type": "string", "description": "HH:MM"}},
            },
            "anything": {"type": "any", "description": "Free-form note."},
            "pair": {"type": "tuple", "items": {"type": "float"}, "description": "A (min, max) pair."},
        },
        "required": ["temperature"],
    },
    "response": {"type": "dict", "properties": {"ok": {"type": "boolean", "description": "Done."}}},
}


def test_openai_round_trip_is_lossless():
    spec = ToolSpec.from_openai(OPENAI_TOOL)
    assert spec.name == "get_order_status" and not spec.mutates
    assert spec.to_openai() == OPENAI_TOOL
    assert ToolSpec.from_openai(OPENAI_TOOL["function"]) == spec  # bare function dict accepted


def test_mcp_round_trip_keeps_read_only_hint():
    spec = ToolSpec.from_mcp(MCP_TOOL)
    assert spec.mutates is True
    assert spec.parameters == MCP_TOOL["inputSchema"]
    back = spec.to_mcp()
    assert back["inputSchema"] == MCP_TOOL["inputSchema"]
    assert back["annotations"] == {"readOnlyHint": False}
    assert ToolSpec.from_mcp(back) == spec
    read_only = ToolSpec.from_mcp({**MCP_TOOL, "annotations": {"readOnlyHint": True}})
    assert read_only.mutates is False
    # MCP -> OpenAI -> MCP keeps the schema
    assert ToolSpec.from_openai(spec.to_openai(), mutates=True) == spec


def test_bfcl_normalisation():
    spec = ToolSpec.from_bfcl(BFCL_DOC)
    p = spec.parameters
    assert p["type"] == "object"
    assert p["properties"]["temperature"]["type"] == "number"
    assert p["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert p["properties"]["schedule"]["type"] == "object"
    assert "type" not in p["properties"]["anything"]
    assert p["properties"]["pair"]["type"] == "array"
    assert p["properties"]["pair"]["items"] == {"type": "number"}
    ts = ToolSet([spec])
    ts.check_call("set_thermostat", {"temperature": 21.5, "unit": "celsius"})
    with pytest.raises(Exception, match="must be one of"):
        ts.check_call("set_thermostat", {"temperature": 21.5, "unit": "kelvin"})
    # back to BFCL: object -> dict, number -> float; and back again is stable
    doc = spec.to_bfcl()
    assert doc["parameters"]["type"] == "dict"
    assert doc["parameters"]["properties"]["temperature"]["type"] == "float"
    assert ToolSpec.from_bfcl(doc) == spec


def test_normalize_schema_does_not_mutate_input():
    doc = copy.deepcopy(BFCL_DOC)
    normalize_schema(doc["parameters"])
    assert doc == BFCL_DOC


@pytest.mark.parametrize("bad", [None, [], {"description": "no name"}, "get_order"])
def test_bad_input_names_the_problem(bad):
    for conv in (ToolSpec.from_openai, ToolSpec.from_mcp, ToolSpec.from_bfcl):
        with pytest.raises(ToolDefinitionError):
            conv(bad)


def test_real_bfcl_docs_convert_and_compile(bfcl_v3_dir):
    import orjson

    folder = bfcl_v3_dir / "multi_turn_func_doc"
    total = 0
    for f in sorted(folder.glob("*.json")):
        specs = [ToolSpec.from_bfcl(orjson.loads(line)) for line in f.read_bytes().splitlines() if line.strip()]
        ToolSet(specs)  # every schema compiles
        # only the naming rule may complain (BFCL uses camelCase); schemas themselves are valid
        assert [p for p in tool_problems(specs) if not p.startswith("[name]")] == []
        total += len(specs)
    assert total > 100
