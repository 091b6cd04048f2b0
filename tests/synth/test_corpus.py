"""Corpus input (JSONL, Parquet, text folders, datasets), segmenting, dedup and decontamination."""

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.corpus import read_corpus, segment_text
from synth.dedup import Decontaminator, Deduplicator, load_benchmark_texts
from tools_registry.errors import ConfigError


def test_jsonl_example_corpus(example_corpus):
    segs = list(read_corpus(example_corpus))
    assert len(segs) == 17 and segs[0].id == "proc-router-reset" and len(segs[0].hash) == 64


def test_parquet_and_text_folder(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "body": ["x " * 30, "y " * 30]}), tmp_path / "c.parquet")
    assert [s.id for s in read_corpus(tmp_path / "c.parquet", text_field="body")] == ["a", "b"]
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "one.txt").write_text("Open the lid and pour the water in slowly until full. " * 3)
    (folder / "two.md").write_text("Second text that is long enough to be kept as a segment here.")
    segs = list(read_corpus(folder))
    assert sorted(s.id for s in segs) == ["one.txt", "two.md"]


def test_hf_dataset_object():
    import datasets

    ds = datasets.Dataset.from_list(
        [{"id": "q1", "content": "Click Settings, then select Privacy, then press Save. " * 2}]
    )
    assert [s.id for s in read_corpus(ds, text_field="content")] == ["q1"]


def test_missing_field_and_file_are_clear_errors(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(orjson.dumps({"id": 1, "body": "x"}).decode() + "\n")
    with pytest.raises(ConfigError, match="no 'text' field.*body"):
        list(read_corpus(p))
    with pytest.raises(ConfigError, match="no such corpus"):
        list(read_corpus(tmp_path / "missing.jsonl"))


def test_segmenting_long_text():
    paras = [f"Paragraph {i}. " + "Turn the knob and wait. " * 20 for i in range(20)]
    text = "\n\n".join(paras)
    pieces = segment_text(text, max_chars=1200)
    assert len(pieces) > 1 and all(len(p) <= 1200 for p in pieces)
    assert " ".join(pieces).split() == text.split()  # nothing lost, nothing repeated
    segs = list(read_corpus([{"id": "long", "text": text}], max_chars=1200))
    assert segs[0].id == "long#0" and segs[-1].id == f"long#{len(segs) - 1}"


def test_dedup_exact_and_near():
    d = Deduplicator(threshold=0.8)
    base = " ".join(f"word{i}" for i in range(200))
    assert d.check("a", base) is None
    assert d.check("b", base.upper() + "!!") == ("exact_duplicate", "a")
    near = base.replace("word100", "other100")
    assert d.check("c", near) == ("near_duplicate", "a")
    assert d.check("d", " ".join(f"term{i}" for i in range(200))) is None


def test_decontamination_rule(tmp_path):
    bench = tmp_path / "questions.jsonl"
    q = "Please book me the cheapest flight from Boston to Denver on the fifth of May for two adults"
    bench.write_text(orjson.dumps({"id": "b1", "question": [[{"role": "user", "content": q}]]}).decode() + "\n")
    texts = load_benchmark_texts([bench])
    assert texts == [q]
    dc = Decontaminator(texts, n=13)
    assert dc.check("Intro. " + q.upper() + " and more text after it.") == 0
    assert dc.check("Please book me the cheapest flight from Boston to Denver tomorrow.") is None
    short = Decontaminator(["cancel my order number 42 today please now"], n=13, min_words=8)
    assert short.check("Hi, cancel my order number 42 today please now, thanks") == 0
    assert Decontaminator(["book a flight"], n=13).check("book a flight to Rome") is None


def test_dataset_saved_to_disk(tmp_path):
    import datasets

    rows = [{"id": "d1", "text": "Open the box, then remove the cover and check the fuse. " * 2}]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    assert [s.id for s in read_corpus(tmp_path / "ds")] == ["d1"]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)}).save_to_disk(str(tmp_path / "dd"))
    assert [s.id for s in read_corpus(tmp_path / "dd", split="train")] == ["d1"]
    with pytest.raises(ConfigError, match="no split"):
        list(read_corpus(tmp_path / "dd", split="test"))


def test_json_array_file_and_joined_fields(tmp_path):
    p = tmp_path / "rows.json"
    p.write_bytes(
        orjson.dumps([{"id": "w1", "title": "How to fix a tap", "steps": ["Shut the valve.", "Open the tap."]}])
    )
    (seg,) = read_corpus(p, text_field="title+steps", min_chars=10)
    assert seg.text == "How to fix a tap\nShut the valve.\nOpen the tap." and seg.id == "w1"
    with pytest.raises(ConfigError, match="no 'body' field"):
        list(read_corpus(p, text_field="title+body"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from([".jsonl", ".json", ".txt", ".md"]),
    content=st.one_of(
        st.binary(max_size=200),
        st.lists(
            st.one_of(
                st.sampled_from(
                    ['{"id": "a", "text": "Open the lid and pour the water in until it is full."}', "[", ""]
                ),
                st.text(max_size=40),
            ),
            max_size=5,
        ).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    ),
)
def test_a_corpus_file_gives_segments_or_a_config_error(tmp_path, suffix, content):
    f = tmp_path / f"corpus{suffix}"
    f.write_bytes(content)
    try:
        segs = list(read_corpus(f, min_chars=1))
    except ConfigError as exc:
        assert str(exc)
        return
    assert all(s.text and s.text == s.text.strip() and len(s.hash) == 64 for s in segs)


def test_a_text_file_that_is_not_utf8_names_itself(tmp_path):
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "good.txt").write_text("Open the lid and pour the water in slowly until full. " * 3)
    (folder / "latin1.txt").write_bytes("Fülle den Kessel bis zur Markierung auf. ".encode("latin-1") * 3)
    with pytest.raises(ConfigError, match=r"latin1\.txt: not UTF-8 text"):
        list(read_corpus(folder))
