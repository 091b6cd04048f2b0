"""Does GRPO raise the reward? Mixed SFT (oracle + flawed rollouts) -> sampled eval -> GRPO -> sampled eval.

    python benchmarks/learn_grpo.py                       # 2 domains from `gem synth run --model fake`
    python benchmarks/learn_grpo.py --synth 4 --steps 24
    python benchmarks/learn_grpo.py --env gem/photo-framing-v0 --tasks new_order_walnut_pickup,cancel_received_order

The SFT corpus holds, per task, one oracle rollout (reward 1) and one rollout whose first write
call has wrong arguments (``trainers.testing.FlawedOracleAgent``, reward 0): like data from a
teacher that fails half the time. The SFT model then picks the right argument about half the time,
so its sampled reward sits between 0.2 and 0.7. GRPO (``trainers.train_grpo``, the code behind
``gem train grpo``) on the same tasks prints the mean env reward of each step's episodes; the
eval (temperature 1, ``--k`` episodes per task, fixed seeds) before and after shows the gain.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def sampled_reward(model_dir: Path, env_ids: list[str], tasks: list[str] | None, k: int, out: Path) -> float:
    """Mean env reward of k episodes per task at temperature 1 (episode seeds 0..k-1 per env)."""
    from trainers.evaluate import evaluate

    res = evaluate(
        f"hf:{model_dir}",
        env_ids,
        k=k,
        tasks=tasks,
        sampling={"temperature": 1.0, "max_tokens": 120},
        output_dir=out,
        concurrency=16,
    )
    return float(res.summary["overall"]["avg@k"])


def prepare(root: Path, env_ids: list[str], tasks: list[str] | None, *, epochs: int, lr: float, hidden: int) -> Path:
    """Write the mixed corpus, build the tiny model, SFT it; return the SFT checkpoint."""
    from trainers.config import GemSFTConfig
    from trainers.sft import train_sft
    from trainers.testing import build_domain_model, write_rollouts

    rows = root / "rows.jsonl"
    rows.unlink(missing_ok=True)
    write_rollouts(env_ids, rows, flawed=True, tasks=tasks)
    base = build_domain_model(root / "base", env_ids, hidden_size=hidden)
    n = sum(1 for _ in rows.open())
    cfg = GemSFTConfig(
        output_dir=str(root / "sft"),
        num_train_epochs=epochs,
        per_device_train_batch_size=n,
        gradient_accumulation_steps=1,
        learning_rate=lr,
        warmup_steps=0,
        lr_scheduler_type="constant",
        weight_decay=0.0,
        logging_steps=10,
        save_strategy="no",
        disable_tqdm=True,
        max_length=4096,
        dataset_num_proc=None,
        seed=0,
    )
    train_sft(rows, base, config=cfg)
    return root / "sft"


def grpo(
    root: Path, sft: Path, env_ids: list[str], tasks: list[str] | None, *, steps: int, lr: float, generations: int
) -> list[float]:
    """GRPO from ``sft``; returns the mean env reward of each step's episodes."""
    from trainers.config import GemGRPOConfig
    from trainers.grpo import train_grpo

    cfg = GemGRPOConfig(
        output_dir=str(root / "grpo"),
        max_steps=steps,
        per_device_train_batch_size=generations,
        num_generations=generations,
        max_completion_length=1536,
        max_turns=8,
        turn_max_new_tokens=120,
        learning_rate=lr,
        warmup_steps=0,
        lr_scheduler_type="constant",
        weight_decay=0.0,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        temperature=1.0,
        seed=0,
    )
    return train_grpo(env_ids, sft, config=cfg, tasks=tasks).env_rewards()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default=None, help="An env id instead of synthesized domains.")
    ap.add_argument("--tasks", default=None, help="Comma-separated task ids (with --env).")
    ap.add_argument("--synth", type=int, default=2, help="Domains from `gem synth run --model fake`.")
    ap.add_argument("--sft-epochs", type=int, default=40)
    ap.add_argument("--sft-lr", type=float, default=2e-2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trainers.testing import synth_domains

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        env_ids = [args.env] if args.env else [str(p) for p in synth_domains(root / "synth")][: args.synth]
        tasks = args.tasks.split(",") if args.tasks else None
        t0 = time.perf_counter()
        sft = prepare(root, env_ids, tasks, epochs=args.sft_epochs, lr=args.sft_lr, hidden=args.hidden)
        before = sampled_reward(sft, env_ids, tasks, args.k, root / "eval-sft")
        print(
            f"SFT on oracle + flawed rollouts ({time.perf_counter() - t0:.0f}s): sampled reward {before:.3f}",
            flush=True,
        )
        t1 = time.perf_counter()
        curve = grpo(root, sft, env_ids, tasks, steps=args.steps, lr=args.lr, generations=args.generations)
        for i, r in enumerate(curve, 1):
            print(f"GRPO step {i:3d}  mean env reward of its {args.generations} episodes {r:.3f}")
        after = sampled_reward(root / "grpo", env_ids, tasks, args.k, root / "eval-grpo")
        print(
            f"after {args.steps} GRPO steps ({time.perf_counter() - t1:.0f}s): sampled reward {after:.3f} "
            f"(before {before:.3f}, gain {after - before:+.3f})"
        )
        print(
            json.dumps(
                {
                    "envs": env_ids,
                    "tasks": tasks or "all",
                    "before": before,
                    "after": after,
                    "step_rewards": curve,
                    "k": args.k,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
