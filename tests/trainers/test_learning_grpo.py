"""GRPO raises the reward: a mixed SFT model (right about half the time) -> ``gem train grpo`` -> a better policy.

One domain from ``gem synth run --model fake`` on its compiled tools; a tiny model fitted to it is
SFT-trained on one oracle and one flawed rollout (``trainers.learning.mixed_sft``), so at the write
call it picks the right ticket id or the garbled one about half the time. The sampled evaluation
(temperature 1, independent per-turn seeds) before and after a few GRPO steps must differ by more
than chance: the one-sided Fisher exact p-value of the gain (``trainers.learning.gain_p_value``)
must be below 0.01. If GRPO did nothing, both evaluations would draw from one success rate and the
p-value would be below 0.01 in at most 1 run in 100. A second test reads the exact probability of
the right argument before and after two GRPO steps (``trainers.learning.decision_probabilities``).
"""

from __future__ import annotations

import os

import pytest

#: Episodes per evaluation (one task): 24 draws before and 24 after.
K = 24
COMPILED = {"tools": "compiled"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """One synthesized domain on compiled tools and the tiny model SFT-trained on its oracle + flawed rollouts."""
    from trainers.learning import mixed_sft
    from trainers.testing import synth_domains

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    root = tmp_path_factory.mktemp("grpo-learn")
    env_ids = [str(synth_domains(root / "synth")[0])]
    return root, env_ids, mixed_sft(root, env_ids, epochs=80, hidden=128, env_kwargs=COMPILED)


@pytest.mark.slow
def test_grpo_steps_raise_the_probability_of_the_right_argument(mixed, tmp_path):
    """Two GRPO steps move the exact probability of the right ticket id up from about 1/2."""
    from trainers.learning import decision_probabilities, grpo_rewards

    root, env_ids, sft = mixed
    (before,) = decision_probabilities(sft, root / "rows.jsonl")
    assert 0.2 <= before <= 0.8, before  # the mixed SFT model is right part of the time
    curve = grpo_rewards(tmp_path, sft, env_ids, steps=2, env_kwargs=COMPILED)
    (after,) = decision_probabilities(tmp_path / "grpo", root / "rows.jsonl")
    assert after - before >= 0.15, (before, curve, after)


@pytest.mark.slow
def test_grpo_raises_the_sampled_reward_beyond_chance(mixed, tmp_path):
    from trainers.learning import gain_p_value, grpo_rewards, sampled_rewards

    root, env_ids, sft = mixed
    before = sampled_rewards(sft, env_ids, tmp_path / "eval-sft", k=K, env_kwargs=COMPILED)
    assert 0.2 <= sum(before) / K <= 0.8, before

    curve = grpo_rewards(tmp_path, sft, env_ids, steps=5, env_kwargs=COMPILED)
    assert len(curve) == 5
    after = sampled_rewards(tmp_path / "grpo", env_ids, tmp_path / "eval-grpo", k=K, seed=10_000, env_kwargs=COMPILED)

    p = gain_p_value(before, after)
    assert sum(after) > sum(before) and p < 0.01, (before, curve, after, p)


def test_gain_p_value_is_the_fisher_upper_tail():
    from trainers.learning import gain_p_value

    # 12/24 then 23/24: the hypergeometric tail P(X >= 23 | 35 successes among 48, 24 drawn)
    assert gain_p_value([1.0] * 12 + [0.0] * 12, [1.0] * 23 + [0.0]) == pytest.approx(0.000349, rel=1e-2)
    assert gain_p_value([1.0, 0.0], [1.0, 0.0]) == pytest.approx(5 / 6)  # no gain: a tail near 1
    assert gain_p_value([0.0] * 4, [1.0] * 4) == pytest.approx(1 / 70)  # 4 of 8 successes all after
