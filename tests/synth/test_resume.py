"""Kill -9 in the middle of a run, resume: no item lost, none duplicated, no finished LLM call redone.

A call is finished when its reply is stored in the run's cache. The fake teacher logs each call
it answers by its cache key; a kill can land after the teacher answered and before the reply was
stored (two separate writes), and such a call, in flight at the kill, is made again on resume.
So the check is: no call made on resume was already stored, and only calls in flight at the
kill (at most ``concurrency``) are answered twice. ``benchmarks/resume_stress.py`` repeats this
with many kills at random points under CPU load.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import orjson
import pytest

from synth.store import finished_ids, iter_rows, repair
from tools_registry.errors import ConfigError

RUNNER = r"""
import asyncio, sys
from pathlib import Path
from gem_env.llm.testing import ScriptedBackend
from gem_env.llm.cache import request_key
from synth.corpus import read_corpus
from synth.pipeline import Pipeline, SynthConfig, with_cache
from synth.testing import FakeTeacher

corpus, out, log, resume, delay = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", float(sys.argv[5])
teacher = FakeTeacher(delay_s=delay)

async def logged(messages, tools, response_format, sampling):
    text = await teacher(messages, tools, response_format, sampling)
    with open(log, "a") as fh:  # the key CachedBackend stores this call's reply under
        fh.write(request_key("scripted", "fake", messages, tools, response_format, sampling) + "\n")
    return text

backends = with_cache({"teacher": ScriptedBackend(logged, model="fake")}, out / "cache.sqlite")
report = asyncio.run(Pipeline(backends, SynthConfig(concurrency=4)).run(read_corpus(corpus), out, resume=resume))
print(report.kept, report.skipped, report.errors)
"""


def make_corpus(path, n=40):
    verbs = ["Open", "Check", "Select", "Enter", "Remove", "Install", "Restart", "Clean"]
    with open(path, "wb") as fh:
        for i in range(n):
            steps = "\n".join(
                f"{j + 1}. {verbs[(i + j) % 8]} the part number {i * 10 + j} carefully." for j in range(4)
            )
            fh.write(orjson.dumps({"id": f"t{i:03d}", "text": f"How to service unit {i}\n{steps}"}) + b"\n")
    return n


def test_kill_and_resume(tmp_path):
    corpus, out, log = tmp_path / "c.jsonl", tmp_path / "out", tmp_path / "calls.log"
    n = make_corpus(corpus)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(corpus), str(out), str(log), "0", "0.05"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if len(list(iter_rows(out / "corpus"))) >= 4 if (out / "corpus").is_dir() else False:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = stored_keys(out / "cache.sqlite")
    answered = log.read_text().split()
    done_before = finished_ids(out)
    assert 0 < len(done_before) < n, "the kill must land mid-run"
    # a torn last line, as a kill during a write would leave it
    shard = sorted((out / "corpus").glob("part-*.jsonl"))[0]
    with open(shard, "ab") as fh:
        fh.write(b'{"messages": [{"role": "us')
    r = subprocess.run(
        [sys.executable, "-c", RUNNER, str(corpus), str(out), str(log), "1", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    kept, skipped, errors = map(int, r.stdout.split())
    assert errors == 0 and skipped == len(done_before)
    ids = [row["meta"]["provenance"]["source_id"] for row in iter_rows(out / "corpus")]
    ids += [d["id"] for d in iter_rows(out / "drops")]
    assert sorted(ids) == [f"t{i:03d}" for i in range(n)], "every item exactly once"
    for path in (out / "corpus").glob("*.jsonl"):
        assert path.read_bytes().endswith(b"\n")
    resumed = log.read_text().split()[len(answered) :]
    assert not set(resumed) & stored, "a finished LLM call was redone"
    assert len(resumed) == len(set(resumed)), "a call was made twice within one run"
    in_flight = set(answered) - stored
    assert set(resumed) & set(answered) <= in_flight and len(in_flight) <= 4  # concurrency=4
    assert len(set(answered) | set(resumed)) == n * 6


def stored_keys(path):
    con = sqlite3.connect(path)
    try:
        return {k for (k,) in con.execute("SELECT key FROM replies")}
    finally:
        con.close()


def test_repair_cuts_torn_lines(tmp_path):
    p = tmp_path / "part-000-00000.jsonl"
    p.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a"')
    assert repair(tmp_path) == 1 and p.read_bytes() == b'{"a": 1}\n{"a": 2}\n'
    assert repair(tmp_path) == 0


def test_a_damaged_row_is_a_config_error_naming_its_line(tmp_path):
    (tmp_path / "corpus").mkdir()
    p = tmp_path / "corpus" / "part-000-00000.jsonl"
    p.write_bytes(b'{"meta": {"provenance": {"source_id": "a"}}}\n{"meta": \xff}\n')
    with pytest.raises(ConfigError, match=r"part-000-00000\.jsonl line 2: not JSON"):
        finished_ids(tmp_path)
    p.write_bytes(b"[1]\n")
    with pytest.raises(ConfigError, match=r"part-000-00000\.jsonl line 1: expected a JSON object, got list"):
        list(iter_rows(tmp_path / "corpus"))


def test_rows_without_a_readable_id_are_not_finished(tmp_path):
    for sub, rows in (
        ("corpus", [{"meta": []}, {"meta": {"provenance": "x"}}, {"meta": {"provenance": {"source_id": "a"}}}]),
        ("drops", [{}, {"id": "b"}]),
    ):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "part-000-00000.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    assert finished_ids(tmp_path) == {"a", "b"}
