"""The loop learns: oracle rollouts -> ``gem train sft`` -> ``gem eval`` reaches reward 1; a broken link keeps it at 0.

Everything runs through the CLI as a user would (``gem rollout``, ``gem train sft``, ``gem eval``) on a
tiny random model whose BPE is fitted to the domain (``trainers.testing.build_domain_model``), so a
whole photo-framing episode is ~550 tokens and a training step takes well under a second on a CPU.
Breaking the loss mask or the tool-call format on purpose (``trainers.testing.broken_template``)
must keep the reward at 0: the test proves it can fail.
"""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

ENV = "gem/photo-framing-v0"
#: A question answered from the records, and a cancellation (a write the reward checks in the final state).
TASKS = "order_status_ready,cancel_received_order"
#: Enough updates for the tiny model to memorise two episodes (loss < 0.03 after ~60); see docs/learning.md.
SFT_FLAGS = [
    "--epochs",
    "80",
    "--lr",
    "2e-2",
    "--batch-size",
    "2",
    "--grad-accum",
    "1",
    "--max-length",
    "2048",
    "--trl",
    "warmup_steps=0",
    "--trl",
    "lr_scheduler_type=constant",
    "--trl",
    "weight_decay=0",
    "--trl",
    "logging_steps=10",
    "--trl",
    "save_strategy=no",
    "--trl",
    "disable_tqdm=true",
]


def _gem(*args: str) -> str:
    from gem_env.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Oracle rollouts of two photo-framing tasks (the README's main job) and the tiny base model."""
    from trainers.testing import build_domain_model

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    root = tmp_path_factory.mktemp("learn")
    _gem(
        "rollout",
        ENV,
        "--agent",
        "oracle",
        "-n",
        "2",
        "--tasks",
        TASKS,
        "-o",
        str(root / "rows.jsonl"),
        "--no-progress",
    )
    rows = [json.loads(x) for x in (root / "rows.jsonl").read_text().splitlines()]
    assert [r["meta"]["extra"]["reward"] for r in rows] == [1.0, 1.0]
    return root, build_domain_model(root / "base", [ENV], hidden_size=128)


def _sft_then_eval(root, base, name: str, extra: list[str]) -> float:
    _gem(
        "train",
        "sft",
        "--data",
        str(root / "rows.jsonl"),
        "--model",
        f"hf:{base}",
        "-o",
        str(root / name),
        *SFT_FLAGS,
        *extra,
    )
    _gem(
        "eval",
        "--model",
        f"hf:{root / name}",
        "--env",
        ENV,
        "--tasks",
        TASKS,
        "-k",
        "1",
        "--temperature",
        "0",
        "--max-tokens",
        "160",
        "-o",
        str(root / f"{name}-eval"),
    )
    return json.loads((root / f"{name}-eval" / "results.json").read_text())["summary"]["overall"]["avg@k"]


@pytest.mark.slow
def test_sft_on_oracle_rollouts_memorises_the_tasks(setup):
    root, base = setup
    before = _gem(
        "eval",
        "--model",
        f"hf:{base}",
        "--env",
        ENV,
        "--tasks",
        TASKS,
        "-k",
        "1",
        "--temperature",
        "0",
        "--max-tokens",
        "32",
        "-o",
        str(root / "base-eval"),
    )
    assert "0.00" in before
    assert _sft_then_eval(root, base, "sft", []) >= 0.9


@pytest.mark.slow
@pytest.mark.parametrize("link", ["mask", "tool_call_format"])
def test_a_broken_link_keeps_the_reward_low(setup, link):
    from trainers.testing import broken_template

    root, base = setup
    template = root / f"broken-{link}.jinja"
    template.write_text(broken_template(link), encoding="utf-8")
    reward = _sft_then_eval(root, base, f"sft-{link}", ["--trl", f"chat_template_path={template}"])
    episodes = [json.loads(x) for x in (root / f"sft-{link}-eval" / "episodes.jsonl").read_text().splitlines()]
    by_task = {e["meta"]["extra"]["task_id"]: e["meta"]["extra"]["reward"] for e in episodes}
    # the cancellation needs a tool call the env can read; the question can at most be answered from memory
    assert by_task["cancel_received_order"] == 0.0 and reward <= 0.5
    if link == "tool_call_format":  # the model learnt the broken format: every call it wrote was unreadable
        calls = [m for e in episodes for m in e["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
        assert not calls
