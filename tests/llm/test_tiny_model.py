"""The tiny Qwen3 test model: loads, renders TRL's qwen3 template with tools, generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from gem_env.llm.testing import build_tiny_chat_model
from gem_env.llm.testing.tiny_model import TINY_ADDED_TOKENS, TINY_SPECIAL_TOKENS, qwen3_chat_template


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny"))


def test_tiny_model_loads_and_generates(tiny_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_path)
    model = AutoModelForCausalLM.from_pretrained(tiny_path)
    assert type(model).__name__ == "Qwen3ForCausalLM"
    assert 900 <= len(tok) <= 1100
    assert model.config.hidden_size == 64
    for t in TINY_SPECIAL_TOKENS + TINY_ADDED_TOKENS:
        assert tok.convert_tokens_to_ids(t) != tok.unk_token_id and len(tok.tokenize(t)) == 1, t
    assert tok.chat_template == qwen3_chat_template()
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    msgs = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
    ]
    text = tok.apply_chat_template(msgs, tools=tools, tokenize=False)
    assert "<tools>" in text and '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}' in text
    ids = tok.apply_chat_template(msgs[:1], add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]


def test_tiny_model_is_deterministic(tmp_path):
    a = build_tiny_chat_model(tmp_path / "a", seed=3)
    b = build_tiny_chat_model(tmp_path / "b", seed=3)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    assert (a / "tokenizer.json").read_text() == (b / "tokenizer.json").read_text()
