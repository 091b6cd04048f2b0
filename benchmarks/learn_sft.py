"""Does SFT learn? Oracle rollouts of a domain -> SFT of a tiny model -> greedy eval on the same tasks, per epoch.

    python benchmarks/learn_sft.py                                  # photo-framing, all 13 tasks
    python benchmarks/learn_sft.py --tasks order_status_ready,other_persons_order_refused --epochs 40
    python benchmarks/learn_sft.py --synth 4                        # 4 domains from `gem synth run --model fake`

Synthesized domains run on their compiled tools (``tools="compiled"``, docs/compile.md).

Prints, every ``--eval-every`` epochs, the training loss and the mean env reward of greedy episodes
(``trainers.evaluate``, the code behind ``gem eval``) on the tasks trained on. The model is a tiny
random Qwen3 (TRL's qwen3.jinja) whose BPE is fitted to the domain (``trainers.testing``); the
figures show the loop learning, not a model generalising. Run with ``--link mask`` or
``--link tool_call_format`` to break one link of the loop on purpose and watch the reward stay 0.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _eval(
    model_dir: Path, env_ids: list[str], tasks: list[str] | None, out: Path, max_tokens: int, env_kwargs: dict | None
) -> float:
    from trainers.evaluate import evaluate

    res = evaluate(
        f"hf:{model_dir}",
        env_ids,
        k=1,
        tasks=tasks,
        sampling={"temperature": 0.0, "max_tokens": max_tokens},
        env_kwargs=env_kwargs,
        output_dir=out,
    )
    return float(res.summary["overall"]["avg@k"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="gem/photo-framing-v0")
    ap.add_argument("--tasks", default=None, help="Comma-separated task ids (default: every task).")
    ap.add_argument("--synth", type=int, default=0, help="Use N domains synthesized by the fake teacher instead.")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--lr", type=float, default=2e-2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--link", choices=["mask", "tool_call_format"], default=None, help="Break this link.")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the run's files in this folder.")
    args = ap.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    import torch
    from transformers import TrainerCallback

    from trainers.learning import overfit_sft_config
    from trainers.sft import save_trained_template, train_sft, trained_template
    from trainers.testing import broken_template, build_domain_model, synth_domains, write_rollouts

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        env_ids = [str(p) for p in synth_domains(root / "synth")][: args.synth] if args.synth else [args.env]
        env_kwargs = {"tools": "compiled"} if args.synth else None
        tasks = args.tasks.split(",") if args.tasks else None
        rows = root / "rows.jsonl"
        rows.unlink(missing_ok=True)
        rewards = write_rollouts(env_ids, rows, tasks=tasks, env_kwargs=env_kwargs)
        base = build_domain_model(root / "base", env_ids, hidden_size=args.hidden)
        print(
            f"{len(rewards)} oracle episodes (mean reward {sum(rewards) / len(rewards):.2f}); "
            f"setup {time.perf_counter() - started:.0f}s; device: CPU ({torch.get_num_threads()} threads)"
        )
        base_reward = _eval(base, env_ids, tasks, root / "eval-base", args.max_tokens, env_kwargs)
        print(f"before training: greedy reward {base_reward:.3f}", flush=True)
        extra = {}
        if args.link:
            (root / "broken.jinja").write_text(broken_template(args.link), encoding="utf-8")
            extra["chat_template_path"] = str(root / "broken.jinja")
        curve: list[dict] = []

        class EvalEvery(TrainerCallback):
            def on_epoch_end(self, targs, state, control, model=None, processing_class=None, **kw):
                epoch = round(state.epoch or 0)
                if epoch % args.eval_every and epoch != args.epochs:
                    return
                snap = root / f"epoch-{epoch}"
                model.save_pretrained(snap)
                save_trained_template(processing_class, trained_template(processing_class), snap)
                losses = [h["loss"] for h in state.log_history if "loss" in h]
                t0 = time.perf_counter()
                reward = _eval(snap, env_ids, tasks, root / f"eval-{epoch}", args.max_tokens, env_kwargs)
                curve.append(
                    {
                        "epoch": epoch,
                        "loss": losses[-1] if losses else None,
                        "reward": reward,
                        "train_s": round(t0 - train_start, 1),
                    }
                )
                print(
                    f"epoch {epoch:3d}  loss {losses[-1] if losses else float('nan'):.4f}  "
                    f"greedy reward {reward:.3f}  ({t0 - train_start:.0f}s training so far)",
                    flush=True,
                )

        cfg = overfit_sft_config(
            root / "sft", epochs=args.epochs, batch=args.batch, lr=args.lr, logging_steps=1, **extra
        )
        train_start = time.perf_counter()
        res = train_sft(rows, base, config=cfg, callbacks=[EvalEvery()])
        secs = time.perf_counter() - train_start
        print(
            json.dumps(
                {
                    "envs": env_ids,
                    "tasks": tasks or "all",
                    "rows": res.mask.rows_kept,
                    "tokens_per_row": res.mask.tokens / max(1, res.mask.rows_kept),
                    "link_broken": args.link,
                    "reward_before": base_reward,
                    "curve": curve,
                    "seconds": round(secs, 1),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
