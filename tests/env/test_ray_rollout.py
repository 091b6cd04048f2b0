"""Rollouts on Ray: same rows and rewards as one process, the CLI, resume after a killed worker, no row twice."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from gem_env.cli.rollout import register
from gem_env.llm.testing import LoopbackOpenAIServer
from gem_env.ray_rollout import merge_parts, parts_dir, rollout_on_ray
from gem_env.rollout import rollout
from tools_registry.errors import ConfigError

pytestmark = pytest.mark.ray

import ray  # noqa: E402 - installed in CI (the ray extra); this file must run there, not skip


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def rows(path: Path) -> dict[tuple, dict]:
    """``{(env_id, seed): row}``; fails on a row written twice."""
    out: dict[tuple, dict] = {}
    for line in path.read_bytes().splitlines():
        row = orjson.loads(line)
        key = (row["meta"]["extra"]["env_id"], row["meta"]["extra"]["seed"])
        assert key not in out, f"episode {key} written twice"
        out[key] = row
    return out


def same_episode(a: dict, b: dict) -> bool:
    keep = ("reward", "breakdown", "task_id", "turns", "errors", "terminated", "truncated")
    return a["messages"] == b["messages"] and all(a["meta"]["extra"][k] == b["meta"]["extra"][k] for k in keep)


def oracle_responder(tasks):
    """Answers each request like the reference of the task in the request."""
    by_opening = {next(m.content for m in t.reference if m.role == "user"): t for t in tasks}

    def respond(body):
        msgs = body["messages"]
        task = by_opening[next(m["content"] for m in msgs if m["role"] == "user")]
        k = sum(1 for m in msgs if m["role"] == "assistant")
        ref = [m.to_dict(arguments_as="json") for m in task.reference if m.role == "assistant"]
        return ref[k] if k < len(ref) else {"role": "assistant", "content": ""}

    return respond


def test_two_workers_match_one_process(tiny_domain, tmp_path):
    folder, tids = str(tiny_domain.path), tiny_domain.task_ids()
    single = rollout(folder, "random", 12, concurrency=3, seed=7, task_ids=tids, output=tmp_path / "one.jsonl")
    res = rollout_on_ray(
        folder, "random", 12, num_workers=2, concurrency=3, seed=7, task_ids=tids, output=tmp_path / "ray.jsonl"
    )
    assert [(r.seed, r.task_id, r.reward, r.messages) for r in res.records] == [
        (r.seed, r.task_id, r.reward, r.messages) for r in single
    ]
    one, two = rows(tmp_path / "one.jsonl"), rows(tmp_path / "ray.jsonl")
    assert one.keys() == two.keys() and len(two) == 12
    assert all(same_episode(one[k], two[k]) for k in one)
    assert not parts_dir(tmp_path / "ray.jsonl").exists(), "parts are merged and removed"
    assert res.unfinished == 0 and not res.errors and res.skipped == 0


def test_cli_ray_rollout_resume_and_pool(tiny_domain, tmp_path):
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    out, folder = tmp_path / "rows.jsonl", str(tiny_domain.path)
    with (
        LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks)) as a,
        LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks)) as b,
    ):
        (tmp_path / "urls.txt").write_text(f"{a.url}\n{b.url}\n")
        base = [
            "rollout",
            folder,
            "--agent",
            "openai:loopback",
            "--base-url",
            str(tmp_path / "urls.txt"),
            "--tasks",
            "all",
            "-o",
            str(out),
            "--no-progress",
            "--ray",
            "2",
            "--concurrency",
            "2",
        ]
        res = CliRunner().invoke(app, [*base, "-n", "8"])
        assert res.exit_code == 0, res.output
        assert "8 episodes, mean reward 1.000, 0 failed" in res.output
        assert "agent endpoints:" in res.output and a.url in res.output and b.url in res.output
        assert a.stats["ok"] > 0 and b.stats["ok"] > 0, "each worker's pool used both servers"
        res = CliRunner().invoke(app, [*base, "-n", "12", "--resume"])
        assert res.exit_code == 0 and "4 episodes, mean reward 1.000" in res.output, res.output
        assert "8 finished earlier, skipped" in res.output
    assert len(rows(out)) == 12


def test_cli_one_process_pool_reports_endpoints_as_a_ray_run_does(tiny_domain, tmp_path):
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    with (
        LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks)) as a,
        LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks)) as b,
    ):
        args = ["rollout", str(tiny_domain.path), "--agent", "openai:loopback", "--tasks", "all", "-n", "6"]
        res = CliRunner().invoke(app, [*args, "--base-url", a.url, "--base-url", b.url, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "6 episodes, mean reward 1.000, 0 failed" in res.output
    table = res.output[res.output.index("agent endpoints:") :].splitlines()
    assert table[1].split()[:3] == ["endpoint", "requests", "ok"], res.output
    oks = {row.split()[0]: int(row.split()[2]) for row in table[3:5]}
    assert oks == {a.url: a.stats["ok"], b.url: b.stats["ok"]} and sum(oks.values()) > 0, res.output


def _writer_pids(directory: Path) -> set[int]:
    """Processes holding one of ``directory``'s part files open (this test's Ray workers)."""
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


def test_resume_after_a_killed_worker_redoes_nothing_and_loses_nothing(tiny_domain, tmp_path):
    folder, tids, n = str(tiny_domain.path), tiny_domain.task_ids(), 24
    out = tmp_path / "rows.jsonl"
    reference = rollout(folder, "oracle", n, seed=3, task_ids=tids, output=tmp_path / "one.jsonl")
    with LoopbackOpenAIServer(oracle_responder(tiny_domain.tasks), latency_s=0.05) as srv:
        kw = dict(
            num_workers=2, concurrency=1, seed=3, task_ids=tids, output=out, backend_options={"base_url": srv.url}
        )
        result: dict = {}
        run = threading.Thread(target=lambda: result.update(r=rollout_on_ray(folder, "openai:loopback", n, **kw)))
        run.start()
        victim: set[int] = set()
        deadline = time.time() + 60
        while not victim and time.time() < deadline:
            parts = list(parts_dir(out).glob("part-*.jsonl")) if parts_dir(out).is_dir() else []
            if any(p.stat().st_size > 0 for p in parts):
                victim = _writer_pids(parts_dir(out))
            time.sleep(0.02)
        assert victim, "no worker found writing"
        os.kill(min(victim), signal.SIGKILL)
        run.join(120)
        first = result["r"]
        assert first.unfinished > 0 and "ray worker" in first.errors[-1]
        done = rows(out)
        assert 0 < len(done) < n and len(first.records) + first.unfinished <= n
        # a driver killed while merging leaves a part behind, with a row already in the output and a torn line
        parts_dir(out).mkdir()
        some = next(iter(done.values()))
        (parts_dir(out) / "part-w000.jsonl").write_bytes(orjson.dumps(some) + b"\n" + b'{"messages": [{"ro')
        with pytest.raises(ConfigError, match="--resume"):
            rollout_on_ray(folder, "openai:loopback", n, **kw)
        again = rollout_on_ray(folder, "openai:loopback", n, resume=True, **kw)
    assert again.unfinished == 0 and not again.errors and again.skipped == len(done)
    assert len(again.records) == n - len(done), "only unfinished episodes ran"
    final, ref = rows(out), rows(tmp_path / "one.jsonl")
    assert final.keys() == ref.keys()
    assert all(same_episode(final[k], ref[k]) for k in ref) and {
        r["meta"]["extra"]["reward"] for r in final.values()
    } == {1.0}
    assert [r.reward for r in reference] == [1.0] * n
    assert Counter(len(line) > 0 for line in out.read_bytes().split(b"\n")) == Counter({True: n, False: 1})


def test_merge_parts_skips_rows_already_written(tmp_path):
    out = tmp_path / "o.jsonl"
    row = {"messages": [], "tools": [], "meta": {"extra": {"env_id": "gem/x-v0", "seed": 1, "task_id": "t"}}}
    other = {**row, "meta": {"extra": {"env_id": "gem/x-v0", "seed": 0, "task_id": "t"}}}
    out.write_bytes(orjson.dumps(row) + b"\n")
    parts_dir(out).mkdir()
    (parts_dir(out) / "part-w001.jsonl").write_bytes(orjson.dumps(row) + b"\n" + orjson.dumps(other) + b"\n")
    assert merge_parts(out, skip_written=True) == 1
    assert not parts_dir(out).exists() and len(out.read_bytes().splitlines()) == 2


def test_workers_get_the_roles_sampling_and_tool_choice(tiny_domain, tmp_path):
    seen = []

    def respond(body):
        seen.append({k: body.get(k) for k in ("max_tokens", "tool_choice", "temperature")})
        return oracle_responder(tiny_domain.tasks)(body)

    with LoopbackOpenAIServer(respond) as srv:
        res = rollout_on_ray(
            str(tiny_domain.path),
            "openai:loopback",
            4,
            num_workers=2,
            task_ids=["chair-price"],
            backend_options={"base_url": srv.url},
            tool_choice="required",
            role_sampling={"agent": {"max_tokens": 7, "temperature": 0.5}},
        )
    assert len(res.records) == 4 and seen
    assert all(s["max_tokens"] == 7 and s["temperature"] == 0.5 for s in seen)
    assert {s["tool_choice"] for s in seen} <= {"required", None} and "required" in {s["tool_choice"] for s in seen}


def test_ray_rollout_needs_a_string_agent_and_a_worker(tiny_domain):
    with pytest.raises(ConfigError, match="at least 1 worker"):
        rollout_on_ray(str(tiny_domain.path), "oracle", 2, num_workers=0)
    with pytest.raises(ConfigError, match="agent is a string"):
        rollout_on_ray(str(tiny_domain.path), object(), 2)
