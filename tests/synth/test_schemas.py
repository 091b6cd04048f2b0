"""Stage reply schemas: valid JSON Schemas, sent as response_format, and satisfied by well-formed replies."""

import jsonschema
import orjson
import pytest

from synth.pipeline import SynthConfig
from synth.schemas import response_format, stage_schema
from synth.testing import FakeTeacher, fake_backend

STAGES = ["select", "extract", "generate", "refine", "judge", "synthesizer", "compile"]
ONE = [
    {
        "id": "p1",
        "text": "How to reset a router\n1. Unplug the router.\n2. Wait 30 seconds.\n3. Plug it back in.",
    }
]


@pytest.mark.parametrize("stage", STAGES)
def test_schema_is_valid(stage):
    jsonschema.Draft202012Validator.check_schema(stage_schema(stage))
    rf = response_format(stage)
    assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == stage_schema(stage)


def test_requests_carry_schemas_and_good_replies_satisfy_them(tmp_path, synth_run):
    backend = fake_backend()
    synth_run(tmp_path / "o", {"teacher": backend}, SynthConfig(dedup=False), corpus=ONE)
    teacher = FakeTeacher()
    seen = set()
    for call in backend.calls:
        stage = call["caller"].split(":", 1)[1]
        seen.add(stage)
        assert call["response_format"] == response_format(stage)
        jsonschema.validate(orjson.loads(teacher.reply(call["messages"])), stage_schema(stage))
    assert seen == {"select", "extract", "generate", "refine", "judge", "compile"}
    backend = fake_backend()
    synth_run(tmp_path / "p", {"teacher": backend}, SynthConfig(dedup=False, structured=False), corpus=ONE)
    assert {orjson.dumps(c["response_format"]) for c in backend.calls} == {b'{"type":"json_object"}'}


def test_select_drops_a_copied_placeholder_summary(tmp_path, synth_run):
    damage = lambda st, raw: (
        raw.replace('"summary":"How to reset a router"', '"summary":"<one sentence>"') if st == "select" else raw
    )
    _, kept, drops = synth_run(tmp_path / "o", {"teacher": fake_backend(damage=damage)}, SynthConfig(), corpus=ONE)
    assert not kept and drops[0]["reason"] == "bad_label" and "placeholder" in drops[0]["details"][0]


def test_synthesizer_request_schema(tmp_path, synth_run):
    backend = fake_backend()
    synth_run(tmp_path / "s", {"synthesizer": backend}, SynthConfig(mode="synthesizer", judge=False), corpus=ONE)
    (call,) = [c for c in backend.calls if c["caller"] == "stage:synthesizer"]
    assert call["response_format"] == response_format("synthesizer")
    jsonschema.validate(orjson.loads(FakeTeacher().reply(call["messages"])), stage_schema("synthesizer"))
