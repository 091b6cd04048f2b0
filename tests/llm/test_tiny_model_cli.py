"""``gem tiny-model OUT``: refuses a folder that holds files (losing nothing) and writes a loadable model."""

from __future__ import annotations

import subprocess
import sys

import pytest


def gem(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gem_env.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_refuses_a_folder_that_holds_files(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    (tmp_path / "a-file").write_text("also mine")
    for target in ("taken", "a-file"):
        r = gem("tiny-model", target, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip() == f"error: {target} already exists and is not an empty folder; name a new one"
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]
    assert (tmp_path / "a-file").read_text() == "also mine"


@pytest.mark.slow
def test_writes_a_model_that_loads(tmp_path):
    from gem_env.cli.tiny_model import tiny_model_command

    (tmp_path / "empty").mkdir()
    tiny_model_command(str(tmp_path / "empty"), seed=3)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "empty")
    tok = AutoTokenizer.from_pretrained(tmp_path / "empty")
    assert type(model).__name__ == "Qwen3ForCausalLM" and model.config.hidden_size == 64
    assert "<tool_call>" in tok.apply_chat_template(
        [{"role": "user", "content": "hi"}],
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        tokenize=False,
    )
