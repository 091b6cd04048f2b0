"""Damaged teacher replies are repaired (and the repair recorded) or dropped with a reason; never a crash."""

import re

import orjson
import pytest

from gem_env.llm.testing import ScriptedBackend
from synth.pipeline import SynthConfig
from synth.testing import FakeTeacher, fake_backend
from tools_registry.errors import BackendError

TWO = [
    {
        "id": "p1",
        "text": "How to reset a router\n1. Unplug the router.\n2. Wait 30 seconds.\n3. Plug it back in.",
    },
    {
        "id": "p2",
        "text": "Refunds: first open Orders, then select the item and click Report a problem. "
        "Upload a photo and submit the form. Print the label and drop the parcel at a store.",
    },
]


def only(stage, fn):
    return lambda st, raw: fn(raw) if st == stage else raw


CASES = {
    "fence": ("generate", lambda raw: "```json\n" + raw + "\n```", "kept", "code fence"),
    "trailing": ("extract", lambda raw: raw + "\n\nHope this helps! Let me know.", "kept", "text around"),
    "leading": ("refine", lambda raw: "Here is the refined conversation:\n" + raw, "kept", "text around"),
    "near_label": (
        "select",
        lambda raw: raw.replace('"computer"', '"Computer"'),
        "kept",
        "'Computer' -> 'computer'",
    ),
    "wrong_label": (
        "select",
        lambda raw: re.sub(r'"domain":"[a-z_]+"', '"domain":"space_travel"', raw),
        "select/bad_label",
        None,
    ),
    "not_json": ("select", lambda raw: "I am sorry, I cannot classify this.", "select/parse", None),
    "truncated": ("generate", lambda raw: raw[: len(raw) // 2], "generate/", None),
    "hallucinated_tool": (
        "generate",
        lambda raw: raw.replace('"name":"get_', '"name":"fetch_all_'),
        "generate/rule:unknown-tool",
        None,
    ),
    "hallucinated_action": (
        "extract",
        lambda raw: raw.replace('"actions":[{"name":"get_', '"actions":[{"name":"grab_'),
        "extract/rule:action-tool",
        None,
    ),
    "camel_tools": (
        "extract",
        lambda raw: re.sub(r"get_([a-z]+)\b", lambda m: "get" + m.group(1).capitalize(), raw),
        "kept",
        "tool name 'get",
    ),
    "bad_state": (
        "refine",
        lambda raw: raw.replace('"initial_state":{', '"initial_state":{"x":1,'),
        "kept",
        None,
    ),
    "judge_r2": ("judge", lambda raw: '{"R1": 1, "R2": 0, "R3": 1}', "judge/R2", None),
    "judge_extra_key": ("judge", lambda raw: '{"R1": 1, "R2": 1, "R3": 1, "why": "ok"}', "judge/parse", None),
    "judge_bools": ("judge", lambda raw: '{"R1": true, "R2": true, "R3": "1"}', "kept", "R1=True read as 1"),
    "judge_prose": (
        "judge",
        lambda raw: 'Verdict: {"R1": 1, "R2": 1, "R3": 1} - all fine.',
        "kept",
        "text around",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_reply(case, tmp_path, synth_run):
    stage, fn, expect, repair = CASES[case]
    backend = fake_backend(damage=only(stage, fn))
    report, kept, drops = synth_run(tmp_path / "out", {"teacher": backend}, SynthConfig(dedup=False), corpus=TWO)
    assert report.errors == 0, report.error_messages
    assert report.kept + sum(report.dropped.values()) == 2
    if expect == "kept":
        assert len(kept) == 2, [(d["stage"], d["reason"], d["details"][:2]) for d in drops]
        if repair:
            assert any(repair in r for row in kept for r in row["meta"]["extra"]["repairs"]), kept[0]["meta"]["extra"][
                "repairs"
            ]
    else:
        assert len(drops) == 2
        for d in drops:
            assert f"{d['stage']}/{d['reason']}".startswith(expect), d
            assert d["details"] or d["reason"] in ("not_multi_step",)


def test_backend_error_leaves_item_for_resume(tmp_path, synth_run):
    calls = {"n": 0}
    teacher = FakeTeacher()

    def flaky(messages, tools, response_format, sampling):
        calls["n"] += 1
        if calls["n"] == 3:
            raise BackendError("server down", reason="http_503")
        return teacher.reply(messages)

    out = tmp_path / "out"
    report, kept, drops = synth_run(
        out, {"teacher": ScriptedBackend(flaky)}, SynthConfig(dedup=False, concurrency=1), corpus=TWO
    )
    assert report.errors == 1 and len(kept) + len(drops) == 1 and "server down" in report.error_messages[0]
    report2, kept2, drops2 = synth_run(
        out, {"teacher": fake_backend()}, SynthConfig(dedup=False), corpus=TWO, resume=True
    )
    assert report2.skipped == 1 and report2.kept == 1 and len(kept2) == 2


def test_unknown_stage_reply_is_a_parse_drop_not_a_crash(tmp_path, synth_run):
    backend = ScriptedBackend(lambda *a: orjson.dumps([1, 2, 3]).decode())
    report, kept, drops = synth_run(tmp_path / "o", {"teacher": backend}, SynthConfig(dedup=False), corpus=TWO)
    assert report.errors == 0 and {(d["stage"], d["reason"]) for d in drops} == {("select", "parse")}
