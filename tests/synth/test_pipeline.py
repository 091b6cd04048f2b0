"""End to end on the FakeTeacher: kept rows, drops with reasons, ablations, domains, datasets loading."""

import asyncio

import orjson
import pytest

from synth.corpus import read_corpus
from synth.item import SynthMeta
from synth.pipeline import Pipeline, SynthConfig, with_cache
from synth.testing import fake_backend
from tools_registry.domains import load_domain
from tools_registry.errors import ConfigError
from tools_registry.records import Trajectory


def test_example_corpus_run(fake_run):
    out, report, kept, drops = fake_run
    assert report.kept == 12 and report.dropped == {"prefilter": 5} and report.errors == 0
    assert {d["id"] for d in drops} == {
        f"note-{n}" for n in ("lighthouse", "market-report", "poem-review", "bird-facts", "team-news")
    }
    assert all(d["reason"] == "not_procedural" and d["details"] for d in drops)
    for row in kept:
        assert set(row) == {"messages", "tools", "meta"}
        traj = Trajectory.model_validate(row)
        prov = traj.meta.provenance
        assert (
            prov.pipeline == "synth"
            and prov.source_hash
            and set(prov.prompts) == {"select", "extract", "generate", "refine", "judge", "compile"}
        )
        assert prov.models == {"teacher": "scripted:fake-teacher"} and prov.seed == 0
        ex = traj.meta.extra
        assert ex["before_refine"]["messages"] < traj.meta.stats.messages
        assert ex["ledger"]["calls"] == 6 and ex["ledger"]["by_stage"]["judge"] == 1
        assert ex["ledger"]["by_stage"]["compile"] == 1 and SynthMeta.of(traj).compile.compiled
        assert SynthMeta.of(traj).env.initial_state and ex["tags"]["domain"]
        assert traj.messages[0].role == "system" and traj.meta.stats.tool_calls == 3


def test_rows_load_with_datasets(fake_run):
    import datasets

    out = fake_run[0]
    ds = datasets.load_dataset("json", data_dir=str(out / "corpus"), split="train")
    assert len(ds) == 12 and {"messages", "tools", "meta"} <= set(ds.column_names)
    assert ds[0]["messages"][0]["role"] == "system"


def test_domain_folders_make_envs(fake_run):
    out = fake_run[0]
    folders = sorted((out / "domains").iterdir())
    assert len(folders) == 12
    loaded = load_domain(folders[0])
    assert loaded.domain.initial_state and loaded.domain.policy and loaded.tasks[0].user.turns
    assert loaded.tasks[0].criteria.actions and loaded.tasks[0].reference[0].role == "user"
    import gymnasium as gym
    from gem_env.registration import register_envs

    ids = register_envs([out / "domains"])
    eid = f"gem/{loaded.name}-v0"
    assert eid in ids
    env = gym.make(eid, tools="replay", user="replay")
    env.reset(seed=0)
    reward, done = 0.0, False
    for m in loaded.tasks[0].reference:
        if m.role == "assistant":
            _, reward, done, trunc, _ = env.step(m.to_dict())
            if done or trunc:
                break
    assert done and reward == 1.0


def test_ablations(tmp_path, synth_run):
    _, kept, _ = synth_run(tmp_path / "nr", config=SynthConfig(refine=False))
    assert len(kept) == 12 and all(r["meta"]["extra"]["env"] is None for r in kept)
    assert all("refine" not in r["meta"]["provenance"]["prompts"] for r in kept)
    assert all(r["meta"]["stats"]["tool_calls"] == 2 for r in kept)
    backend = fake_backend(judge={"R1": 0, "R2": 1, "R3": 1})
    _, kept, drops = synth_run(tmp_path / "nj", {"teacher": backend}, SynthConfig(judge=False))
    assert len(kept) == 12 and all("judge" not in r["meta"]["extra"]["ledger"]["by_stage"] for r in kept)
    _, kept, drops = synth_run(tmp_path / "j", {"teacher": fake_backend(judge={"R1": 0, "R2": 1, "R3": 1})})
    assert not kept and sum(d["stage"] == "judge" and d["reason"] == "R1" for d in drops) == 12


def test_per_role_models(tmp_path, synth_run):
    teacher, tagger, judge = fake_backend(model="t"), fake_backend(model="g"), fake_backend(model="j")
    _, kept, _ = synth_run(tmp_path / "o", {"teacher": teacher, "tagger": tagger, "judge": judge})
    assert {c["caller"] for c in tagger.calls} == {"stage:select"}
    assert {c["caller"] for c in judge.calls} == {"stage:judge"}
    assert {c["caller"] for c in teacher.calls} == {"stage:extract", "stage:generate", "stage:refine", "stage:compile"}
    assert kept[0]["meta"]["provenance"]["models"] == {
        "teacher": "scripted:t",
        "tagger": "scripted:g",
        "judge": "scripted:j",
    }


def test_dedup_and_decontamination(tmp_path, synth_run, example_corpus):
    rows = [orjson.loads(x) for x in example_corpus.read_bytes().splitlines()]
    dup = dict(rows[0], id="dup-exact")
    near = dict(rows[1], id="dup-near", text=rows[1]["text"].replace("30 days", "thirty days"))
    bench = [rows[2]["text"].split("\n\n")[1]]
    _, kept, drops = synth_run(tmp_path / "o", corpus=rows + [dup, near], decontaminate=bench)
    reasons = {d["id"]: (d["stage"], d["reason"]) for d in drops}
    assert reasons["dup-exact"] == ("dedup", "exact_duplicate")
    assert reasons["dup-near"] == ("dedup", "near_duplicate")
    assert reasons[rows[2]["id"]] == ("decontam", "benchmark_overlap")
    assert len(kept) == 11


def test_existing_output_needs_resume(fake_run):
    out = fake_run[0]
    pipe = Pipeline({"teacher": fake_backend()})
    with pytest.raises(ConfigError, match="--resume"):
        asyncio.run(pipe.run(read_corpus([{"id": "x", "text": "y" * 50}]), out))


def test_cache_makes_a_rerun_free(tmp_path, example_corpus):
    inner = fake_backend()
    b = with_cache({"teacher": inner}, tmp_path / "cache.sqlite")
    asyncio.run(Pipeline(b).run(read_corpus(example_corpus), tmp_path / "a"))
    first = len(inner.calls)
    assert first == 12 * 6
    inner2 = fake_backend()
    b2 = with_cache({"teacher": inner2}, tmp_path / "cache.sqlite")
    report = asyncio.run(Pipeline(b2).run(read_corpus(example_corpus), tmp_path / "b"))
    assert report.kept == 12 and len(inner2.calls) == 0
