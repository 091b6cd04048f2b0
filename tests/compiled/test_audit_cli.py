"""`gem domains audit`: a scripted simulator model string against a compiled domain folder."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
from typer.testing import CliRunner

import gem_env.llm
from gem_env.cli import app
from tools_registry.domains import save_domain

#: The simulator's one reply: an output no program returns, and no state change.
SIM_REPLY = orjson.dumps({"output": {"ok": True}, "error": None, "patch": []}).decode()


def _scripted_factory(monkeypatch, calls):
    """Route ``scripted:`` model strings through the real factory with a callable script."""
    real = gem_env.llm.make_backend

    def make(model, **options):
        calls.append(model)
        return real(model, replies=lambda *a: SIM_REPLY, **options)

    monkeypatch.setattr(gem_env.llm, "make_backend", make)


def test_audit_cli_reports_agreement_per_tool(shop, tmp_path, monkeypatch):
    ld = shop()
    save_domain(ld.domain, ld.tasks, tmp_path / "shop")
    calls = []
    _scripted_factory(monkeypatch, calls)
    runner = CliRunner()
    r = runner.invoke(app, ["domains", "audit", str(tmp_path / "shop"), "--model", "scripted:sim", "--json"])
    assert r.exit_code == 0, r.output
    assert calls == ["scripted:sim"]
    tools = orjson.loads(r.output)["tools"]
    got = {n: (t["calls"], t["outputs_agree"], t["states_agree"]) for n, t in tools.items()}
    assert got == {"get_order": (2, 0, 2), "set_status": (3, 0, 1)}
    r = runner.invoke(app, ["domains", "audit", str(tmp_path / "shop"), "--model", "scripted:sim", "--no-mutants"])
    assert r.exit_code == 0, r.output
    rows = {line.split()[0]: line.split()[1:] for line in r.output.splitlines()[2:]}
    assert rows == {
        "get_order": ["1", "0.0%", "100.0%"],
        "set_status": ["1", "0.0%", "0.0%"],
        "all": ["2", "0.0%", "50.0%"],
    }, r.output
    assert r.output.startswith("simulated (scripted:sim) vs compiled"), r.output


def test_audit_cli_bad_model_string_is_one_error(shop, tmp_path):
    ld = shop()
    save_domain(ld.domain, ld.tasks, tmp_path / "shop")
    env = {k: v for k, v in os.environ.items() if k != "GEM_DEBUG"}
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", "domains", "audit", str(tmp_path / "shop"), "--model", "gpt4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert r.returncode != 0 and "Traceback" not in r.stdout + r.stderr
    assert "error: " in r.stderr and "must start with one of" in r.stderr, r.stderr
