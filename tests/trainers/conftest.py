"""Shared fixtures: one tiny random Qwen3 chat model per test session, and a small corpus."""

from __future__ import annotations

from pathlib import Path

import pytest


def _tool(name: str, props: dict) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": props, "required": list(props)},
        },
    }


def _corpus_rows() -> list[dict]:
    """Rows whose tools and tool-call arguments have different keys (the Arrow struct-union trap)."""
    return [
        {
            "messages": [
                {"role": "system", "content": "You help with the weather."},
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
                {"role": "assistant", "content": "It is 21 degrees in Paris."},
            ],
            "tools": [_tool("get_weather", {"city": {"type": "string"}})],
            "meta": {"provenance": {"source_id": "a"}},
        },
        {
            "messages": [
                {"role": "user", "content": "Where is order A123?"},
                {
                    "role": "assistant",
                    "content": "Let me look.",
                    "tool_calls": [
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "lookup_order", "arguments": '{"order_id": "A123", "count": 3}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c2", "content": "shipped"},
                {"role": "assistant", "content": "Your order A123 has shipped.", "reasoning_content": "It shipped."},
                {"role": "user", "content": "Thank you"},
                {"role": "assistant", "content": "You are welcome."},
            ],
            "tools": [
                _tool("lookup_order", {"order_id": {"type": "string"}, "count": {"type": "integer"}}),
                {
                    "name": "book_flight",
                    "description": "Book.",
                    "parameters": {
                        "type": "object",
                        "properties": {"origin": {"type": "string"}, "date": {"type": "string"}},
                    },
                },
            ],
            "meta": {"provenance": {"source_id": "b"}, "extra": {"domain": "shop"}},
        },
    ]


@pytest.fixture()
def corpus_rows() -> list[dict]:
    return _corpus_rows()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from gem_env.llm.testing import build_tiny_chat_model

    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture()
def corpus_file(tmp_path) -> Path:
    import orjson

    p = tmp_path / "corpus" / "shard-00000.jsonl"
    p.parent.mkdir()
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _corpus_rows()))
    return p.parent
