"""The public API is explicit and cheap: `__all__` is accurate and `import gem_env` loads no heavy library."""

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["gem_env", "tools_registry", "synth", "trainers"]
HEAVY = [
    "torch",
    "transformers",
    "trl",
    "vllm",
    "ray",
    "datasets",
    "openai",
    "bfcl_eval",
    "matplotlib",
    "tau2",
    "litellm",
]


def test_imports_stay_light():
    code = (
        "import sys, gem_env, tools_registry, synth, trainers\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"heavy modules imported by `import gem_env ...`: {r.stdout.strip()}"


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_accurate(name):
    mod = importlib.import_module(name)
    assert hasattr(mod, "__all__"), f"{name} has no __all__"
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert missing == [], f"{name}.__all__ names missing attributes: {missing}"
    assert len(set(mod.__all__)) == len(mod.__all__)


def test_cli_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "gem_env.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "domains" in r.stdout
