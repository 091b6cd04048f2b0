"""Trajectory Synthesizer: pairs round-trip, one-call mode through the same validators, cost side by side."""

import orjson
import pytest

from synth.convert import load_trajectory
from synth.pipeline import SynthConfig
from synth.stats import collect, format_stats
from synth.synthesizer import FORMAT, build_pairs, instruction, parse, serialize
from synth.testing import fake_backend
from tools_registry.errors import ParseError


def test_pairs_round_trip(fake_run):
    rows = fake_run[2]
    pairs = build_pairs(rows)
    assert len(pairs) == len(rows) == 12
    for row, pair in zip(rows, pairs):
        system, user, assistant = pair["messages"]
        assert system == {"role": "system", "content": instruction()}
        assert user["role"] == "user" and user["content"] == row["meta"]["extra"]["source_text"]
        back = parse(assistant["content"])
        orig = load_trajectory(row)
        assert [t.model_dump() for t in back.tools] == [t.model_dump() for t in orig.tools]
        assert [m.model_dump() for m in back.messages] == [m.model_dump() for m in orig.messages]
        assert back.meta.extra["tags"] == orig.meta.extra["tags"]
        assert back.meta.extra["env"] == orig.meta.extra["env"]
        assert serialize(back) == assistant["content"]
        assert pair["meta"]["format"] == FORMAT and pair["meta"]["source_id"] == row["meta"]["provenance"]["source_id"]
    assert any(t.mutates for t in parse(pairs[0]["messages"][2]["content"]).tools)


def test_parse_is_strict_with_recorded_repairs(fake_run):
    text = build_pairs(fake_run[2][:1])[0]["messages"][2]["content"]
    fenced = parse("```json\n" + text + "\n```\nDone.")
    assert any("fence" in r or "around" in r for r in fenced.meta.extra["repairs"])
    no_format = orjson.loads(text)
    del no_format["format"]
    assert "format: missing" in parse(orjson.dumps(no_format).decode()).meta.extra["repairs"][0]
    with pytest.raises(ParseError, match="unknown serialisation"):
        parse(text.replace(FORMAT, "other/v9"))
    with pytest.raises(ParseError):
        parse("no json here")
    with pytest.raises(ParseError, match="'messages' list"):
        parse('{"format": "gem-synth/v1", "tools": []}')


def test_synthesizer_mode_and_cost_side_by_side(tmp_path, synth_run, fake_run):
    backend = fake_backend(model="synth-8b")
    cfg = SynthConfig(mode="synthesizer")
    report, kept, drops = synth_run(tmp_path / "s", {"synthesizer": backend}, cfg)
    assert report.kept == 12 and report.dropped == {"prefilter": 5}
    # one generation call per segment instead of four stages; the judge still validates its output
    assert [c["caller"] for c in backend.calls].count("stage:synthesizer") == 12
    assert {c["caller"] for c in backend.calls} == {"stage:synthesizer", "stage:judge", "stage:compile"}
    assert kept[0]["meta"]["provenance"]["pipeline"] == "synthesizer"
    assert kept[0]["meta"]["extra"]["ledger"]["by_stage"] == {"synthesizer": 1, "judge": 1, "compile": 1}
    modes = collect([fake_run[0], tmp_path / "s"])
    assert modes["pipeline"]["per_kept"]["calls"] == 6 and modes["synthesizer"]["per_kept"]["calls"] == 3
    assert modes["synthesizer"]["per_kept"]["tokens"] < modes["pipeline"]["per_kept"]["tokens"]
    text = format_stats(modes)
    assert "cost per kept trajectory" in text and "synthesizer" in text


def test_synthesizer_output_goes_through_the_validators(tmp_path, synth_run):
    def hallucinate(stage, raw):
        return raw.replace('"name":"get_', '"name":"invent_', 1) if stage == "synthesizer" else raw

    _, kept, drops = synth_run(
        tmp_path / "s", {"synthesizer": fake_backend(damage=hallucinate)}, SynthConfig(mode="synthesizer")
    )
    assert not kept
    assert {(d["stage"], d["reason"]) for d in drops if d["stage"] != "prefilter"} == {
        ("synthesizer", "rule:tools")
    } or {(d["stage"], d["reason"]) for d in drops if d["stage"] != "prefilter"} == {
        ("synthesizer", "rule:unknown-tool")
    }
