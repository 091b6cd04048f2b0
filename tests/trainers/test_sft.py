"""SFT on the tiny model: exact row loading, the assistant mask, a few steps that change the weights."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools_registry.errors import ConfigError
from trainers.data import corpus_dataset, load_corpus, normalize_row, render_row


def _cfg(tmp_path, **kw):
    from trainers.config import GemSFTConfig

    base = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": 3,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "save_strategy": "no",
        "max_length": 1024,
        "dataset_num_proc": None,
        "disable_tqdm": True,
    }
    base.update(kw)
    return GemSFTConfig(**base)


def test_loader_rows_render_exactly_like_the_original_dicts(corpus_file, corpus_rows, tiny_tokenizer):
    import datasets

    originals = [normalize_row(r) for r in corpus_rows]
    # the trap this loader avoids: struct inference unions keys and fills None
    naive = datasets.Dataset.from_list(originals)
    assert naive[0]["messages"][2]["tool_calls"][0]["function"]["arguments"] != {"city": "Paris"}
    assert render_row(naive[0], tiny_tokenizer) != render_row(originals[0], tiny_tokenizer)

    ds = corpus_dataset(load_corpus(corpus_file))
    assert len(ds) == 2
    for i, orig in enumerate(originals):
        assert ds[i]["messages"] == orig["messages"] and ds[i]["tools"] == orig["tools"]
        expected = tiny_tokenizer.apply_chat_template(orig["messages"], tools=orig["tools"], tokenize=False)
        assert render_row(ds[i], tiny_tokenizer) == expected
    # JSON-string arguments were parsed, bare tool specs wrapped
    assert originals[1]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"order_id": "A123", "count": 3}
    assert originals[1]["tools"][1]["type"] == "function"


def test_loader_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "bad.jsonl").write_text('{"messages": []}\n')
    with pytest.raises(ConfigError, match="non-empty 'messages'"):
        load_corpus(tmp_path / "bad.jsonl")


def test_parquet_with_inferred_structs_is_refused(tmp_path, corpus_rows):
    import datasets

    datasets.Dataset.from_list([normalize_row(r) for r in corpus_rows]).to_parquet(str(tmp_path / "c.parquet"))
    with pytest.raises(ConfigError, match="inferred Arrow struct"):
        load_corpus(tmp_path / "c.parquet")
    corpus_dataset(corpus_rows).save_to_disk(str(tmp_path / "disk"))
    assert load_corpus(tmp_path / "disk")[0] == normalize_row(corpus_rows[0])


def _spans_mask(tok, template, msgs, tools, offsets):
    """Independent expectation: a token is trained iff it lies inside an assistant turn's rendered text."""
    render = lambda m, gen: tok.apply_chat_template(
        m, tools=tools, tokenize=False, add_generation_prompt=gen, chat_template=template
    )
    full = render(msgs, False)
    spans = []
    for j, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        start, upto = render(msgs[:j], True), render(msgs[: j + 1], False)
        assert full.startswith(upto) and upto.startswith(start)
        spans.append((len(start), len(upto)))
    return [any(s <= a and b <= e for s, e in spans) and b > a for a, b in offsets]


def test_sft_mask_is_exactly_the_assistant_tokens_and_training_changes_weights(
    corpus_file, corpus_rows, tiny_model, tiny_tokenizer, tmp_path
):
    import torch

    from trainers.sft import build_sft_trainer, train_sft

    trainer = build_sft_trainer(corpus_file, tiny_model, config=_cfg(tmp_path), tokenizer=tiny_tokenizer)
    template = trainer.chat_template or tiny_tokenizer.chat_template
    originals = [normalize_row(r) for r in corpus_rows]
    total_trained = 0
    for i, orig in enumerate(originals):
        ex = trainer.train_dataset[i]
        text = tiny_tokenizer.apply_chat_template(
            orig["messages"], tools=orig["tools"], tokenize=False, chat_template=template
        )
        enc = tiny_tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        assert ex["input_ids"] == enc["input_ids"]  # the loader changed nothing on the way to TRL
        got = [lab != -100 for lab in ex["labels"]]
        want = _spans_mask(tiny_tokenizer, template, orig["messages"], orig["tools"], enc["offset_mapping"])
        assert got == want
        assert 0 < sum(got) < len(got)
        trained = tiny_tokenizer.decode([t for t, g in zip(ex["input_ids"], got) if g])
        assert "It is 21 degrees" in trained or "You are welcome." in trained
        assert "Weather in Paris?" not in trained and "shipped\n</tool_response>" not in trained
        total_trained += sum(got)
    rep = trainer.gem_mask_report
    assert rep.rows_kept == 2 and rep.trained_tokens == total_trained

    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    result = train_sft(corpus_file, tiny_model, config=_cfg(tmp_path), tokenizer=tiny_tokenizer)
    losses = [h["loss"] for h in result.log_history if "loss" in h]
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    changed = [n for n, p in result.trainer.model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert len(changed) > 0.5 * len(before)
    assert (tmp_path / "out" / "model.safetensors").is_file()
    saved = json.loads((tmp_path / "out" / "gem_train.json").read_text())
    assert [h["loss"] for h in saved["log_history"] if "loss" in h] == losses
    # the checkpoint carries the template training rendered with (TRL's qwen3_training variant), so
    # inference lays conversations out as training did; the in-memory tokenizer keeps its own
    from transformers import AutoTokenizer

    assert template != tiny_tokenizer.chat_template
    assert AutoTokenizer.from_pretrained(tmp_path / "out").chat_template == template


def test_sft_refuses_rows_without_assistant_tokens(tiny_model, tiny_tokenizer, tmp_path):
    from trainers.sft import build_sft_trainer

    rows = [{"messages": [{"role": "user", "content": "hello"}], "tools": []}]
    with pytest.raises(ConfigError, match="assistant"):
        build_sft_trainer(rows, tiny_model, config=_cfg(tmp_path), tokenizer=tiny_tokenizer)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda c: (
        st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["role", "content", "function", "x"]), c, max_size=3)
    ),
    max_leaves=10,
)
_ROW = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.one_of(
            _JSON,
            st.lists(
                st.fixed_dictionaries(
                    {"role": st.sampled_from(["user", "assistant", "tool"])},
                    optional={
                        "content": _JSON,
                        "tool_calls": st.one_of(
                            _JSON,
                            st.lists(
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "function": st.one_of(
                                            _JSON,
                                            st.fixed_dictionaries(
                                                {"name": _JSON}, optional={"arguments": _JSON | st.just('{"a": 1')}
                                            ),
                                        )
                                    },
                                ),
                                max_size=2,
                            ),
                        ),
                    },
                ),
                max_size=3,
            ),
        ),
        "tools": st.one_of(_JSON, st.just("[not json"), st.lists(_JSON, max_size=2)),
        "chat_template_kwargs": _JSON,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.one_of(_ROW, _JSON), min_size=1, max_size=3),
    as_array=st.booleans(),
    garbage=st.binary(max_size=40),
)
def test_a_corpus_file_gives_training_rows_or_a_config_error(tmp_path, rows, as_array, garbage):
    import orjson

    f = tmp_path / "c.jsonl"
    body = orjson.dumps(rows) if as_array else b"\n".join(orjson.dumps(r) for r in rows)
    for content in (body, body + b"\n" + garbage):
        f.write_bytes(content)
        try:
            out = load_corpus(f)
        except ConfigError as exc:
            assert str(exc)
            continue
        assert out and all(isinstance(r["messages"], list) and isinstance(r["tools"], list) for r in out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.one_of(_ROW, _JSON, st.just({"messages": [{"role": "user", "content": "hi"}]})), max_size=3),
    texts=st.lists(st.one_of(_JSON, st.fixed_dictionaries({"id": _JSON, "text": _JSON})), max_size=3),
)
def test_synthesizer_pairs_from_any_corpus_rows_or_a_config_error(tmp_path, rows, texts):
    import orjson

    from trainers.synthesizer import synthesizer_rows

    (tmp_path / "corpus.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    (tmp_path / "texts.jsonl").write_bytes(b"\n".join(orjson.dumps(t) for t in texts))
    try:
        out = synthesizer_rows(tmp_path / "corpus.jsonl", tmp_path / "texts.jsonl")
    except ConfigError as exc:
        assert str(exc)
        return
    assert out and all(r["messages"][-1]["role"] == "assistant" for r in out)


_USER_ONLY = {"messages": [{"role": "user", "content": "hi"}]}
_NAMELESS_CALL = {
    "messages": [{"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "", "arguments": {}}}]}],
    "meta": {"provenance": {"source_id": "a"}},
}


@pytest.mark.parametrize(
    "corpus, texts, why",
    [
        pytest.param(
            [{"messages": [{"rolg": "user"}]}], [], r"shard\.jsonl row 0: not a trajectory row", id="not-a-row"
        ),
        pytest.param([_USER_ONLY, 1.5], [], r"shard\.jsonl row 1: expected a JSON object", id="not-an-object"),
        pytest.param([_USER_ONLY], [], r"built from \S+shard\.jsonl and \S+texts\.jsonl", id="no-source-text"),
        pytest.param(
            [_NAMELESS_CALL], [{"id": "a", "text": "How to."}], r"shard\.jsonl row 0: .*has no name", id="nameless-call"
        ),
    ],
)
def test_synthesizer_pair_errors_name_the_file(tmp_path, corpus, texts, why):
    """Found by benchmarks/fuzz_input_files.py: these said "corpus row <n>", named no file, or were a ParseError."""
    import orjson

    from trainers.synthesizer import synthesizer_rows

    (tmp_path / "shard.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in corpus))
    (tmp_path / "texts.jsonl").write_bytes(b"\n".join(orjson.dumps(t) for t in texts))
    with pytest.raises(ConfigError, match=why):
        synthesizer_rows(tmp_path / "shard.jsonl", tmp_path / "texts.jsonl")
