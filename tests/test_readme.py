"""The README's first three commands stay true: the main job runs offline exactly as written."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_install_main_job_and_tests():
    install, main_job, tests = (b.strip() for b in BLOCKS[:3])
    torch_line, project_line = install.splitlines()
    assert torch_line == "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    assert project_line.startswith("pip install -e ")
    assert main_job.startswith("gem rollout ")
    assert tests == "python -m pytest -q"


def test_main_job_runs_offline_as_written(tmp_path):
    argv = shlex.split(BLOCKS[1].strip())
    assert argv[0] == "gem"
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", *argv[1:], "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "13 episodes, mean reward 1.000, 0 failed" in r.stdout
    rows = (tmp_path / "rollouts.jsonl").read_text().splitlines()
    assert len(rows) == 13
