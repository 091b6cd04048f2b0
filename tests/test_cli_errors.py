"""Every `gem` command answers bad input with one `error:` line and a non-zero exit, never a traceback."""

import os
import subprocess
import sys

import pytest

CASES = [
    (["rollout", "gem/nope-v0"], "unknown domain 'nope'"),
    (["rollout", "gem/photo-framing-v0", "--tasks", "no-such-task"], "no task 'no-such-task'"),
    (["synth", "run", "/no/such/corpus.jsonl", "-o", "{tmp}/out", "--model", "fake"], "no such corpus"),
    (["synth", "stats", "/no/such/folder"], "no such synth output folder"),
    (["train", "sft", "--data", "/no/such/corpus", "--model", "unused"], "does not exist"),
    (["eval", "--model", "scripted:", "--suite", "no-such-suite"], "unknown suite 'no-such-suite'"),
    (["eval", "--model", "hf:/no/such/model", "--env", "gem/photo-framing-v0", "-k", "1", "--max-tasks", "1",
      "-o", "{tmp}/eval"], "cannot load hf model"),
]


@pytest.mark.parametrize("args, needle", CASES, ids=[" ".join(a[:2]) + f" #{i}" for i, (a, _) in enumerate(CASES)])
def test_bad_input_is_one_clear_error(args, needle, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GEM_DEBUG"}
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = subprocess.run([sys.executable, "-m", "gem_env.cli", *argv], capture_output=True, text=True, env=env,
                       timeout=300, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    assert "error: " in r.stderr and needle in out, out[-2000:]
