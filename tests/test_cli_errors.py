"""Every `gem` command answers bad input with one `error:` line and a non-zero exit, never a traceback."""

import os
import subprocess
import sys

import pytest

CASES = [
    (["rollout", "gem/nope-v0"], "unknown environment 'gem/nope-v0'"),
    # the list comes from Gymnasium's registry: suites registered there (BFCL's) appear too
    (["eval", "--model", "oracle", "--env", "gem/nope-v0", "-k", "1", "-o", "{tmp}/e"], "gem/bfcl-multi-turn-base-v0"),
    (
        ["eval", "--model", "oracle", "--env", "gem/photo-framin-v0", "-k", "1", "-o", "{tmp}/e"],
        "did you mean gem/photo-framing-v0",
    ),
    (["rollout", "gem/photo-framing-v0", "--agent", "gpt-4"], "use oracle, random, or a model string"),
    (["eval", "--model", "qwen3", "--env", "gem/photo-framing-v0", "-o", "{tmp}/e"], "use oracle, random"),
    (["rollout", "gem/photo-framing-v0", "--sampling", "critic.max_tokens=3"], "unknown role 'critic'"),
    (["rollout", "gem/photo-framing-v0", "--agent", "scripted:", "--tool-choice", "always"], "tool_choice must be"),
    (["rollout", "gem/photo-framing-v0", "--tasks", "no-such-task"], "no task 'no-such-task'"),
    (["synth", "run", "/no/such/corpus.jsonl", "-o", "{tmp}/out", "--model", "fake"], "no such corpus"),
    (["synth", "stats", "/no/such/folder"], "no such synth output folder"),
    (["train", "sft", "--data", "/no/such/corpus", "--model", "unused"], "does not exist"),
    (["eval", "--model", "scripted:", "--suite", "no-such-suite"], "unknown suite 'no-such-suite'"),
    (
        [
            "eval",
            "--model",
            "hf:/no/such/model",
            "--env",
            "gem/photo-framing-v0",
            "-k",
            "1",
            "--max-tasks",
            "1",
            "-o",
            "{tmp}/eval",
        ],
        "cannot load hf model",
    ),
]


@pytest.mark.parametrize("args, needle", CASES, ids=[" ".join(a[:2]) + f" #{i}" for i, (a, _) in enumerate(CASES)])
def test_bad_input_is_one_clear_error(args, needle, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GEM_DEBUG"}
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", *argv], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    assert "error: " in r.stderr and needle in out, out[-2000:]


@pytest.mark.parametrize(
    "args",
    [
        ["synth", "run", "/no/such/corpus.jsonl", "-o", "{tmp}/out", "--model", "fake"],
        ["rollout", "gem/nope-v0"],
    ],
)
def test_error_is_the_first_line(args, tmp_path):
    """No progress spinner or other output comes before the error line."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "GEM_DEBUG"},
    )
    assert r.returncode == 2 and r.stdout == "" and r.stderr.startswith("error: "), (r.stdout, r.stderr)


def test_help_shows_no_type_beside_flags():
    r = subprocess.run([sys.executable, "-m", "gem_env.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--help" in r.stdout and "<bool>" not in r.stdout, r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", "rollout", "--help"], capture_output=True, text=True, timeout=120
    )
    assert "--resume" in r.stdout and "--overwrite" in r.stdout and "<bool>" not in r.stdout, r.stdout
