"""The cheap prefilter keeps procedural text and drops clearly non-procedural text."""

import orjson
import pytest

from synth.corpus import read_corpus
from synth.prefilter import passes_prefilter, prefilter_score


def test_example_corpus_split_exactly(example_corpus):
    for seg in read_corpus(example_corpus):
        assert passes_prefilter(seg.text) == seg.id.startswith("proc-"), (seg.id, prefilter_score(seg.text))


def test_signals():
    r = prefilter_score("1. Open the app.\n2. Tap Settings.\n3. Then press Save.")
    assert r.passed and r.enumerated == 3 and r.imperatives >= 2 and r.sequence_words == 1
    assert not prefilter_score("The weather was warm and the river was calm that evening.").passed


def test_wikihow_recall(wikihow):
    if not wikihow.is_file():
        pytest.fail(f"{wikihow} is missing: the suite expects ../shared/data beside the repo (as CI has it)")
    rows = [orjson.loads(line) for line in wikihow.read_bytes().splitlines() if line.strip()]
    texts = [r["title"] + "\n" + "\n".join(r["steps"]) for r in rows]
    recall = sum(passes_prefilter(t) for t in texts) / len(texts)
    assert recall >= 0.9
