"""Evaluation: k rollouts per task, metrics per env and overall, files written, deterministic."""

from __future__ import annotations

import json

import pytest

from tools_registry.errors import ConfigError

ENV = "gem/photo-framing-v0"


def _half_oracle():
    from gem_env.agents import OracleAgent

    class HalfOracle(OracleAgent):
        """Solves episodes with an even seed, says nothing useful on odd ones."""

        def reset(self, task=None, seed=None):
            super().reset(task, seed)
            if seed % 2:
                self._replies = [{"role": "assistant", "content": "I cannot help."}]

        def clone(self):
            return HalfOracle()

    return HalfOracle()


def test_evaluate_metrics_files_and_determinism(tmp_path):
    from trainers.evaluate import evaluate

    res = evaluate(_half_oracle(), [ENV], k=2, max_tasks=3, output_dir=tmp_path / "a")
    env = res.summary["envs"][ENV]
    assert env["tasks"] == 3 and env["episodes"] == 6
    # episode i has seed i and plays task i // 2: one success and one failure per task
    assert env["avg@k"] == pytest.approx(0.5) and env["pass@k"] == 1.0 and env["pass^k"] == 0.0
    assert res.summary["overall"]["avg@k"] == pytest.approx(0.5)
    saved = json.loads((tmp_path / "a" / "results.json").read_text())
    assert saved["summary"]["envs"][ENV]["pass@k"] == 1.0 and saved["config"]["k"] == 2
    rows = [json.loads(x) for x in (tmp_path / "a" / "episodes.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and [r["meta"]["extra"]["seed"] for r in rows] == list(range(6))
    assert "Pass@2" in res.table and "overall" in res.table

    again = evaluate(_half_oracle(), [ENV], k=2, max_tasks=3, output_dir=tmp_path / "b")
    strip = lambda s: {k: v for k, v in s.items() if k != "seconds"}
    assert strip(again.summary) == strip(res.summary)
    assert [r.messages for r in again.episodes] == [r.messages for r in res.episodes]


def test_evaluate_errors():
    from trainers.evaluate import evaluate, expand_envs

    with pytest.raises(ConfigError, match="nothing to evaluate"):
        expand_envs([])
    with pytest.raises(ConfigError):
        expand_envs([], suite="no-such-suite")
    with pytest.raises(ConfigError, match="unknown task"):
        evaluate("oracle", [ENV], k=1, tasks=["nope"])
