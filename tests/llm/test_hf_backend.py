"""hf backend on a tiny random Qwen3 model built in the test: batching, tool calls, constrained JSON."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest

from gem_env.llm import HFBackend, make_backend
from gem_env.llm.testing import build_tiny_chat_model
from tools_registry.errors import ConfigError

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "enum": ["Paris", "Rome"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "days"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}},
                "required": ["zone"],
            },
        },
    },
]
SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "enum": ["yes", "no"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 9},
        "ok": {"type": "boolean"},
    },
    "required": ["answer", "score", "ok"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny_hf"))


@pytest.fixture(scope="module")
def backend(tiny):
    b = make_backend(f"hf:{tiny}", max_tokens=24, device="cpu")
    b.load()
    return b


class ForceText:
    """A logits processor that makes the model emit ``text`` and then stop ("scripted weights")."""

    def __init__(self, tokenizer, text, stop_id):
        self.ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [stop_id]
        self.start = None

    def __call__(self, input_ids, scores):
        if self.start is None:
            self.start = input_ids.shape[1]
        step = input_ids.shape[1] - self.start
        target = self.ids[min(step, len(self.ids) - 1)]
        scores[:] = float("-inf")
        scores[:, target] = 0.0
        return scores


def test_generated_tool_call_text_is_parsed(tiny, backend):
    text = (
        '<think>\nthe user wants weather\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": '
        '{"city": "Paris", "days": 2}}\n</tool_call>'
    )
    b = HFBackend(
        str(tiny),
        max_tokens=64,
        device="cpu",
        logits_processors=[ForceText(backend.tokenizer, text, backend.stop_ids[0])],
    )
    r = b.chat_sync([{"role": "user", "content": "weather in Paris?"}], TOOLS)
    assert r.tool_calls[0]["function"] == {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}
    assert r.reasoning == "the user wants weather" and r.content is None
    assert r.finish_reason == "tool_calls" and r.usage.completion_tokens == len(
        backend.tokenizer(text, add_special_tokens=False)["input_ids"]
    )


def test_batched_mixed_requests(backend):
    async def run():
        return await asyncio.gather(
            backend.chat([{"role": "user", "content": "hi"}], caller="free"),
            backend.chat([{"role": "user", "content": "hi"}], temperature=1.0, seed=1, max_tokens=8),
            backend.chat([{"role": "user", "content": "weather?"}], TOOLS, tool_choice="required", max_tokens=48),
            backend.chat(
                [{"role": "user", "content": "time?"}],
                TOOLS,
                tool_choice={"type": "function", "function": {"name": "get_time"}},
                max_tokens=48,
            ),
            backend.chat(
                [{"role": "user", "content": "judge"}],
                response_format=SCHEMA,
                max_tokens=48,
                temperature=0.8,
                seed=5,
                caller="judge",
            ),
        )

    backend.batch_sizes.clear()
    free, sampled, forced, named, judged = asyncio.run(run())
    assert backend.batch_sizes == [5]  # one generate call for all five
    assert free.usage.completion_tokens <= 24 and free.finish_reason in ("stop", "length")
    assert sampled.usage.completion_tokens <= 8
    call = forced.tool_calls[0]["function"]
    assert call["name"] in ("get_weather", "get_time")
    jsonschema.validate(
        call["arguments"], next(t["function"]["parameters"] for t in TOOLS if t["function"]["name"] == call["name"])
    )
    assert named.tool_calls[0]["function"]["name"] == "get_time"
    assert named.tool_calls[0]["function"]["arguments"]["zone"] in ("UTC", "CET")
    value = judged.json(SCHEMA)
    jsonschema.validate(value, SCHEMA)
    assert backend.usage.callers["judge"].calls == 1 and backend.usage.callers["free"].prompt_tokens > 0


def test_seeded_sampling_is_reproducible(backend):
    msgs = [{"role": "user", "content": "tell me"}]
    a = backend.chat_sync(msgs, temperature=1.0, top_p=0.9, top_k=50, seed=11, max_tokens=10)
    b = backend.chat_sync(msgs, temperature=1.0, top_p=0.9, top_k=50, seed=11, max_tokens=10)
    assert a.message == b.message and a.usage == b.usage


def test_json_object_and_unknown_options(backend):
    r = backend.chat_sync(
        [{"role": "user", "content": "x"}],
        response_format={"type": "json_object"},
        max_tokens=40,
        temperature=0.7,
        seed=2,
    )
    if r.finish_reason == "stop":
        assert isinstance(r.json(), dict)
    else:
        assert r.finish_reason == "length" and r.content.startswith("{")
    with pytest.raises(ConfigError, match="does not support"):
        backend.chat_sync([{"role": "user", "content": "x"}], mirostat=2)
    with pytest.raises(ConfigError, match="not among the tools"):
        backend.chat_sync(
            [{"role": "user", "content": "x"}], TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}
        )


def test_missing_model_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load"):
        make_backend(f"hf:{tmp_path / 'nothing'}").chat_sync([{"role": "user", "content": "x"}])
