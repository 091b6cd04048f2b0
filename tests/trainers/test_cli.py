"""CLI commands through typer's CliRunner on an app built here; the package API stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner


def _app() -> typer.Typer:
    from trainers.cli import register

    app = typer.Typer()
    register(app)
    return app


def test_import_is_light_and_all_is_exported():
    code = (
        "import sys, trainers, trainers.cli; "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'trl', 'datasets')))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
    import trainers

    for name in trainers.__all__:
        assert getattr(trainers, name) is not None, name


def test_cli_eval_writes_results(tmp_path):
    out = tmp_path / "ev"
    r = CliRunner().invoke(
        _app(),
        [
            "eval",
            "--model",
            "oracle",
            "--env",
            "gem/photo-framing-v0",
            "-k",
            "1",
            "--max-tasks",
            "2",
            "--output",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Pass@1" in r.output and "100.00" in r.output
    assert json.loads((out / "results.json").read_text())["summary"]["overall"]["avg@k"] == 1.0


def test_cli_train_sft_runs_and_rejects_unknown_options(tiny_model, corpus_file, tmp_path):
    app = _app()
    out = tmp_path / "sft"
    args = [
        "train",
        "sft",
        "--data",
        str(corpus_file),
        "--model",
        f"hf:{tiny_model}",
        "-o",
        str(out),
        "--max-steps",
        "2",
        "--grad-accum",
        "1",
        "--lr",
        "1e-3",
        "--trl",
        "logging_steps=1",
        "--trl",
        "save_strategy=no",
        "--trl",
        "disable_tqdm=true",
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "tokens carry loss" in r.output and (out / "model.safetensors").is_file()
    bad = CliRunner().invoke(app, args + ["--trl", "warmup_ration=0.1"])
    assert bad.exit_code != 0 and "unknown GemSFTConfig option 'warmup_ration'" in str(bad.exception)
