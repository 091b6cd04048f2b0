"""Opt-in: the whole pipeline against a real vLLM server (../shared/tools/vllm-cpu-serve.sh, SmolLM2-135M).

A 135M model writes poor JSON, so most items are dropped; the run must complete with no errors and
``gem synth stats`` must explain every drop. Run with
``GEM_VLLM_URL=http://127.0.0.1:8011/v1 python -m pytest tests/synth/test_vllm_e2e.py -q``.
"""

import os

import pytest
import typer
from typer.testing import CliRunner

from synth.cli import register
from synth.stats import collect
from synth.store import iter_rows

pytestmark = [pytest.mark.vllm_server, pytest.mark.slow]


def test_pipeline_on_real_vllm_server(tmp_path, example_corpus):
    url = os.environ["GEM_VLLM_URL"]
    model = os.environ.get("GEM_VLLM_SERVED_MODEL", "smollm2-135m-instruct")
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "synth",
            "run",
            str(example_corpus),
            "-o",
            str(out),
            "--model",
            f"openai:{model}",
            "--base-url",
            url,
            "--limit",
            "6",
            "--concurrency",
            "3",
            "--max-tokens",
            "1024",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "errors 0" in r.output, r.output
    kept = list(iter_rows(out / "corpus"))
    drops = list(iter_rows(out / "drops"))
    assert len(kept) + len(drops) == 6
    assert all(d["stage"] and d["reason"] for d in drops)
    assert all(d["details"] or d["reason"] == "not_multi_step" for d in drops)
    s = collect([out])["pipeline"]
    assert s["total"] == 6 and sum(s["reasons"].values()) == len(drops)
    r = CliRunner().invoke(app, ["synth", "stats", str(out)])
    assert r.exit_code == 0 and (not drops or "drop reasons" in r.output)
