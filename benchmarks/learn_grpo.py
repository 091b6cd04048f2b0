"""Does GRPO raise the reward? Mixed SFT (oracle + flawed rollouts) -> sampled eval -> GRPO -> sampled eval.

    python benchmarks/learn_grpo.py                       # 2 domains from `gem synth run --model fake`
    python benchmarks/learn_grpo.py --synth 4 --steps 24
    python benchmarks/learn_grpo.py --env gem/photo-framing-v0 --tasks new_order_walnut_pickup,cancel_received_order

The SFT corpus holds, per task, one oracle rollout (reward 1) and one rollout whose first write
call has wrong arguments (``trainers.testing.FlawedOracleAgent``, reward 0): like data from a
teacher that fails half the time. The SFT model then picks the right argument about half the time.
GRPO (``trainers.train_grpo``, the code behind ``gem train grpo``) on the same tasks prints the mean
env reward of each step's episodes; the sampled eval (temperature 1, ``--k`` episodes per task,
other episode seeds after than before) shows the gain, with the one-sided Fisher p-value that it
is chance. Synthesized domains run on their compiled tools (``tools="compiled"``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default=None, help="An env id instead of synthesized domains.")
    ap.add_argument("--tasks", default=None, help="Comma-separated task ids (with --env).")
    ap.add_argument("--synth", type=int, default=2, help="Domains from `gem synth run --model fake`.")
    ap.add_argument("--sft-epochs", type=int, default=80)
    ap.add_argument("--sft-lr", type=float, default=2e-2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=0.1, help="KL coefficient (0: none, as TRL's default).")
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trainers.learning import gain_p_value, grpo_rewards, mixed_sft, sampled_rewards
    from trainers.testing import synth_domains

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.env:
            env_ids, env_kwargs = [args.env], None
        else:
            env_ids, env_kwargs = [str(p) for p in synth_domains(root / "synth")][: args.synth], {"tools": "compiled"}
        tasks = args.tasks.split(",") if args.tasks else None
        t0 = time.perf_counter()
        sft = mixed_sft(
            root,
            env_ids,
            epochs=args.sft_epochs,
            lr=args.sft_lr,
            hidden=args.hidden,
            tasks=tasks,
            env_kwargs=env_kwargs,
        )
        before = sampled_rewards(sft, env_ids, root / "eval-sft", k=args.k, tasks=tasks, env_kwargs=env_kwargs)
        mean_before = sum(before) / len(before)
        print(
            f"SFT on oracle + flawed rollouts ({time.perf_counter() - t0:.0f}s): sampled reward {mean_before:.3f} "
            f"({sum(before):.0f}/{len(before)})",
            flush=True,
        )
        t1 = time.perf_counter()
        curve = grpo_rewards(
            root,
            sft,
            env_ids,
            steps=args.steps,
            lr=args.lr,
            beta=args.beta,
            generations=args.generations,
            tasks=tasks,
            env_kwargs=env_kwargs,
        )
        for i, r in enumerate(curve, 1):
            print(f"GRPO step {i:3d}  mean env reward of its {args.generations} episodes {r:.3f}")
        after = sampled_rewards(
            root / "grpo", env_ids, root / "eval-grpo", k=args.k, seed=10_000, tasks=tasks, env_kwargs=env_kwargs
        )
        mean_after = sum(after) / len(after)
        p = gain_p_value(before, after)
        print(
            f"after {args.steps} GRPO steps ({time.perf_counter() - t1:.0f}s): sampled reward {mean_after:.3f} "
            f"({sum(after):.0f}/{len(after)}; before {mean_before:.3f}, gain {mean_after - mean_before:+.3f}, "
            f"one-sided Fisher p = {p:.2g})"
        )
        print(
            json.dumps(
                {
                    "envs": env_ids,
                    "tasks": tasks or "all",
                    "before": mean_before,
                    "after": mean_after,
                    "p_value": p,
                    "step_rewards": curve,
                    "k": args.k,
                    "lr": args.lr,
                    "beta": args.beta,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
