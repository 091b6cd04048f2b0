"""The compiled backend in episodes, `auto`'s preference, the certificate (and `gem domains certify`), the audit."""

from __future__ import annotations

import asyncio

import orjson
from typer.testing import CliRunner

from gem_env.agents import OracleAgent, RandomAgent
from gem_env.cli import app
from gem_env.compiled.audit import audit_domain, format_audit
from gem_env.compiled.backend import CompiledToolBackend
from gem_env.compiled.certify import certify, certify_domain
from gem_env.env import ToolUseEnv
from gem_env.rollout import run_episode
from tools_registry.domains import load_domain, save_domain


def test_oracle_earns_one_random_zero_on_compiled_tools(shop):
    env = ToolUseEnv(shop(), tools="compiled")
    assert isinstance(env.backend, CompiledToolBackend)
    rec = run_episode(env, OracleAgent(), seed=0)
    assert rec.reward == 1.0 and rec.breakdown["state"] == 1.0 and rec.breakdown["actions"] == 1.0
    assert all(run_episode(env, RandomAgent(seed=1), seed=s).reward == 0.0 for s in range(5))


def test_snapshot_restore_and_recording(shop):
    backend = CompiledToolBackend(record=True)
    env = ToolUseEnv(shop(), tools=backend, user="replay")
    env.reset(seed=0)
    snap = env.snapshot()
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"type": "function", "function": {"name": "set_status", "arguments": {"order_id": "O-1", "status": "done"}}}
        ],
    }
    env.step(call)
    assert backend.state["orders"][0]["status"] == "done"
    assert backend.recording().calls[-1].patch == [{"op": "replace", "path": "/orders/0/status", "value": "done"}]
    env.restore(snap)
    assert backend.state["orders"][0]["status"] == "open"


def test_auto_prefers_certified_compiled_programs(shop, tmp_path):
    ld = shop()
    cert = certify(ld)
    assert cert["passed"], cert
    assert ToolUseEnv(shop(certificate=cert)).backend.kind == "compiled"
    assert ToolUseEnv(shop()).backend.kind == "replay"  # no certificate
    stale = {**cert, "programs_hash": "0" * 64}
    assert ToolUseEnv(shop(certificate=stale)).backend.kind == "replay"


def test_certificate_records_checks_counts_and_hash(shop):
    cert = certify(shop(), random_episodes=4)
    assert cert["passed"] and cert["checks"] == dict.fromkeys(
        ("reference", "state_in_basis", "oracle", "random", "do_nothing", "mutated_gold"), True
    )
    assert cert["counts"] == {"tasks": 1, "tools": 3, "reference_calls": 2, "random_episodes": 4, "mutants": 2}
    assert len(cert["programs_hash"]) == 64


def test_certificate_fails_where_the_reward_does_not_separate(shop, shop_programs):
    assert not certify(shop(final=False))["checks"]["state_in_basis"]
    # the program ignores the status argument: with the state alone as basis, a mutated gold action earns 1
    shop_programs["tools"]["set_status"]["steps"][-1] = {"update": "order", "set": {"status": "done"}}
    shop_programs["tools"]["set_status"]["steps"].pop(1)
    cert = certify(shop(shop_programs, basis=("state",)))
    assert not cert["passed"] and cert["checks"]["mutated_gold"] is False
    assert cert["tasks"]["t0"]["mutated_gold"]["rewarded"] == ["set_status.status='open'"]
    # a reference that writes nothing: doing nothing earns the reward
    ref = shop().tasks[0].reference[:3] + [shop().tasks[0].reference[-1]]
    cert = certify(shop(reference=ref, basis=("state",), final=[]))
    assert not cert["checks"]["do_nothing"] and not cert["checks"]["random"]


def test_certificate_fails_on_a_reference_mismatch(shop, shop_programs):
    shop_programs["tools"]["get_order"]["return"] = {"$pick": ["$order", ["order_id"]]}
    cert = certify(shop(shop_programs))
    assert not cert["passed"] and not cert["checks"]["reference"]
    assert "call #1 get_order" in cert["tasks"]["t0"]["reference"]["problems"][0]


def test_certify_cli_and_write(shop, shop_programs, tmp_path):
    runner = CliRunner()
    ld = shop()
    save_domain(ld.domain, ld.tasks, tmp_path / "shop")
    r = runner.invoke(app, ["domains", "certify", str(tmp_path / "shop"), "--write"])
    assert r.exit_code == 0 and "shop: certified" in r.output
    assert load_domain(tmp_path / "shop").domain.certificate["passed"]
    shop_programs["tools"]["get_order"]["return"] = "$order.status"
    bad = shop(shop_programs)
    save_domain(bad.domain, bad.tasks, tmp_path / "bad")
    r = runner.invoke(app, ["domains", "certify", str(tmp_path / "bad")])
    assert r.exit_code == 1 and "NOT certified" in r.output and "reference" in r.output


def test_certify_domain_needs_a_folder_to_write(shop):
    import pytest

    from tools_registry.errors import ConfigError

    with pytest.raises(ConfigError):
        certify_domain(shop(), write=True)


def test_audit_counts_agreement_per_tool(shop):
    from gem_env.llm.testing.scripted import ScriptedBackend

    llm = ScriptedBackend(lambda *a: orjson.dumps({"output": {"ok": True}, "error": None, "patch": []}).decode())
    report = asyncio.run(audit_domain(shop(), llm))
    tools = report["tools"]
    assert (tools["get_order"]["calls"], tools["get_order"]["outputs_agree"], tools["get_order"]["states_agree"]) == (
        2,
        0,
        2,
    )
    assert (
        tools["set_status"]["calls"],
        tools["set_status"]["outputs_agree"],
        tools["set_status"]["states_agree"],
    ) == (3, 0, 1)
    assert "set_status" in format_audit(report) and report["totals"]["calls"] == 5


def test_check_env_passes_on_a_compiled_env(shop):
    from gymnasium.utils.env_checker import check_env

    check_env(ToolUseEnv(shop(), tools="compiled"), skip_render_check=True)
