"""What our configs and training setup no longer print: deprecation warnings, pinned-memory notices,
library progress bars between the training bar's lines."""

from __future__ import annotations

import warnings


def test_configs_raise_no_future_warning_and_pin_no_memory_without_accelerator(tmp_path):
    import torch

    from trainers.config import GemGRPOConfig, GemSFTConfig

    for cls in (GemSFTConfig, GemGRPOConfig):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cfg = cls(output_dir=str(tmp_path))
        assert not [w for w in caught if issubclass(w.category, FutureWarning)], [str(w.message) for w in caught]
        assert cfg.activation_checkpointing is True and cfg.gradient_checkpointing is True  # TRL's choice, kept
        if not torch.cuda.is_available():
            assert cfg.dataloader_pin_memory is False
    off = GemSFTConfig(output_dir=str(tmp_path), gradient_checkpointing=False)
    assert off.activation_checkpointing is False, "the old name still switches it off"


def test_library_bars_are_off_inside_and_restored_after():
    import datasets
    from transformers.utils import logging as hf_logging

    from trainers.sft import quiet_library_bars

    assert not datasets.are_progress_bars_disabled() and hf_logging.is_progress_bar_enabled()
    with quiet_library_bars():
        assert datasets.are_progress_bars_disabled() and not hf_logging.is_progress_bar_enabled()
    assert not datasets.are_progress_bars_disabled() and hf_logging.is_progress_bar_enabled()
    with quiet_library_bars(datasets_too=False):
        assert not datasets.are_progress_bars_disabled() and not hf_logging.is_progress_bar_enabled()


def test_tiny_model_tokenizer_allows_corpus_length_rows(tmp_path):
    from transformers import AutoTokenizer

    from gem_env.llm.testing.tiny_model import build_tiny_chat_model

    tok = AutoTokenizer.from_pretrained(build_tiny_chat_model(tmp_path / "tiny"))
    assert tok.model_max_length == 32768  # a 5,000-token row raises no "longer than the maximum" notice
