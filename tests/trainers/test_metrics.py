"""Metric code against hand-computed cases."""

from __future__ import annotations

import pytest

from tools_registry.errors import ConfigError
from trainers.metrics import avg_at_k, pass_at_k, pass_hat_k, summarize, task_scores


def test_pass_hat_k_is_c_choose_k_over_n_choose_k():
    # n=5, c=3, k=2: C(3,2)/C(5,2) = 3/10
    assert pass_hat_k(5, 3, 2) == pytest.approx(0.3)
    # n=4, c=4 -> 1 ; c=3, k=4 -> 0 ; k=1 -> c/n
    assert pass_hat_k(4, 4, 4) == 1.0
    assert pass_hat_k(4, 3, 4) == 0.0
    assert pass_hat_k(4, 3, 1) == pytest.approx(0.75)
    assert pass_hat_k(6, 4, 3) == pytest.approx(4 / 20)


def test_pass_at_k_unbiased():
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_at_k(4, 1, 4) == 1.0  # n == k: any success
    assert pass_at_k(4, 0, 4) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(5, 4, 2) == 1.0  # C(1,2) = 0


def test_avg_and_task_scores():
    assert avg_at_k([1, 0, 0.5, 1]) == pytest.approx(0.625)
    s = task_scores([1.0, 0.0, 1.0, 0.5], k=4)
    assert s == {"n": 4, "successes": 2, "avg@k": pytest.approx(0.625), "pass@k": 1.0, "pass^k": 0.0}
    s2 = task_scores([0.9, 0.6], k=1, threshold=0.5)
    assert s2["successes"] == 2 and s2["pass^k"] == 1.0


def test_summarize_per_env_and_overall():
    rewards = {
        "gem/a-v0": {"t1": [1, 1, 1, 1], "t2": [0, 0, 1, 0]},
        "gem/b-v0": {"t1": [0, 0, 0, 0]},
    }
    out = summarize(rewards, k=4)
    a, b = out["envs"]["gem/a-v0"], out["envs"]["gem/b-v0"]
    assert a["avg@k"] == pytest.approx((1.0 + 0.25) / 2)
    assert a["pass@k"] == pytest.approx(1.0)
    assert a["pass^k"] == pytest.approx(0.5)
    assert a["tasks"] == 2 and a["episodes"] == 8
    assert b["avg@k"] == 0 and b["pass@k"] == 0
    # overall = mean over environments; all_tasks = mean over the pooled tasks
    assert out["overall"]["avg@k"] == pytest.approx((0.625 + 0.0) / 2)
    assert out["overall"]["pass^k"] == pytest.approx(0.25)
    assert out["all_tasks"]["avg@k"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert out["all_tasks"]["pass@k"] == pytest.approx(2 / 3)


def test_metric_errors():
    with pytest.raises(ConfigError, match="larger than"):
        pass_at_k(2, 1, 4)
    with pytest.raises(ConfigError):
        pass_hat_k(3, 4, 1)
    with pytest.raises(ConfigError):
        summarize({"gem/x-v0": {}}, k=1)
