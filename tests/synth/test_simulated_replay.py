"""The state-replay check wired to gem_env's simulated tool backend (an LLM plays the tools)."""

import orjson

from gem_env.llm.testing import ScriptedBackend
from synth.pipeline import SynthConfig
from synth.testing import fake_backend

ONE = [
    {
        "id": "p1",
        "text": "How to reset a router\n1. Unplug the router.\n2. Wait 30 seconds.\n3. Plug it back in.",
    }
]


def simulator(lie: bool):
    """Answers the three calls of the FakeTeacher's refined conversation, in order, from its state."""

    def reply(messages, tools, response_format, sampling):
        prompt = messages[-1]["content"]
        call = prompt.split("# The call to answer", 1)[1].split("# How to answer", 1)[0]
        noun = next(n for n in ("order", "ticket", "booking", "device", "appointment", "request") if f"_{n}" in call)
        if "N-1003" in call:
            return orjson.dumps({"output": "", "error": f"{noun} N-1003 not found", "patch": []}).decode()
        if f"update_{noun}_status" in call:
            return orjson.dumps(
                {
                    "output": {f"{noun}_id": "N-1001", "status": "done"},
                    "error": None,
                    "patch": [{"op": "replace", "path": f"/{noun}s/0/status", "value": "done"}],
                }
            ).decode()
        rec = {f"{noun}_id": "N-1001", "owner_id": "U-77", "status": "closed" if lie else "open"}
        return orjson.dumps({"output": rec, "error": None, "patch": []}).decode()

    return reply


def test_simulated_replay_keeps_consistent_and_drops_contradicted(tmp_path, synth_run):
    sim = ScriptedBackend(simulator(lie=False))
    report, kept, drops = synth_run(
        tmp_path / "ok",
        config=SynthConfig(dedup=False),
        corpus=ONE,
        backends={"teacher": fake_backend(), "simulator": sim},
    )
    assert report.errors == 0, report.error_messages
    assert {c["caller"] for c in sim.calls} == {"tool_simulator"} and len(sim.calls) == 3
    assert len(kept) == 1, drops
    sim2 = ScriptedBackend(simulator(lie=True))
    report, kept, drops = synth_run(
        tmp_path / "lie",
        config=SynthConfig(dedup=False),
        corpus=ONE,
        backends={"teacher": fake_backend(), "simulator": sim2},
    )
    assert not kept and drops[0]["stage"] == "consistency" and drops[0]["reason"] == "replay"
    assert "status" in drops[0]["details"][0]
