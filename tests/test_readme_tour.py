"""The README's ten-minute tour runs exactly as written: every fenced block under its heading, in order.

``bash`` blocks hold ``gem`` commands only; each line runs through the console entry point
(``gem_env.cli.main``) in this process, so torch and transformers load once. ``python`` blocks
run as written. Everything happens in a fresh folder that sees the repository's ``examples/``.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def tour_blocks(text: str = README) -> list[tuple[str, str]]:
    """Return ``(language, body)`` for each fenced block under ``## Ten-minute tour``."""
    start = text.index("\n## Ten-minute tour\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else None]
    return [(lang, body) for lang, body in re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S)]


def commands(bash: str) -> list[list[str]]:
    """Split a bash block into argv lists: continuations joined, comments and blank lines dropped."""
    out = []
    for line in bash.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if argv:
            out.append(argv)
    return out


def run_gem(argv: list[str]) -> str:
    """Run one ``gem ...`` line through the console entry point; return its stdout."""
    from gem_env.cli import main

    assert argv[0] == "gem", f"the tour's bash blocks hold gem commands only, got {shlex.join(argv)!r}"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as stop:
        main(argv[1:])
    assert stop.value.code in (0, None), f"{shlex.join(argv)} exited {stop.value.code}:\n{buf.getvalue()[-2000:]}"
    return buf.getvalue()


def test_tour_blocks_are_found():
    langs = [lang for lang, _ in tour_blocks()]
    assert langs.count("python") >= 2 and langs.count("bash") >= 2, langs
    assert set(langs) <= {"python", "bash"}, langs
    gem_lines = [" ".join(a) for lang, body in tour_blocks() if lang == "bash" for a in commands(body)]
    assert any(line.startswith("gem synth run ") and "--model fake" in line for line in gem_lines)
    assert any(line.startswith("gem tiny-model ") for line in gem_lines)
    assert any(line.startswith("gem train sft ") for line in gem_lines)
    assert any(line.startswith("gem eval ") for line in gem_lines)


def test_commands_split_like_a_shell():
    assert commands("gem a b  # note\n\ngem c \\\n    --d 'e f'\n") == [["gem", "a", "b"], ["gem", "c", "--d", "e f"]]


@pytest.mark.slow
def test_tour_runs_as_written(tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    printed = []
    for lang, body in tour_blocks():
        if lang == "python":
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(compile(body, "README.md (tour)", "exec"), {"__name__": "__readme__"})
            printed.append(buf.getvalue())
        else:
            printed.extend(run_gem(argv) for argv in commands(body))
    out = "\n".join(printed)
    assert "Error:" in out  # the gym block's bad lookup is an error message
    assert "kept 12" in out  # the fake teacher's run
    assert re.search(r"^12 gem/synth-\S+ 1\.0$", out, flags=re.M)  # a synthesized domain replays to 1.0
    assert (tmp_path / "tour/tiny/config.json").is_file()
    assert (tmp_path / "tour/sft/model.safetensors").is_file()
    assert (tmp_path / "tour/eval/results.json").is_file()
    assert len((tmp_path / "tour/eval/episodes.jsonl").read_text().splitlines()) == 1
