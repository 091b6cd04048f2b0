"""trainers: TRL SFT, the Trajectory Synthesizer, GRPO against gem environments, multi-turn evaluation.

Imports are lazy: ``import trainers`` loads neither torch, transformers nor trl. The CLI commands
(``gem train sft|synthesizer|grpo|check-template``, ``gem eval``) live in :mod:`trainers.cli`;
:mod:`trainers.testing` holds the learning checks' helpers (tiny domain model, flawed rollouts, broken templates)
and :mod:`trainers.learning` the GRPO learning check's (mixed SFT, sampled evaluation, Fisher p-value).
"""

from __future__ import annotations

from tools_registry.lazy import lazy_exports

__all__ = [
    "PAPER_SFT_DEFAULTS",
    "EvalResult",
    "GRPOResult",
    "GemGRPOConfig",
    "GemRollout",
    "GemSFTConfig",
    "MaskReport",
    "SFTResult",
    "TemplateReport",
    "aevaluate",
    "avg_at_k",
    "build_config",
    "build_grpo_trainer",
    "build_sft_trainer",
    "build_task_dataset",
    "check_template",
    "corpus_dataset",
    "env_reward",
    "evaluate",
    "load_corpus",
    "mask_report",
    "parse_overrides",
    "pass_at_k",
    "pass_hat_k",
    "render_row",
    "render_table",
    "summarize",
    "synthesizer_rows",
    "train_grpo",
    "train_sft",
    "train_synthesizer",
]

_LAZY = {
    "GemSFTConfig": ".config",
    "GemGRPOConfig": ".config",
    "PAPER_SFT_DEFAULTS": ".config",
    "build_config": ".config",
    "parse_overrides": ".config",
    "load_corpus": ".data",
    "corpus_dataset": ".data",
    "render_row": ".data",
    "train_sft": ".sft",
    "build_sft_trainer": ".sft",
    "mask_report": ".sft",
    "SFTResult": ".sft",
    "MaskReport": ".sft",
    "train_synthesizer": ".synthesizer",
    "synthesizer_rows": ".synthesizer",
    "train_grpo": ".grpo",
    "build_grpo_trainer": ".grpo",
    "GemRollout": ".grpo",
    "build_task_dataset": ".grpo",
    "env_reward": ".grpo",
    "GRPOResult": ".grpo",
    "evaluate": ".evaluate",
    "aevaluate": ".evaluate",
    "EvalResult": ".evaluate",
    "render_table": ".evaluate",
    "check_template": ".templates",
    "TemplateReport": ".templates",
    "pass_at_k": ".metrics",
    "pass_hat_k": ".metrics",
    "avg_at_k": ".metrics",
    "summarize": ".metrics",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
