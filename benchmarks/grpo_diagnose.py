"""One GRPO step, episode by episode: reward, advantage, and which completion tokens carry the loss.

    python benchmarks/grpo_diagnose.py --model runs/sft --env OUT/domains/synth-customer-support-33ea1bae
    python benchmarks/grpo_diagnose.py --model runs/sft --env gem/photo-framing-v0 --tasks cancel_received_order

It builds the trainer ``gem train grpo`` builds (``trainers.grpo.build_grpo_trainer``, with
``learn_grpo.py``'s episode limits and ``--lr``; one step of 8 episodes), runs one optimizer step, and prints what TRL trained on: each
episode's env reward, its advantage, the number of completion tokens with loss (the model's own) and
without (the environment's), and the completion with the loss-carrying spans between ``[[`` and
``]]`` (all of them with ``--full``; else the first two and the last). It also says whether every
group of ``num_generations`` rows is one task, and ``--dump`` writes the rows (ids, loss mask,
reward, advantage) as JSON.
"""

from __future__ import annotations

import argparse
import os
import tempfile


def spans(tok, ids: list[int], mask: list[int]) -> list[tuple[int, str]]:
    """Consecutive runs of ``ids`` with the same mask value, decoded: ``[(mask, text), ...]``."""
    out: list[tuple[int, list[int]]] = []
    for i, m in zip(ids, mask):
        if out and out[-1][0] == m:
            out[-1][1].append(i)
        else:
            out.append((m, [i]))
    return [(m, tok.decode(run, skip_special_tokens=False)) for m, run in out]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="Checkpoint (an SFT output folder).")
    ap.add_argument("--env", action="append", required=True, help="Env id or domain folder (repeatable).")
    ap.add_argument("--tasks", default=None)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--loss-type", default=None, help="TRL loss_type (default: the config's).")
    ap.add_argument("--full", action="store_true", help="Print every span of every episode.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--dump", default=None, help="Write the step's rows (ids, loss mask, reward, advantage) as JSON here."
    )
    args = ap.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

    from trainers.config import GemGRPOConfig
    from trainers.grpo import build_grpo_trainer

    extra = {"loss_type": args.loss_type} if args.loss_type else {}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = GemGRPOConfig(
            output_dir=tmp,
            max_steps=1,
            per_device_train_batch_size=args.generations,
            num_generations=args.generations,
            max_completion_length=1536,
            max_turns=8,
            turn_max_new_tokens=120,
            learning_rate=args.lr,
            warmup_steps=0,
            lr_scheduler_type="constant",
            logging_steps=1,
            save_strategy="no",
            disable_tqdm=True,
            seed=args.seed,
            **extra,
        )
        trainer = build_grpo_trainer(
            args.env, args.model, config=cfg, tasks=args.tasks.split(",") if args.tasks else None
        )
        captured: dict = {}
        original = trainer._generate_and_score_completions

        def capture(inputs):
            out = original(inputs)
            captured["rows"] = [(r["env_id"], r["task_id"]) for r in inputs]
            captured["rewards"] = [float(r["env_reward"]) for r in inputs]
            captured["out"] = out
            return out

        trainer._generate_and_score_completions = capture
        trainer.train()

    tok = trainer.processing_class
    out, rows = captured["out"], captured["rows"]
    rollout = trainer.gem_rollout
    print(
        f"loss_type={trainer.loss_type} scale_rewards={trainer.scale_rewards} beta={trainer.beta} "
        f"temperature={trainer.temperature} num_generations={trainer.num_generations}"
    )
    print(f"rollout: {rollout.last_stats}")
    groups = [rows[i : i + trainer.num_generations] for i in range(0, len(rows), trainer.num_generations)]
    print("group layout:", "OK (each group one task)" if all(len(set(g)) == 1 for g in groups) else f"MIXED {groups}")
    comp = out["completion_ids"].tolist()
    cmask = out["completion_mask"].tolist()
    tmask = out["tool_mask"].tolist() if "tool_mask" in out else [[1] * len(c) for c in comp]
    adv = out["advantages"].tolist()
    if args.dump:
        import json

        pids, pmask = out["prompt_ids"].tolist(), out["prompt_mask"].tolist()
        dump = [
            {
                "prompt_ids": [i for i, m in zip(p, pm) if m],
                "completion_ids": c[: sum(cm)],
                "loss_mask": [x * y for x, y in zip(cm[: sum(cm)], tm)],
                "reward": r,
                "advantage": a,
            }
            for p, pm, c, cm, tm, r, a in zip(pids, pmask, comp, cmask, tmask, captured["rewards"], adv)
        ]
        with open(args.dump, "w", encoding="utf-8") as fh:
            json.dump(dump, fh)
    for b, (ids, cm, tm, a) in enumerate(zip(comp, cmask, tmask, adv)):
        n = sum(cm)
        ids, loss = ids[:n], [c * t for c, t in zip(cm[:n], tm[:n])]
        print(
            f"\n=== episode {b} ({rows[b][1]}) reward {captured['rewards'][b]:.2f} advantage {a:+.3f} "
            f"loss tokens {sum(loss)} env tokens {n - sum(loss)}"
        )
        runs = spans(tok, ids, loss)
        shown = runs if args.full else [r for r in runs if r[0]][:2] + [r for r in runs if r[0]][-1:]
        for m, text in shown:
            text = text if args.full else (text if len(text) < 240 else text[:120] + " ... " + text[-100:])
            print(("[[" + text + "]]") if m else text)


if __name__ == "__main__":
    main()
