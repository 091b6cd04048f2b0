"""The compile step: fake-teacher programs, the repair loop, every failure reason, the pipeline flags,
and the acceptance path (synth run -> certified domains -> compiled rollouts)."""

from __future__ import annotations

import asyncio
import copy

import jsonpatch
import orjson
import pytest
from typer.testing import CliRunner

from gem_env.cli import app
from gem_env.llm.testing.scripted import ScriptedBackend
from synth.compile import compile_item
from synth.convert import tools_from_json, trajectory_from_compact
from synth.item import SynthMeta
from synth.pipeline import SynthConfig
from synth.testing import FakeTeacher, fake_backend
from synth.testing import fake_programs

TEXT = "How to close a ticket\n1. Look the ticket up.\n2. Mark it done.\n3. Tell the user."


def refined():
    """A refined item as the FakeTeacher writes it: (trajectory, state schema, initial state, noun)."""
    msgs = [{"role": "system", "content": "(GEM stage: refine)"}, {"role": "user", "content": f"<<<\n{TEXT}\n>>>"}]
    data = orjson.loads(FakeTeacher().reply(msgs))
    traj = trajectory_from_compact(data, tools_from_json(data["tools"], []))
    noun = traj.tools[0].name.removeprefix("get_")
    return traj, data["state_schema"], data["initial_state"], noun


def scripted(*replies):
    return ScriptedBackend([orjson.dumps(r).decode() if not isinstance(r, str) else r for r in replies])


def run(backend, **kw):
    traj, schema, state, _ = refined()
    return asyncio.run(compile_item(backend, traj, schema, state, **kw))


def test_fake_teacher_compiles_and_certifies():
    res = run(fake_backend())
    assert res.compiled and res.rounds == 0 and res.calls == 1 and res.certificate["passed"]
    _, _, state, n = refined()
    final = jsonpatch.apply_patch(state, res.record(state).final_patch)
    assert final[f"{n}s"][0]["status"] == "done" and final[f"{n}s"][1:] == state[f"{n}s"][1:]


def test_repair_loop_sends_the_diff_and_recovers():
    n = refined()[3]
    good = fake_programs(n)
    bad = copy.deepcopy(good)
    bad[f"get_{n}"]["return"] = {"$pick": [f"${n}", ["status"]]}
    backend = scripted({"programs": bad}, {"programs": good})
    res = run(backend)
    assert res.compiled and res.rounds == 1 and res.calls == 2
    repair = backend.calls[1]["messages"][-1]["content"]
    assert "did not reproduce" in repair and f"get_{n}" in repair and "expected" in repair


def _bad(edit):
    n = refined()[3]
    progs = fake_programs(n)
    edit(progs, n)
    return {"programs": progs}


def _set(path_value):
    def edit(progs, n):
        tool, key, value = path_value(n)
        progs[tool][key] = value

    return edit


@pytest.mark.parametrize(
    "reply, reason",
    [
        ('{"nothing": 1}', "parse"),
        (_bad(lambda p, n: p.pop(f"list_{n}s")), "missing"),
        (_bad(_set(lambda n: (f"get_{n}", "steps", [{"loop": 1}]))), "compile"),
        (_bad(lambda p, n: p[f"get_{n}"]["steps"].append({"update": n, "set": {"status": "x"}})), "read_only_write"),
        (_bad(_set(lambda n: (f"get_{n}", "return", "$args"))), "output"),
        (_bad(lambda p, n: p[f"update_{n}_status"]["steps"][1]["set"].update({"title": 5})), "state_schema"),
    ],
)
def test_each_failure_reason(reply, reason):
    backend = scripted(*[reply] * 3)
    res = run(backend)
    assert not res.compiled and res.reason == reason and res.details and res.calls == 3 and res.rounds == 2


def test_final_state_must_match_the_consistency_replay():
    traj, schema, state, n = refined()
    expected = copy.deepcopy(state)  # a replay that says the status did not change
    res = asyncio.run(compile_item(fake_backend(), traj, schema, state, expected_final_state=expected, repair_rounds=0))
    assert res.reason == "final_state" and "final state differs" in res.details[0]


def test_certificate_failure_is_a_reason():
    traj, schema, state, n = refined()
    reads_only = traj.model_copy(update={"messages": traj.messages[:-4] + traj.messages[-1:]})
    res = asyncio.run(compile_item(fake_backend(), reads_only, schema, state, repair_rounds=0))
    assert not res.compiled and res.reason.startswith("certificate:") and res.certificate["passed"] is False


def test_no_state_is_uncompiled_without_a_call():
    traj, schema, _, _ = refined()
    backend = fake_backend()
    res = asyncio.run(compile_item(backend, traj, schema, {}))
    assert res.reason == "no_state" and backend.calls == []


def _compiled(row):
    """The typed compile record of a kept row."""
    return SynthMeta.read(row["meta"]["extra"]).compile


def _compile_damage(stage, raw):
    return '{"programs": {}}' if stage == "compile" else raw


def test_pipeline_flags(tmp_path, synth_run):
    _, kept, _ = synth_run(tmp_path / "a", {"teacher": fake_backend(damage=_compile_damage)}, SynthConfig())
    assert kept and all(_compiled(r).reason == "missing" for r in kept)
    assert all(_compiled(r).rounds == 2 for r in kept)
    _, kept, drops = synth_run(
        tmp_path / "b", {"teacher": fake_backend(damage=_compile_damage)}, SynthConfig(require_compiled=True)
    )
    assert not kept and {d["stage"] for d in drops} >= {"compile"}
    assert all(d["reason"] == "missing" for d in drops if d["stage"] == "compile")
    backend = fake_backend()
    _, kept, _ = synth_run(tmp_path / "c", {"teacher": backend}, SynthConfig(compile=False))
    assert kept and all(_compiled(r) is None for r in kept)
    assert "stage:compile" not in {c["caller"] for c in backend.calls}
    domains = list((tmp_path / "c" / "domains").iterdir())
    assert domains and "programs" not in orjson.loads((domains[0] / "domain.json").read_bytes())


def test_acceptance_synth_run_to_certified_compiled_rollouts(tmp_path, example_corpus):
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["synth", "run", str(example_corpus), "-o", str(out), "--model", "fake", "--quiet"])
    assert r.exit_code == 0, r.output
    domains = sorted((out / "domains").iterdir())
    certified = [
        d for d in domains if (orjson.loads((d / "domain.json").read_bytes()).get("certificate") or {}).get("passed")
    ]
    assert len(domains) == 12 and len(certified) >= 0.8 * len(domains)
    d = str(certified[0])
    r = runner.invoke(app, ["rollout", d, "--tools", "compiled", "--agent", "oracle", "--no-progress"])
    assert r.exit_code == 0 and "mean reward 1.000" in r.output, r.output
    r = runner.invoke(app, ["rollout", d, "--tools", "compiled", "--agent", "random", "-n", "4", "--no-progress"])
    assert r.exit_code == 0 and "mean reward 0.000" in r.output, r.output
    r = runner.invoke(app, ["domains", "certify", d])
    assert r.exit_code == 0 and "certified" in r.output
    r = runner.invoke(app, ["synth", "stats", str(out)])
    assert r.exit_code == 0 and "compile: 12 of 12 kept rows compiled" in r.output and "\ncompile " in r.output


def _oracle(hidden: bool):
    """An Oracle that plays the FakeTeacher's tools; with ``hidden`` a status write also renames the title."""

    async def oracle(spec, args, state, history):
        n = spec.name.removeprefix("get_").removeprefix("update_").removesuffix("_status").removeprefix("list_")
        n = n.removesuffix("s") if spec.name.startswith("list_") else n
        recs = state[f"{n}s"]
        idx = next((i for i, r in enumerate(recs) if r[f"{n}_id"] == args.get(f"{n}_id")), None)
        if spec.name.startswith("list_"):
            return orjson.dumps([r for r in recs if r["owner_id"] == args["owner_id"]]).decode(), []
        if idx is None:
            return f"Error: {n} {args.get(f'{n}_id')} not found", []
        if spec.name.startswith("get_"):
            return orjson.dumps(recs[idx]).decode(), []
        patch = [{"op": "replace", "path": f"/{n}s/{idx}/status", "value": args["status"]}]
        if hidden:
            patch.append({"op": "replace", "path": f"/{n}s/{idx}/title", "value": "renamed"})
        return orjson.dumps({f"{n}_id": args[f"{n}_id"], "status": args["status"]}).decode(), patch

    return oracle


@pytest.mark.parametrize("hidden, status", [(False, "compiled"), (True, "uncompiled")])
def test_the_consistency_replay_state_is_what_compile_verifies(tmp_path, synth_run, hidden, status):
    _, kept, _ = synth_run(
        tmp_path / "o",
        {"teacher": fake_backend()},
        SynthConfig(compile_repair_rounds=0),
        oracle=lambda traj, env: _oracle(hidden),
    )
    assert kept and {_compiled(r).status for r in kept} == {status}
    if hidden:
        assert {_compiled(r).reason for r in kept} == {"final_state"}
