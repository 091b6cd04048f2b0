"""SFT and GRPO throughput (tokens/s) of a randomly initialised Qwen3-architecture model on this device.

    python benchmarks/bench_train.py --size tiny            # CPU smoke figures (seconds)
    python benchmarks/bench_train.py --size 0.5b --steps 10 # the ~0.5B-parameter model (GPU)

SFT: tokens/s = tokens in the batches (prompt + completion, padding excluded) / training seconds.
GRPO: tokens/s = prompt + completion tokens of the episodes / training seconds (generation,
env steps, and the update all count); the env is a bundled gem domain. No download: the model is
random and the tokenizer is the tiny test tokenizer (``build_tiny_chat_model``), so token counts
per text are higher than a real tokenizer's; the figures are for the model size, not for text.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

SIZES = {
    # hidden, layers, heads, kv heads, mlp
    "tiny": {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "num_kv_heads": 2, "intermediate_size": 128},
    "0.5b": {"hidden_size": 1024, "num_layers": 24, "num_heads": 16, "num_kv_heads": 8, "intermediate_size": 3072},
}


def build(size: str, folder: Path) -> Path:
    from gem_env.llm.testing import build_tiny_chat_model

    return build_tiny_chat_model(folder, max_position_embeddings=8192, **SIZES[size])


def bench_sft(model_dir: Path, steps: int, batch: int, max_length: int, out: Path) -> dict:
    import torch

    from trainers.config import GemSFTConfig
    from trainers.sft import build_sft_trainer

    rows = _rows()
    rows = (rows * (steps * batch // len(rows) + 1))[: steps * batch]
    cfg = GemSFTConfig(
        output_dir=str(out / "sft"),
        max_steps=steps,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=1,
        max_length=max_length,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        bf16=None,
    )
    trainer = build_sft_trainer(rows, model_dir, config=cfg)
    t0 = time.perf_counter()
    trainer.train()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    tokens = trainer.state.num_input_tokens_seen or sum(len(x) for x in trainer.train_dataset["input_ids"])
    return {"steps": steps, "batch": batch, "tokens": int(tokens), "seconds": secs, "tokens_per_s": tokens / secs}


def _rows() -> list[dict]:
    from gem_env.env import ToolUseEnv

    env = ToolUseEnv("gem/photo-framing-v0")
    rows = []
    for task in env.tasks[:4]:
        obs, _ = env.reset(seed=0, options={"task_id": task.id})
        msgs = [m.to_dict() for m in task.reference]
        rows.append(
            {"messages": msgs if msgs[0]["role"] == "system" else obs["messages"][:1] + msgs, "tools": obs["tools"]}
        )
    return rows


def bench_grpo(model_dir: Path, steps: int, gens: int, completion: int, out: Path) -> dict:
    import torch

    from trainers.config import GemGRPOConfig
    from trainers.grpo import build_grpo_trainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    cfg = GemGRPOConfig(
        output_dir=str(out / "grpo"),
        max_steps=steps,
        per_device_train_batch_size=gens,
        num_generations=gens,
        max_completion_length=completion,
        max_turns=4,
        turn_max_new_tokens=completion // 2,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        bf16=None,
    )
    trainer = build_grpo_trainer("gem/photo-framing-v0", model_dir, config=cfg, max_tasks=2)
    t0 = time.perf_counter()
    trainer.train()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    tokens = trainer.state.num_input_tokens_seen
    rewards = [h["rewards/env_reward/mean"] for h in trainer.state.log_history if "rewards/env_reward/mean" in h]
    return {
        "steps": steps,
        "episodes_per_step": gens,
        "tokens": int(tokens),
        "seconds": secs,
        "tokens_per_s": tokens / secs,
        "env_reward_mean": sum(rewards) / max(1, len(rewards)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=8192)
    ap.add_argument("--generations", type=int, default=2)
    ap.add_argument("--completion", type=int, default=64)
    ap.add_argument("--only", choices=["sft", "grpo"], default=None)
    args = ap.parse_args()
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build(args.size, Path(tmp) / "model")
        from transformers import AutoModelForCausalLM

        params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(model_dir).parameters())
        result = {"device": device, "size": args.size, "parameters": params, "torch": torch.__version__}
        if args.only in (None, "sft"):
            result["sft"] = bench_sft(model_dir, args.steps, args.batch, args.max_length, Path(tmp))
        if args.only in (None, "grpo"):
            result["grpo"] = bench_grpo(model_dir, args.steps, args.generations, args.completion, Path(tmp))
    print(json.dumps(result, indent=2))
    for kind in ("sft", "grpo"):
        if kind in result:
            r = result[kind]
            print(
                f"{kind.upper():5s} {args.size} ({params / 1e6:.1f}M params) on {device}: "
                f"{r['tokens_per_s']:.0f} tokens/s ({r['tokens']} tokens in {r['seconds']:.1f}s)"
            )


if __name__ == "__main__":
    main()
