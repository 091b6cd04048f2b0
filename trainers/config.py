"""Trainer configs: TRL's ``SFTConfig``/``GRPOConfig`` with the GEM paper's defaults, plus override parsing.

Every TRL/transformers option stays a field of these dataclasses, so ``--trl key=value`` and config
files (JSON or YAML) reach all of them; unknown keys fail with a "did you mean" hint. Importing this
module imports trl (callers import it lazily).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from trl import GRPOConfig, SFTConfig

from tools_registry.errors import ConfigError
from tools_registry.limits import read_text_file

__all__ = [
    "PAPER_SFT_DEFAULTS",
    "GemGRPOConfig",
    "GemSFTConfig",
    "build_config",
    "config_field_names",
    "load_config_file",
    "parse_overrides",
]

#: The paper's full-parameter SFT recipe (Appendix B). Batch 64 = per-device batch x accumulation x devices.
PAPER_SFT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-6,
    "warmup_steps": 0.1,  # transformers 5: a float in [0, 1) is a ratio of total steps
    "lr_scheduler_type": "cosine",
    "num_train_epochs": 2.0,
    "weight_decay": 0.05,
    "max_length": 32768,
    "per_device_train_batch_size": 1,
    "gradient_accumulation_steps": 64,
    "assistant_only_loss": True,
}


def _bf16_supported() -> bool:
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def _accelerator_available() -> bool:
    import torch

    acc = getattr(torch, "accelerator", None)
    if acc is not None and hasattr(acc, "is_available"):
        return bool(acc.is_available())
    return bool(torch.cuda.is_available())


def _resolve_common(cfg: Any) -> None:
    """What both configs settle before TRL's own ``__post_init__``.

    bf16 where supported, TRL's activation checkpointing under its transformers 5 name (the old name
    warns), and no pinned memory without an accelerator (PyTorch warns on every loader).
    """
    if cfg.bf16 is None:
        cfg.bf16 = (not cfg.fp16) and _bf16_supported()
    if cfg.activation_checkpointing is None:
        cfg.activation_checkpointing = True if cfg.gradient_checkpointing is None else cfg.gradient_checkpointing
        cfg.gradient_checkpointing = None
    if cfg.dataloader_pin_memory and not _accelerator_available():
        cfg.dataloader_pin_memory = False


@dataclass
class GemSFTConfig(SFTConfig):
    """``trl.SFTConfig`` with the GEM paper's recipe as defaults.

    lr 5e-6, warmup 0.1 of the steps, cosine schedule, 2 epochs, weight decay 0.05, max length 32K,
    effective batch 64 on one device (1 x 64 accumulation), loss on assistant tokens only, bf16 when
    the accelerator supports it (``bf16=None`` resolves to that; TRL alone would force it on).
    Every other field is TRL's, unchanged.
    """

    learning_rate: float = field(default=5e-6, metadata={"help": "Peak learning rate (paper: 5e-6)."})
    warmup_steps: float = field(default=0.1, metadata={"help": "Warmup: steps, or a ratio in [0, 1) (paper: 0.1)."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Scheduler (paper: cosine)."})
    num_train_epochs: float = field(default=2.0, metadata={"help": "Epochs (paper: 2)."})
    weight_decay: float = field(default=0.05, metadata={"help": "AdamW weight decay (paper: 0.05)."})
    max_length: int | None = field(default=32768, metadata={"help": "Longest tokenized row (paper: 32K)."})
    per_device_train_batch_size: int = field(default=1, metadata={"help": "Rows per device per micro-step."})
    gradient_accumulation_steps: int = field(default=64, metadata={"help": "Micro-steps per update (64 x 1 = 64)."})
    assistant_only_loss: bool = field(default=True, metadata={"help": "Loss on assistant tokens only."})
    bf16: bool | None = field(default=None, metadata={"help": "bf16 mixed precision; None = where supported."})  # type: ignore[assignment]  # None until __post_init__ resolves it
    report_to: Any = field(default="none", metadata={"help": "Logging integrations (none by default)."})
    gradient_checkpointing: bool | None = field(  # type: ignore[assignment]  # None = not given (deprecated alias)
        default=None, metadata={"help": "Deprecated alias of activation_checkpointing (transformers 5)."}
    )

    def __post_init__(self):
        _resolve_common(self)
        super().__post_init__()


@dataclass
class GemGRPOConfig(GRPOConfig):
    """``trl.GRPOConfig`` for multi-turn GRPO against gem environments.

    Adds the episode limits the rollout needs; ``max_completion_length`` bounds the whole episode's
    completion (model turns plus the tool and user messages between them). bf16 resolves as in
    :class:`GemSFTConfig`. The paper gives no RL recipe: the learning rate and scheduler follow its SFT
    choices scaled down for RL; ``beta`` (the KL coefficient to the starting model) is the GRPO
    paper's 0.04 instead of TRL's 0: a multi-turn episode is mostly turns the reward does not decide,
    and without the KL term Adam's dense updates move them too until episodes break there (measured
    in docs/learning.md). Everything else is TRL's default.
    """

    learning_rate: float = field(default=1e-6, metadata={"help": "Peak learning rate."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Scheduler."})
    warmup_steps: float = field(default=0.1, metadata={"help": "Warmup: steps, or a ratio in [0, 1)."})
    weight_decay: float = field(default=0.05, metadata={"help": "AdamW weight decay."})
    beta: float = field(
        default=0.04, metadata={"help": "KL coefficient to the starting (reference) model; 0 loads no reference."}
    )
    max_completion_length: int | None = field(
        default=4096, metadata={"help": "Token budget of one episode after the prompt (model + env tokens)."}
    )
    max_turns: int = field(default=16, metadata={"help": "Most assistant turns per episode."})
    turn_max_new_tokens: int | None = field(
        default=None, metadata={"help": "Most new tokens per assistant turn (None: what the episode budget allows)."}
    )
    episode_seed: int = field(default=0, metadata={"help": "Base seed of env.reset for each episode."})
    bf16: bool | None = field(default=None, metadata={"help": "bf16 mixed precision; None = where supported."})  # type: ignore[assignment]  # None until __post_init__ resolves it
    report_to: Any = field(default="none", metadata={"help": "Logging integrations (none by default)."})
    gradient_checkpointing: bool | None = field(  # type: ignore[assignment]  # None = not given (deprecated alias)
        default=None, metadata={"help": "Deprecated alias of activation_checkpointing (transformers 5)."}
    )

    def __post_init__(self):
        _resolve_common(self)
        super().__post_init__()


C = TypeVar("C")


def config_field_names(cls: type) -> list[str]:
    """Names of the init fields of a config dataclass."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _check_keys(cls: type, keys: Iterable[str], where: str) -> None:
    names = set(config_field_names(cls))
    for key in keys:
        if key not in names:
            close = difflib.get_close_matches(key, sorted(names), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(f"unknown {cls.__name__} option {key!r} in {where}{hint}")


def _parse_value(text: str) -> Any:
    """JSON when it parses (numbers, booleans, null, lists, objects), else the raw string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        if low in ("none", "null"):
            return None
        return text


def parse_overrides(cls: type, pairs: Iterable[str]) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into a dict of config fields; values are read as JSON when they parse.

    Raises:
        ConfigError: A pair has no ``=`` or names a field the config does not have.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"--trl expects key=value, got {pair!r}")
        out[key] = _parse_value(value)
    _check_keys(cls, out, "--trl")
    return out


def load_config_file(cls: type, path: str | Path) -> dict[str, Any]:
    """Read a JSON or YAML mapping of config fields.

    Raises:
        ConfigError: Missing file, not UTF-8 JSON or YAML, not a mapping of string keys, or an unknown key.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist")
    text = read_text_file(p, "config file")
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        # PyYAML's constructors also raise ValueError (an int over 4300 digits, month 13) and
        # AttributeError (a malformed !!timestamp); deep nesting exhausts the stack
        try:
            data = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError, AttributeError, RecursionError) as exc:
            raise ConfigError(f"config file {p} is not valid YAML: {str(exc)[:300]}") from None
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, an int over 4300 digits, deep nesting
            raise ConfigError(f"config file {p} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of options, got {type(data).__name__}")
    names = [k for k in data if not isinstance(k, str)]
    if names:  # YAML keys can be numbers, booleans, dates or null
        raise ConfigError(f"config file {p}: option names must be strings, got {names[0]!r}")
    _check_keys(cls, data, str(p))
    return data


def build_config(
    cls: type[C], *, config_file: str | Path | None = None, overrides: Iterable[str] = (), **options: Any
) -> C:
    """Build ``cls`` from defaults < config file < ``options`` (None values skipped) < ``overrides``.

    Raises:
        ConfigError: Unknown keys, or a value the config rejects.
    """
    merged: dict[str, Any] = {}
    if config_file is not None:
        merged.update(load_config_file(cls, config_file))
    explicit = {k: v for k, v in options.items() if v is not None}
    _check_keys(cls, explicit, "options")
    merged.update(explicit)
    merged.update(parse_overrides(cls, overrides))
    try:
        return cls(**merged)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid {cls.__name__}: {exc}") from exc


def as_mapping(config: Any) -> Mapping[str, Any]:
    """The init fields of a config dataclass as a dict (for result files)."""
    return {f: getattr(config, f) for f in config_field_names(type(config))}
