"""GRPO: the multi-turn rollout assembles model and env tokens correctly; a few real steps on a bundled env."""

from __future__ import annotations

import os

import pytest

ENV = "gem/photo-framing-v0"


class _ScriptedPolicy:
    """A stand-in trainer whose 'model' emits the task's reference assistant turns as tokens."""

    def __init__(self, tok, replies, budget=20000):
        self.processing_class = tok
        self.max_completion_length = budget
        self.eos_token_ids = [tok.eos_token_id]
        self.generation_config = None
        self.replies = list(replies)
        self.generated: list[list[int]] = []

    def _generate_single_turn(self, batch, images, mm, num_generations):
        assert len(batch) == 1
        tok = self.processing_class
        msg = self.replies[len(self.generated)]
        pre = tok.apply_chat_template([{"role": "user", "content": "x"}], add_generation_prompt=True, return_dict=False)
        full = tok.apply_chat_template([{"role": "user", "content": "x"}, msg], return_dict=False)
        ids = full[len(pre) : full.index(tok.eos_token_id, len(pre)) + 1]
        self.generated.append(ids)
        return [ids], None


def test_rollout_interleaves_model_and_env_tokens_and_reports_env_reward(tiny_tokenizer):
    from gem_env.env import ToolUseEnv
    from trainers.grpo import GemRollout

    task = ToolUseEnv(ENV).tasks[0]
    trainer = _ScriptedPolicy(tiny_tokenizer, [m.to_dict() for m in task.reference if m.role == "assistant"])
    trainer._gem_inputs = [{"env_id": ENV, "task_id": task.id, "seed": 0}]
    rollout = GemRollout(max_turns=30)
    out = rollout([[{"role": "user", "content": "p"}]], trainer)

    assert out["env_reward"] == [1.0]  # the reference turns solve the task
    assert out["logprobs"] is None and len(trainer.generated) > 1
    ids, mask = out["completion_ids"][0], out["env_mask"][0]
    assert len(ids) == len(mask)
    # the model tokens are exactly the generated turns, in order, never re-rendered
    assert [t for t, m in zip(ids, mask) if m] == [t for turn in trainer.generated for t in turn]
    env_text = tiny_tokenizer.decode([t for t, m in zip(ids, mask) if not m])
    assert "<tool_response>" in env_text and "<tool_call>" not in env_text
    # prompt + completion is one well-formed conversation: env blocks start right after the model's <|im_end|>
    text = tiny_tokenizer.decode(out["prompt_ids"][0] + ids)
    assert text.count("<|im_start|>assistant") == len(trainer.generated)
    assert rollout.last_stats == {
        "episodes": 1,
        "mean_reward": 1.0,
        "mean_turns": len(trainer.generated),
        "truncated_by_budget": 0,
    }


def test_rollout_cuts_episodes_at_the_token_budget(tiny_tokenizer):
    from gem_env.env import ToolUseEnv
    from trainers.grpo import GemRollout

    task = ToolUseEnv(ENV).tasks[0]
    trainer = _ScriptedPolicy(tiny_tokenizer, [m.to_dict() for m in task.reference if m.role == "assistant"], budget=40)
    trainer._gem_inputs = [{"env_id": ENV, "task_id": task.id, "seed": 0}]
    out = GemRollout(max_turns=30)([[{"role": "user", "content": "p"}]], trainer)
    assert len(out["completion_ids"][0]) <= 40 and out["env_reward"] == [0.0]


@pytest.fixture(scope="module")
def long_tiny(tmp_path_factory):
    from gem_env.llm.testing import build_tiny_chat_model

    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny-long"), max_position_embeddings=8192)


def _length_reward(completions, **kwargs):
    return [float(len(str(c))) / 100.0 for c in completions]


@pytest.mark.slow
def test_grpo_steps_on_bundled_env_log_env_reward_and_change_weights(long_tiny, tmp_path):
    import torch

    from trainers.config import GemGRPOConfig
    from trainers.grpo import build_grpo_trainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    cfg = GemGRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        max_steps=2,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=64,
        max_turns=2,
        turn_max_new_tokens=8,
        learning_rate=1e-2,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        temperature=1.5,
    )
    trainer = build_grpo_trainer(ENV, long_tiny, config=cfg, max_tasks=1, extra_reward_funcs=[_length_reward])
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert len(logs) == 2
    assert all("rewards/env_reward/mean" in h and "env/mean_turns" in h for h in logs)
    assert all(h["rewards/env_reward/mean"] == 0.0 for h in logs)  # a random model does not solve the task
    assert trainer.gem_rollout.last_stats["episodes"] == 2
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert changed


def test_use_vllm_without_vllm_is_a_clear_config_error(monkeypatch):
    import importlib.util

    from tools_registry.errors import ConfigError
    from trainers import GemGRPOConfig, build_grpo_trainer

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    cfg = GemGRPOConfig(output_dir="unused", use_vllm=True)
    with pytest.raises(ConfigError, match="pip install 'gem-env\\[vllm\\]'"):
        build_grpo_trainer("gem/photo-framing-v0", "unused-model", config=cfg)
