"""Configs: the paper's recipe as defaults, every TRL option reachable, clear errors for unknown keys."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools_registry.errors import ConfigError


def test_sft_defaults_are_the_paper_recipe(tmp_path):
    from trainers.config import PAPER_SFT_DEFAULTS, GemSFTConfig

    cfg = GemSFTConfig(output_dir=str(tmp_path))
    for key, value in PAPER_SFT_DEFAULTS.items():
        got = getattr(cfg, key)
        assert (got.value if hasattr(got, "value") else got) == value, key
    assert cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps == 64
    import torch

    assert cfg.bf16 == (torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def test_overrides_and_config_file(tmp_path):
    from trainers.config import GemGRPOConfig, GemSFTConfig, build_config, parse_overrides

    assert parse_overrides(
        GemSFTConfig, ["packing=true", "max_length=512", "optim=adafactor", 'model_init_kwargs={"dtype": "float32"}']
    ) == {"packing": True, "max_length": 512, "optim": "adafactor", "model_init_kwargs": {"dtype": "float32"}}
    with pytest.raises(ConfigError, match="did you mean learning_rate"):
        parse_overrides(GemSFTConfig, ["learnin_rate=1"])
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(GemSFTConfig, ["packing"])
    f = tmp_path / "c.yaml"
    f.write_text("num_train_epochs: 3\nseed: 7\n")
    cfg = build_config(GemSFTConfig, config_file=f, overrides=["seed=9"], output_dir=str(tmp_path), learning_rate=None)
    assert cfg.num_train_epochs == 3 and cfg.seed == 9 and cfg.learning_rate == 5e-6
    (tmp_path / "bad.json").write_text(json.dumps({"nope": 1}))
    with pytest.raises(ConfigError, match="nope"):
        build_config(GemSFTConfig, config_file=tmp_path / "bad.json", output_dir=str(tmp_path))
    g = build_config(GemGRPOConfig, overrides=["num_generations=2", "max_turns=3"], output_dir=str(tmp_path))
    assert g.num_generations == 2 and g.max_turns == 3
    assert g.beta == 0.04  # a KL anchor to the starting model (TRL: 0); see docs/learning.md


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from([".json", ".yaml"]),
    content=st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=st.sampled_from(list("ab:{}[]-\n \t'\"#&*!|>%@`,0.9seed")), max_size=80).map(str.encode),
        st.dictionaries(st.sampled_from(["seed", "num_train_epochs", "nope", "1"]), st.integers(), max_size=3).map(
            lambda d: json.dumps(d).encode()
        ),
    ),
)
def test_a_config_file_gives_known_options_or_a_config_error(tmp_path, suffix, content):
    from trainers.config import GemSFTConfig, load_config_file

    f = tmp_path / f"c{suffix}"
    f.write_bytes(content)
    try:
        data = load_config_file(GemSFTConfig, f)
    except ConfigError as exc:
        assert str(exc)
        return
    assert isinstance(data, dict) and set(data) <= {"seed", "num_train_epochs"}


#: Python's limit on the digits of an int read from text (3.10.7 and later); older versions read any.
_INT_DIGITS_LIMIT = pytest.mark.skipif(not hasattr(sys, "get_int_max_str_digits"), reason="no int digits limit")


@pytest.mark.parametrize(
    "name, content, why",
    [
        pytest.param(
            "c.json",
            b'{"seed": ' + b"1" * 5000 + b"}",
            "not valid JSON: Exceeds the limit",
            marks=_INT_DIGITS_LIMIT,
            id="json-long-int",
        ),
        pytest.param("c.json", b'{"seed": ' + b"[" * 5000, "not valid JSON: maximum recursion depth", id="json-deep"),
        pytest.param(
            "c.yaml",
            b"seed: " + b"1" * 5000,
            "not valid YAML: Exceeds the limit",
            marks=_INT_DIGITS_LIMIT,
            id="yaml-long-int",
        ),
        pytest.param("c.yaml", b"seed: " + b"{" * 3000, "not valid YAML: maximum recursion depth", id="yaml-deep"),
        pytest.param("c.yaml", b"seed: !!timestamp 2001-13-99", "not valid YAML", id="yaml-bad-timestamp-tag"),
        pytest.param("c.yaml", b"seed: 2001-13-01", "not valid YAML: month must be in 1..12", id="yaml-month-13"),
        pytest.param("c.yaml", b"seed: 7\n1: 2\n", "option names must be strings, got 1", id="yaml-int-key"),
        pytest.param("c.yaml", b"null: 2\n", "option names must be strings, got None", id="yaml-null-key"),
    ],
)
def test_a_config_file_the_parser_chokes_on_is_a_config_error_naming_it(tmp_path, name, content, why):
    """Found by benchmarks/fuzz_input_files.py: these escaped as ValueError, RecursionError, AttributeError, TypeError."""
    from trainers.config import GemSFTConfig, load_config_file

    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(ConfigError, match=why) as info:
        load_config_file(GemSFTConfig, f)
    assert str(f) in str(info.value)
