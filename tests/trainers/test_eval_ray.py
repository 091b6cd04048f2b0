"""``gem eval --ray N``: the same figures and rows as one process, over a pool of two servers, and resume."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gem_env.llm.testing import LoopbackOpenAIServer

pytestmark = pytest.mark.ray

import ray  # noqa: E402 - installed in CI (the ray extra); this file must run there, not skip

ENV = "gem/photo-framing-v0"


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def half_oracle_responder():
    """Answers like the task's reference in episodes with an even seed; gives up in those with an odd one.

    The request carries the turn's sampling seed (``turn_seed(episode seed, task, turn)``); the episode
    seed is found by recomputing it.
    """
    from gem_env.agents import turn_seed
    from gem_env.registration import resolve_domain

    by_opening = {}
    for t in resolve_domain(ENV).tasks:
        opening = next(m.content for m in t.reference if m.role == "user")
        by_opening[opening] = (t.id, [m.to_dict(arguments_as="json") for m in t.reference if m.role == "assistant"])

    def respond(body):
        msgs = body["messages"]
        task_id, ref = by_opening[next(m["content"] for m in msgs if m["role"] == "user")]
        k = sum(1 for m in msgs if m["role"] == "assistant")
        episode_seed = next(s for s in range(64) if turn_seed(s, task_id, k) == body["seed"])
        if episode_seed % 2 or k >= len(ref):
            return {"role": "assistant", "content": "I cannot help."}
        return ref[k]

    return respond


def _app():
    import typer

    from trainers.cli import register

    app = typer.Typer()
    register(app)
    return app


def test_eval_on_ray_matches_one_process_and_resumes(tmp_path):
    from trainers.evaluate import evaluate

    with LoopbackOpenAIServer(half_oracle_responder()) as a, LoopbackOpenAIServer(half_oracle_responder()) as b:
        opts = {"backend_options": {"base_url": [a.url, b.url]}, "k": 2, "max_tasks": 4}
        one = evaluate("openai:loopback", [ENV], output_dir=tmp_path / "one", **opts)
        two = evaluate("openai:loopback", [ENV], output_dir=tmp_path / "two", ray=2, **opts)
        strip = lambda s: {k: v for k, v in s.items() if k not in ("seconds", "usage")}
        assert strip(two.summary) == strip(one.summary) and two.table == one.table
        calls = lambda s: s["usage"]["agent"]["total"]["calls"]
        assert calls(two.summary) == calls(one.summary) > 0, "the workers' usage is merged into results.json"
        eps = two.summary["usage"]["agent"]["endpoints"]
        assert set(eps) == {a.url, b.url} and sum(e["ok"] for e in eps.values()) == calls(one.summary)
        assert one.summary["envs"][ENV]["avg@k"] == pytest.approx(0.5) and one.summary["envs"][ENV]["episodes"] == 8
        rows = lambda d: sorted(
            (r["meta"]["extra"]["seed"], r["meta"]["extra"]["reward"], json.dumps(r["messages"]))
            for r in map(json.loads, (d / "episodes.jsonl").read_text().splitlines())
        )
        assert rows(tmp_path / "two") == rows(tmp_path / "one")
        assert a.stats["ok"] > 0 and b.stats["ok"] > 0
        # resume with more tasks: only the new tasks' episodes run, the figures cover all of them
        before = a.stats["ok"] + b.stats["ok"]
        more = evaluate(
            "openai:loopback", [ENV], output_dir=tmp_path / "two", ray=2, resume=True, **{**opts, "max_tasks": 5}
        )
        assert len(more.episodes) == 2 and more.summary["envs"][ENV]["episodes"] == 10
        assert a.stats["ok"] + b.stats["ok"] > before
        assert len(rows(tmp_path / "two")) == 10
        r = CliRunner().invoke(
            _app(),
            [
                "eval",
                "--model",
                "openai:loopback",
                "--env",
                ENV,
                "-k",
                "2",
                "--max-tasks",
                "5",
                "--base-url",
                a.url,
                "--base-url",
                b.url,
                "-o",
                str(tmp_path / "two"),
                "--ray",
                "2",
                "--resume",
            ],
        )
        assert r.exit_code == 0, r.output
        assert "50.00" in r.output and len(rows(tmp_path / "two")) == 10, "nothing ran twice"


def test_gem_eval_in_one_process_prints_each_pool_endpoint_table(tmp_path):
    with LoopbackOpenAIServer(half_oracle_responder()) as a, LoopbackOpenAIServer(half_oracle_responder()) as b:
        args = ["eval", "--model", "openai:loopback", "--env", ENV, "-k", "2", "--max-tasks", "3"]
        r = CliRunner().invoke(_app(), [*args, "--base-url", a.url, "--base-url", b.url, "-o", str(tmp_path / "e")])
    assert r.exit_code == 0, r.output
    table = r.output[r.output.index("agent endpoints:") :].splitlines()
    assert table[1].split()[:3] == ["endpoint", "requests", "ok"], r.output
    oks = {row.split()[0]: int(row.split()[2]) for row in table[3:5]}
    assert oks == {a.url: a.stats["ok"], b.url: b.stats["ok"]} and sum(oks.values()) > 0, r.output
    saved = json.loads((tmp_path / "e" / "results.json").read_text())["summary"]["usage"]["agent"]["endpoints"]
    assert {u: e["ok"] for u, e in saved.items()} == oks


def test_eval_on_ray_needs_a_model_string():
    from gem_env.agents import OracleAgent
    from tools_registry.errors import ConfigError
    from trainers.evaluate import evaluate

    with pytest.raises(ConfigError, match="model string"):
        evaluate(OracleAgent(), [ENV], k=1, ray=2)
