"""Supervised fine-tuning on a gem corpus with TRL's ``SFTTrainer``.

Rows (``messages`` + ``tools``) are rendered by the model's own chat template with its tools, and the
loss covers assistant tokens only (TRL's ``assistant_only_loss``; for templates without generation
markers TRL swaps in its training variant). After TRL tokenizes, :func:`mask_report` counts the
trained tokens and a mask that is all zero is an error, not a silent no-op. Tokenization, packing,
optimisation and saving are TRL's and transformers'.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

__all__ = [
    "MaskReport",
    "SFTResult",
    "build_sft_trainer",
    "mask_report",
    "resolve_model_path",
    "save_trained_template",
    "train_sft",
    "trained_template",
]

logger = logging.getLogger(__name__)


@dataclass
class MaskReport:
    """What the loss sees after tokenization."""

    rows_in: int = 0
    rows_kept: int = 0
    tokens: int = 0
    trained_tokens: int = 0

    @property
    def trained_fraction(self) -> float:
        """The share of tokens that carry the loss (0.0 when there are none)."""
        return self.trained_tokens / self.tokens if self.tokens else 0.0


@dataclass
class SFTResult:
    """Outcome of :func:`train_sft`."""

    output_dir: str
    metrics: dict[str, Any]
    log_history: list[dict[str, Any]]
    mask: MaskReport
    trainer: Any = field(default=None, repr=False)


def resolve_model_path(model: Any) -> Any:
    """Accept ``hf:<id or path>`` as well as a bare id/path; objects pass through."""
    if isinstance(model, str) and model.startswith("hf:"):
        return model[3:]
    if isinstance(model, Path):
        return str(model)
    return model


def trained_template(tokenizer: Any) -> str | None:
    """The template TRL's ``SFTTrainer`` renders with under ``assistant_only_loss``.

    None when the tokenizer's own has generation markers, else TRL's training variant (None when
    TRL has none).
    """
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    if has_generation_markers(tokenizer.chat_template):
        return None
    return get_training_chat_template(tokenizer)


def save_trained_template(tokenizer: Any, template: str | None, out_dir: str | Path) -> None:
    """Save ``tokenizer`` with the chat template training rendered with, so inference renders the same tokens.

    TRL trains through a variant of some templates (e.g. ``qwen3_training.jinja``: an empty think block in
    every assistant turn, where Qwen3's own template drops it from earlier turns). A checkpoint saved
    with the original template would be served conversations laid out unlike every one it was trained
    on; ``gem train check-template`` shows the difference.
    """
    original = tokenizer.chat_template
    if template is not None and template != original:
        logger.info("saving the checkpoint with the chat template it was trained with (TRL's training variant)")
        tokenizer.chat_template = template
    try:
        tokenizer.save_pretrained(out_dir)
    finally:
        tokenizer.chat_template = original


def mask_report(dataset: Any, rows_in: int) -> MaskReport:
    """Count tokens and loss-bearing tokens (``labels != -100``) of a TRL-prepared dataset."""
    rep = MaskReport(rows_in=rows_in)
    cols = dataset.column_names
    for ex in dataset.select_columns([c for c in ("input_ids", "labels") if c in cols]):
        rep.rows_kept += 1
        rep.tokens += len(ex["input_ids"])
        labels = ex.get("labels")
        rep.trained_tokens += len(ex["input_ids"]) if labels is None else sum(1 for t in labels if t != -100)
    return rep


def _as_dataset(data: Any):
    from .data import corpus_dataset, load_corpus

    if isinstance(data, (str, Path)):
        return corpus_dataset(load_corpus(data))
    if isinstance(data, list):
        return corpus_dataset(data)
    return data  # a datasets.Dataset the caller built (keep it as given)


@contextlib.contextmanager
def quiet_library_bars(datasets_too: bool = True) -> Iterator[None]:
    """Silence the progress bars of transformers and datasets within the block.

    Transformers' (weights loading, checkpoint writing) and datasets' (four passes over the corpus)
    bars interleave with one another and with the one bar kept, the training loop's. Restores the
    previous settings.
    """
    import datasets
    from transformers.utils import logging as hf_logging

    ds_was_on = datasets_too and not datasets.are_progress_bars_disabled()
    hf_was_on = hf_logging.is_progress_bar_enabled()
    if ds_was_on:
        datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if ds_was_on:
            datasets.enable_progress_bars()
        if hf_was_on:
            hf_logging.enable_progress_bar()


def build_sft_trainer(
    data: Any,
    model: Any,
    *,
    config: Any = None,
    tokenizer: Any = None,
    eval_data: Any = None,
    callbacks: list | None = None,
    **trainer_kwargs: Any,
):
    """Build a TRL ``SFTTrainer`` on a gem corpus and check its loss mask.

    Args:
        data: Corpus path (file or folder of JSONL shards), a list of rows, or a ``datasets.Dataset``.
        model: Model id or path (``hf:`` prefix allowed) or a loaded model.
        config: A :class:`~trainers.config.GemSFTConfig` (paper defaults) or any ``SFTConfig``.
        tokenizer: Tokenizer; loaded from the model when None.
        eval_data: Optional evaluation corpus, same forms as ``data``.
        callbacks: transformers ``TrainerCallback`` list.
        **trainer_kwargs: Passed to ``SFTTrainer`` (e.g. ``peft_config``, ``formatting_func``).

    Raises:
        ConfigError: Empty corpus, or no token left to train on (e.g. a template without assistant masks).
    """
    from trl import SFTTrainer

    from .config import GemSFTConfig

    if config is None:
        config = GemSFTConfig(output_dir="gem-sft")
    train_ds = _as_dataset(data)
    eval_ds = _as_dataset(eval_data) if eval_data is not None else None
    if len(train_ds) == 0:
        raise ConfigError("the training corpus is empty")
    model = resolve_model_path(model)
    if tokenizer is None and isinstance(model, str):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(
            model, **({"trust_remote_code": True} if getattr(config, "trust_remote_code", False) else {})
        )
    try:
        with quiet_library_bars():
            trainer = SFTTrainer(
                model=model,
                args=config,
                train_dataset=train_ds,
                eval_dataset=eval_ds,
                processing_class=tokenizer,
                callbacks=callbacks,
                **trainer_kwargs,
            )
    except RuntimeError as exc:
        if "assistant" in str(exc):
            raise ConfigError(f"assistant-only loss cannot be built for this chat template: {exc}") from exc
        raise
    import datasets

    built = trainer.train_dataset
    assert isinstance(built, datasets.Dataset)  # TRL keeps the datasets.Dataset it was given (tokenized)
    if "input_ids" in built.column_names:
        rep = mask_report(built, len(train_ds))
        if rep.trained_tokens == 0:
            raise ConfigError(
                "no token carries loss after tokenization (assistant mask all zero): check the chat "
                "template's generation markers and max_length"
            )
        if rep.rows_kept < rep.rows_in:
            logger.warning(
                "%d of %d rows were dropped by TRL (no trained token left, e.g. after truncation)",
                rep.rows_in - rep.rows_kept,
                rep.rows_in,
            )
        logger.info(
            "SFT mask: %d rows, %d tokens, %d trained (%.1f%%)",
            rep.rows_kept,
            rep.tokens,
            rep.trained_tokens,
            100 * rep.trained_fraction,
        )
    else:
        rep = MaskReport(rows_in=len(train_ds))
    trainer.gem_mask_report = rep  # type: ignore[attr-defined]  # gem's report rides on TRL's trainer
    return trainer


def train_sft(
    data: Any,
    model: Any,
    *,
    config: Any = None,
    tokenizer: Any = None,
    eval_data: Any = None,
    callbacks: list | None = None,
    save: bool = True,
    **trainer_kwargs: Any,
) -> SFTResult:
    """Fine-tune ``model`` on a gem corpus (see :func:`build_sft_trainer`), save it, and report.

    Writes the model and tokenizer to ``config.output_dir`` plus ``gem_train.json`` (mask report,
    metrics, config, the logged steps) when ``save``. The tokenizer is saved with the chat template
    training rendered with (see :func:`save_trained_template`).
    """
    trainer = build_sft_trainer(
        data, model, config=config, tokenizer=tokenizer, eval_data=eval_data, callbacks=callbacks, **trainer_kwargs
    )
    with quiet_library_bars(datasets_too=False):  # checkpoint writes draw no bar inside the training bar
        out = trainer.train()
        out_dir = trainer.args.output_dir
        if save:
            trainer.save_model(out_dir)
    if save:
        if trainer.processing_class is not None:
            save_trained_template(trainer.processing_class, getattr(trainer, "chat_template", None), out_dir)
        summary = {
            "kind": "sft",
            "metrics": out.metrics,
            "mask": asdict(trainer.gem_mask_report),
            "config": trainer.args.to_dict(),
            "log_history": trainer.state.log_history,
        }
        Path(out_dir, "gem_train.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return SFTResult(
        output_dir=str(out_dir),
        metrics=dict(out.metrics),
        log_history=list(trainer.state.log_history),
        mask=trainer.gem_mask_report,
        trainer=trainer,
    )
