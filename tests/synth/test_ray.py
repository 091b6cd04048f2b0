"""The pipeline on Ray: same kept/dropped ids as one process, one row per item, resume after a killed worker."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from synth.cli import register
from synth.corpus import read_corpus
from synth.distributed import require_ray, run_on_ray, shard_of
from synth.pipeline import SynthConfig
from synth.stats import collect
from synth.store import finished_ids, iter_rows
from tools_registry.errors import ConfigError

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    # imported here, not at module level: collecting the suite (e.g. `-k vllm`) works without the ray
    # extra, while running these tests without it fails loudly (CI installs ray; they never skip)
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def ids(out: Path) -> tuple[list[str], list[tuple[str, str]]]:
    kept = [r["meta"]["provenance"]["source_id"] for r in iter_rows(out / "corpus")]
    drops = [(d["id"], d["stage"]) for d in iter_rows(out / "drops")]
    return kept, drops


def test_two_workers_match_single_process(fake_run, example_corpus, tmp_path):
    single_out, single_report, _, _ = fake_run
    out = tmp_path / "ray"
    report = run_on_ray(
        read_corpus(example_corpus), out, {"teacher": "fake"}, SynthConfig(concurrency=4), num_workers=2
    )
    kept, drops = ids(out)
    s_kept, s_drops = ids(single_out)
    assert sorted(kept) == sorted(s_kept) and sorted(drops) == sorted(s_drops)
    assert len(kept) + len(drops) == len({*kept, *(d for d, _ in drops)}) == 17, "no item twice"
    assert (report.kept, report.dropped, report.errors, report.seen) == (12, {"prefilter": 5}, 0, 17)
    tags = {p.name.split("-")[2] for p in (out / "corpus").glob("part-*.jsonl")}
    assert tags == {"w000", "w001"}, "each worker writes its own shard files"
    assert {shard_of(i, 2) for i in kept} == {0, 1}
    mine, theirs = collect([out])["pipeline"], collect([single_out])["pipeline"]
    assert mine["kept"] == theirs["kept"] == 12 and mine["drops"] == theirs["drops"]
    assert mine["funnel"] == theirs["funnel"] and mine["calls"] == theirs["calls"]
    assert len(list((out / "domains").iterdir())) == 12
    assert [line.count(b'"event"') for line in (out / "runs.jsonl").read_bytes().splitlines()] == [1, 1]


def test_cli_ray_run_resume_and_stats(example_corpus, tmp_path):
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner, out = CliRunner(), tmp_path / "out"
    base = ["synth", "run", str(example_corpus), "-o", str(out), "--model", "fake", "--quiet", "--ray", "2"]
    r = runner.invoke(app, [*base, "--limit", "8"])
    assert r.exit_code == 0 and "errors 0" in r.output, r.output
    assert len(finished_ids(out)) == 8
    r = runner.invoke(app, [*base, "--resume"])
    assert r.exit_code == 0 and "skipped (finished earlier) 8" in r.output, r.output
    kept, drops = ids(out)
    assert len(kept) == 12 and len(drops) == 5 and len(set(kept) | {d for d, _ in drops}) == 17
    r = runner.invoke(app, ["synth", "stats", str(out)])
    assert r.exit_code == 0 and "prefilter/not_procedural: 5" in r.output, r.output


def _writer_pids(directory: Path) -> set[int]:
    """Processes holding one of ``directory``'s shard files open (this test's Ray workers)."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        if any(link.startswith(str(directory)) and link.endswith(".jsonl") for link in links):
            pids.add(int(proc.name))
    return pids


def test_resume_after_killed_worker_does_no_work_twice(fake_run, example_corpus, tmp_path):
    out = tmp_path / "out"
    cfg = SynthConfig(concurrency=1)
    result: dict = {}
    run = threading.Thread(
        target=lambda: result.update(r=run_on_ray(read_corpus(example_corpus), out, {"teacher": "fake:0.05"}, cfg)),
    )
    run.start()
    victim: set[int] = set()
    deadline = time.time() + 30
    while not victim and time.time() < deadline:
        if (out / "corpus").is_dir() and len(list(iter_rows(out / "corpus"))) >= 1:
            victim = _writer_pids(out / "corpus")
        time.sleep(0.02)
    assert victim, "no worker found writing"
    pid = min(victim)
    os.kill(pid, signal.SIGKILL)
    run.join(60)
    first = result["r"]
    assert first.errors > 0 and "ray worker failed" in first.error_messages[-1]
    done = finished_ids(out)
    assert 0 < len(done) < 17
    shard = sorted((out / "corpus").glob("part-*.jsonl"))[0]
    with open(shard, "ab") as fh:  # a torn last line, as a kill during a write leaves it
        fh.write(b'{"messages": [{"role": "us')
    with pytest.raises(ConfigError, match="--resume"):
        run_on_ray(read_corpus(example_corpus), out, {"teacher": "fake"}, cfg)
    again = run_on_ray(read_corpus(example_corpus), out, {"teacher": "fake"}, cfg, resume=True)
    assert again.errors == 0 and again.skipped == len(done)
    assert again.kept + sum(again.dropped.values()) == 17 - len(done), "only unfinished items were processed"
    kept, drops = ids(out)
    count = Counter([*kept, *(d for d, _ in drops)])
    assert len(count) == 17 and max(count.values()) == 1, "every item exactly once"
    assert sorted(kept) == sorted(ids(fake_run[0])[0]) and sorted(drops) == sorted(ids(fake_run[0])[1])
    for sub in ("corpus", "drops"):
        for path in (out / sub).glob("*.jsonl"):
            assert path.read_bytes().endswith(b"\n")


def test_without_ray_a_config_error_names_the_extra(monkeypatch, tmp_path, example_corpus):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"pip install 'gem-env\[ray\]'"):
        require_ray()
    segs = itertools.islice(read_corpus(example_corpus), 2)
    with pytest.raises(ConfigError, match="gem-env"):
        run_on_ray(segs, tmp_path / "o", {"teacher": "fake"}, num_workers=2)
    assert not (tmp_path / "o").exists()


def test_import_synth_does_not_load_ray():
    import subprocess

    code = "import sys, synth, gem_env, synth.cli, synth.distributed, synth.pipeline; print('ray' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"
