"""Public API of gem_env.llm: exports resolve, the import stays light, ChatReply and Usage behave."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gem_env import llm
from gem_env.llm import ChatReply, TokenUsage, Usage, make_backend
from tools_registry.errors import ConfigError, ParseError


def test_all_exports_resolve():
    for name in llm.__all__:
        assert getattr(llm, name) is not None, name
    from gem_env.llm import testing

    for name in testing.__all__:
        assert getattr(testing, name) is not None


def test_import_is_light():
    code = (
        "import sys, gem_env.llm, gem_env.llm.testing; from gem_env.llm import make_backend, ScriptedBackend;"
        "heavy = [m for m in ('torch', 'transformers', 'openai', 'vllm', 'aiohttp', 'xgrammar') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_chat_reply_conveniences():
    r = ChatReply(message={"role": "assistant", "content": '```json\n{"a": 1}\n```'})
    assert r.content.startswith("```") and r.tool_calls == [] and r.reasoning is None
    assert r.json() == {"a": 1} and r.repairs
    back = ChatReply.from_dict(r.to_dict(), cached=True)
    assert back.cached and back.message == r.message and back.repairs == r.repairs
    with pytest.raises(ParseError):
        ChatReply(message={"role": "assistant", "content": "nope"}).json()
    with pytest.raises(ParseError):
        r.json(schema={"type": "object", "required": ["b"]})


def test_usage_table():
    u = Usage()
    u.record("judge", ChatReply(message={}, usage=TokenUsage(10, 2)), 0.5)
    u.record("judge", ChatReply(message={}, usage=TokenUsage(1, 1), cached=True), 0.1)
    u.record("stage", None, 1.0, error=True)
    assert u.callers["judge"].calls == 2 and u.callers["judge"].cache_hits == 1
    assert u.total.prompt_tokens == 11 and u.total.errors == 1 and u.total.calls == 3
    table = u.summary()
    assert "judge" in table and "stage" in table and "total" in table
    assert u.as_dict()["total"]["completion_tokens"] == 3


@pytest.mark.parametrize("model", ["gpt-4o", "nope:x", "openai:", "hf:"])
def test_make_backend_rejects_bad_strings(model):
    with pytest.raises(ConfigError):
        make_backend(model)


def test_make_backend_kinds(tmp_path):
    b = make_backend("openai:m", base_url="http://127.0.0.1:9/v1", concurrency=3)
    assert b.kind == "openai" and b.model == "m" and b.concurrency == 3 and b.name == "openai:m"
    with pytest.raises(ConfigError, match="bad options"):
        make_backend("openai:m", no_such_option=1)
    c = make_backend("scripted:", replies=["x"], cache=tmp_path / "c.sqlite")
    assert c.kind == "cached" and c.inner.kind == "scripted"
    with pytest.raises(ConfigError):
        make_backend("scripted:", cache_mode="replay")
    d = make_backend("scripted:", replies=["x"], cache_path=tmp_path / "d.sqlite", cache_mode="replay")
    assert d.kind == "cached" and d.mode == "replay"


def test_vllm_backend_without_vllm_says_how_to_install():
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:  # on a GPU box with vllm the error path does not apply
        assert make_backend("vllm:some/model").kind == "vllm"
        return
    with pytest.raises(ConfigError, match="pip install 'gem-env\\[vllm\\]'"):
        make_backend("vllm:Qwen/Qwen3-0.6B")
