"""Exporters (OpenAI JSONL, LLaMA-Factory ShareGPT), stats and the `gem synth` CLI group."""

import orjson
import pytest
import typer
from typer.testing import CliRunner

from synth.cli import register
from synth.export import SHAREGPT_INFO, export_openai, export_sharegpt, to_sharegpt_row
from synth.stats import PAPER, collect, format_stats

SHARED_LF = (
    __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" / "sft_formats" / "llamafactory"
)


def test_openai_export(fake_run, tmp_path):
    out, _, kept, _ = fake_run
    assert export_openai(kept, tmp_path / "ft.jsonl") == 12
    row = orjson.loads((tmp_path / "ft.jsonl").read_bytes().splitlines()[0])
    assert set(row) == {"messages", "tools"} and row["tools"][0]["type"] == "function"
    call = next(m for m in row["messages"] if m.get("tool_calls"))["tool_calls"][0]
    assert isinstance(call["function"]["arguments"], str) and orjson.loads(call["function"]["arguments"])
    assert all(m.get("tool_call_id") for m in row["messages"] if m["role"] == "tool")


def test_sharegpt_export_follows_llamafactory(fake_run, tmp_path):
    kept = fake_run[2]
    path = export_sharegpt(kept, tmp_path / "lf", name="gem_synth")
    data = orjson.loads(path.read_bytes())
    info = orjson.loads((tmp_path / "lf" / "dataset_info.json").read_bytes())
    assert info["gem_synth"] == {"file_name": "gem_synth.json", **SHAREGPT_INFO}
    for row in data:
        assert set(row) == {"conversations", "system", "tools"} and isinstance(row["tools"], str)
        roles = [c["from"] for c in row["conversations"]]
        # LLaMA-Factory: human/observation at odd positions (1-based), gpt/function_call at even ones
        assert all(r in ("human", "observation") for r in roles[0::2]), roles
        assert all(r in ("gpt", "function_call") for r in roles[1::2]), roles
        assert roles[-1] == "gpt"
        for c in row["conversations"]:
            if c["from"] == "function_call":
                call = orjson.loads(c["value"])
                assert set(call) == {"name", "arguments"}
    if SHARED_LF.is_dir():  # compare with the reference demo and its dataset_info entry
        demo = orjson.loads((SHARED_LF / "glaive_toolcall_en_demo.json").read_bytes())
        ex = next(d for d in demo if any(c["from"] == "function_call" for c in d["conversations"]))
        assert {c["from"] for c in ex["conversations"]} >= {"human", "gpt", "function_call", "observation"}
        assert set(
            orjson.loads(ex["conversations"][[c["from"] for c in ex["conversations"]].index("function_call")]["value"])
        ) == {"name", "arguments"}
        ref = orjson.loads((SHARED_LF / "dataset_info.tool_entries.json").read_bytes())["glaive_toolcall_en_demo"]
        assert ref["formatting"] == SHAREGPT_INFO["formatting"]
        assert ref["columns"].items() <= SHAREGPT_INFO["columns"].items()
        assert isinstance(ex["tools"], str) and isinstance(orjson.loads(ex["tools"]), list)


def test_parallel_calls_merge_into_one_observation():
    row = {
        "messages": [
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}},
                    {"id": "c2", "type": "function", "function": {"name": "f", "arguments": {}}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "{}"},
            {"role": "tool", "tool_call_id": "c2", "content": "[]"},
            {"role": "assistant", "content": "done"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
            }
        ],
    }
    conv = to_sharegpt_row(row)["conversations"]
    assert [c["from"] for c in conv] == ["human", "function_call", "observation", "gpt"]
    assert orjson.loads(conv[2]["value"]) == ["{}", "[]"] and len(orjson.loads(conv[1]["value"])) == 2


def test_stats_report(fake_run):
    out = fake_run[0]
    modes = collect([out])
    s = modes["pipeline"]
    assert s["kept"] == 12 and s["drops"]["prefilter"] == 5 and s["total"] == 17
    # messages counts every message of the row (system included), before refinement as after
    assert s["size"]["after"]["messages"]["mean"] == 13 and s["size"]["before"]["messages"]["mean"] == 11
    assert sum(s["domains"].values()) == 12
    text = format_stats(modes)
    assert "prefilter/not_procedural: 5" in text and str(PAPER["after"][0]) in text and "30.05" in text
    # the state-consistency check ran (the run's config says so): it has its row in the funnel
    assert [f for f in s["funnel"] if f[0] == "consistency"] == [("consistency", 12, 0)]
    assert "\nconsistency " in text
    # the deterministic fake teacher's replies parse as written: nothing counted as repaired
    assert not s["repairs"] and "repairs: none" in text


@pytest.fixture
def cli():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


def test_cli_run_stats_export_pairs(cli, tmp_path, example_corpus):
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(cli, ["synth", "run", str(example_corpus), "-o", str(out), "--model", "fake", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "kept 12" in r.output
    r = runner.invoke(
        cli, ["synth", "run", str(example_corpus), "-o", str(out), "--model", "fake", "--quiet", "--resume"]
    )
    assert r.exit_code == 0 and "skipped (finished earlier) 17" in r.output
    r = runner.invoke(cli, ["synth", "stats", str(out)])
    assert r.exit_code == 0 and "prefilter/not_procedural" in r.output and (out / "stats.png").stat().st_size > 1000
    r = runner.invoke(cli, ["synth", "pairs", str(out), "-o", str(tmp_path / "pairs.jsonl")])
    assert r.exit_code == 0 and "wrote 12 pairs" in r.output
    for fmt, dest in (
        ("openai", tmp_path / "ft.jsonl"),
        ("sharegpt", tmp_path / "lf"),
        ("domains", tmp_path / "d"),
    ):
        r = runner.invoke(cli, ["synth", "export", str(out), "--format", fmt, "-o", str(dest)])
        assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "d").iterdir())) == 12
    r = runner.invoke(
        cli,
        [
            "synth",
            "run",
            str(example_corpus),
            "-o",
            str(tmp_path / "s"),
            "--synthesizer",
            "fake",
            "--quiet",
            "--no-judge",
        ],
    )
    assert r.exit_code == 0 and "kept 12" in r.output
    r = runner.invoke(cli, ["synth", "stats", str(out), str(tmp_path / "s")])
    assert "synthesizer" in r.output and "pipeline" in r.output
