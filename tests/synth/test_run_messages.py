"""`gem synth run` on a second try: bad input fails before OUT is written, a rerun names both ways on,
--overwrite starts over, and runs.jsonl counts a backend shared by several roles once."""

from __future__ import annotations

import orjson
import typer
from typer.testing import CliRunner

from synth.cli import register
from synth.corpus import read_corpus
from synth.pipeline import Pipeline, SynthConfig
from synth.testing import fake_backend


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


def test_bad_row_fails_before_anything_is_written_and_reruns_say_how(example_corpus, tmp_path):
    lines = example_corpus.read_text().splitlines()
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join([*lines[:3], '{"id": "x", "text": oops}']) + "\n")
    out = tmp_path / "out"
    app, run = _app(), CliRunner().invoke
    bad = run(app, ["synth", "run", str(corpus), "-o", str(out), "--model", "fake", "--quiet"])
    assert bad.exit_code != 0 and "c.jsonl:4: not valid JSON" in str(bad.exception)
    assert not out.exists(), "nothing was written for a corpus with a bad row"
    corpus.write_text("\n".join(lines[:3]) + "\n")
    ok = run(app, ["synth", "run", str(corpus), "-o", str(out), "--model", "fake", "--quiet"])
    assert ok.exit_code == 0 and "errors 0\n" in ok.output and "retried" not in ok.output
    again = run(app, ["synth", "run", str(corpus), "-o", str(out), "--model", "fake", "--quiet"])
    assert again.exit_code != 0
    assert "--resume" in str(again.exception) and "--overwrite" in str(again.exception)
    fresh = run(app, ["synth", "run", str(corpus), "-o", str(out), "--model", "fake", "--quiet", "--overwrite"])
    assert fresh.exit_code == 0, fresh.output
    runs = [orjson.loads(x) for x in (out / "runs.jsonl").read_bytes().splitlines()]
    assert [r["run"] for r in runs] == [0, 0], "the run log started over"
    assert (out / "cache.sqlite").is_file(), "the reply cache stays"
    both = run(app, ["synth", "run", str(corpus), "-o", str(out), "--model", "fake", "--resume", "--overwrite"])
    assert both.exit_code != 0 and "exclude each other" in str(both.exception)


def test_usage_of_a_shared_backend_is_counted_once(example_corpus, tmp_path):
    import asyncio

    shared = fake_backend()
    pipe = Pipeline({"teacher": shared, "tagger": shared, "judge": shared}, SynthConfig(concurrency=4))
    asyncio.run(pipe.run(read_corpus(example_corpus), tmp_path / "out"))
    end = [orjson.loads(x) for x in (tmp_path / "out" / "runs.jsonl").read_bytes().splitlines()][-1]
    usage = end["usage"]
    assert usage["tagger"] == {"shared_with": "teacher"} and usage["judge"] == {"shared_with": "teacher"}
    assert usage["teacher"]["roles"] == ["teacher", "tagger", "judge"]
    assert usage["teacher"]["total"]["calls"] == shared.usage.total.calls > 0
