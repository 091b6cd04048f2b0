"""What untrusted names, schemas and files cannot do: one test per escape the project refuses.

Torn-tail repair removes only the torn row and a resume skips rows not its own; env ids never name
folders; export names never leave DEST; ``$ref`` never fetches or reads a file; a hostile ``pattern``
cannot hold a step; schemas and arguments have size limits with clear errors.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import textwrap
import threading

import orjson
import pytest

from gem_env.registration import make_env
from gem_env.rollout import cut_torn_tail, finished_episodes
from synth.export import export_sharegpt
from tools_registry.errors import ArgumentError, ConfigError, ToolDefinitionError
from tools_registry.limits import MAX_ARGUMENT_BYTES, MAX_SCHEMA_BYTES
from tools_registry.validation import ToolSet, argument_problems, tool_problems


# ---- 3. torn-tail repair ------------------------------------------------------------------------
@pytest.mark.parametrize("torn", [10, (1 << 20) + 5, 3 << 20])
def test_torn_tail_repair_removes_only_the_torn_row(tmp_path, torn):
    p = tmp_path / "rows.jsonl"
    rows = b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'
    p.write_bytes(rows + b'{"x": "' + b"y" * torn)
    assert cut_torn_tail(p) == 7 + torn
    assert p.read_bytes() == rows
    assert cut_torn_tail(p) == 0 and p.read_bytes() == rows


def test_torn_tail_repair_of_a_single_torn_row(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_bytes(b"z" * (3 << 20))
    assert cut_torn_tail(p) == 3 << 20 and p.read_bytes() == b""


def test_resume_leaves_rows_whose_meta_extra_is_not_an_object_alone(tmp_path):
    """Found by benchmarks/fuzz_input_files.py: an AttributeError escaped the resume scan."""
    p = tmp_path / "rows.jsonl"
    other = b'{"meta": {"extra": "s"}}\n{"meta": {"extra": [1]}}\n{"meta": {"extra": null}}\n'
    p.write_bytes(other + orjson.dumps({"meta": {"extra": {"env_id": "gem/x-v0", "seed": 3}}}) + b"\n")
    assert finished_episodes(p, "gem/x-v0", 0, 5, None) == {3}


# ---- 5. env ids and names never become paths ------------------------------------------------------
EVIL_TOOLS = textwrap.dedent("""
    import pathlib
    pathlib.Path(__file__).with_name("IMPORTED").write_text("tools.py ran")
    from tools_registry import Toolkit
    class Evil(Toolkit):
        pass
""")


@pytest.fixture
def evil_domain(tmp_path, monkeypatch):
    """A domain folder 'evil' two levels above the working directory, as gem/../../evil-v0 would reach."""
    evil = tmp_path / "evil-v0"
    evil.mkdir()
    (evil / "domain.json").write_bytes(orjson.dumps({"name": "evil", "description": "x", "policy": "", "tools": []}))
    (evil / "tools.py").write_text(EVIL_TOOLS)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return evil


@pytest.mark.parametrize("env_id", ["gem/../../evil-v0", "gem_env:gem/../../evil-v0", "gem/../../evil"])
def test_an_env_id_never_names_a_folder(evil_domain, env_id):
    with pytest.raises(ConfigError, match="invalid env id"):
        make_env(env_id)
    assert not (evil_domain / "IMPORTED").exists(), "tools.py was imported from an env id"


def test_rollout_cli_refuses_a_traversing_env_id(evil_domain):
    r = subprocess.run(
        [sys.executable, "-m", "gem_env.cli", "rollout", "gem/../../evil-v0", "-n", "1", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "GEM_DEBUG"},
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out and "invalid env id" in out, out[-2000:]
    assert not (evil_domain / "IMPORTED").exists()


def test_only_an_explicit_path_loads_a_folder(evil_domain):
    with pytest.raises(ConfigError, match="no tasks"):  # named as a path, the folder loads, tools.py included
        make_env(str(evil_domain))
    assert (evil_domain / "IMPORTED").exists()


@pytest.mark.parametrize(
    "env_id",
    ["gem/photo-framing-v0\n", "gem/photo-framing-v0\x00", "photo-framing\n", "gem/photo\x00framing-v0", "\x00"],
)
def test_trailing_newline_and_nul_are_clear_errors(env_id):
    with pytest.raises(ConfigError):
        make_env(env_id)


@pytest.mark.parametrize("name", ["../../x", "../x", "/tmp/x", "a/b", "..", ".hidden", "x\x00y", "x\n"])
def test_export_name_cannot_leave_dest(tmp_path, name):
    dest = tmp_path / "a" / "dest"
    with pytest.raises(ConfigError, match="invalid dataset name"):
        export_sharegpt([], dest, name)
    assert not any(p.suffix == ".json" for p in tmp_path.rglob("*")), "a file was written"


def test_export_cli_refuses_a_traversing_name(tmp_path):
    (tmp_path / "out" / "corpus").mkdir(parents=True)
    dest = tmp_path / "a" / "dest"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gem_env.cli",
            "synth",
            "export",
            str(tmp_path / "out"),
            "--format",
            "sharegpt",
            "--name",
            "../../x",
            "-o",
            str(dest),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "GEM_DEBUG"},
    )
    assert r.returncode != 0 and "Traceback" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:]
    assert not (tmp_path / "x.json").exists()


# ---- 6. $ref stays inside the schema ------------------------------------------------------------
@pytest.fixture
def schema_server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "integer"}')

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/s.json", hits
    srv.shutdown()


def ref_tool(ref):
    return {
        "name": "t",
        "description": "d",
        "parameters": {"type": "object", "properties": {"x": {"$ref": ref, "description": "x"}}},
    }


@pytest.mark.parametrize("kind", ["http", "file", "relative"])
def test_non_local_ref_is_refused_and_never_resolved(schema_server, tmp_path, kind):
    url, hits = schema_server
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "integer"}')
    ref = {"http": url, "file": secret.as_uri(), "relative": "secret.json"}[kind]
    tool = ref_tool(ref)
    problems = tool_problems([tool])
    assert any(p.startswith("[ref] tool 't'") and "not local" in p for p in problems), problems
    with pytest.raises(ToolDefinitionError, match=r"\[ref\]"):
        ToolSet([tool])
    with pytest.raises(ToolDefinitionError, match=r"\[ref\]"):
        argument_problems(tool["parameters"], {"x": "s"})
    assert hits == [], "a schema reference was fetched"


def test_local_refs_still_resolve():
    tool = {
        "name": "t",
        "description": "d",
        "parameters": {
            "type": "object",
            "$defs": {"n": {"type": "integer"}},
            "properties": {"x": {"$ref": "#/$defs/n", "description": "x"}},
        },
    }
    assert tool_problems([tool]) == []
    ts = ToolSet([tool])
    ts.check_call("t", {"x": 3})
    with pytest.raises(ArgumentError, match="'x' must be integer"):
        ts.check_call("t", {"x": "s"})


# ---- 7. hostile patterns ----------------------------------------------------------------------
PATTERN_RUN = textwrap.dedent("""
    import sys
    from tools_registry.errors import ArgumentError
    from tools_registry.validation import ToolSet
    pattern, value = sys.argv[1], sys.argv[2]
    ts = ToolSet([{"name": "t", "description": "d", "parameters": {"type": "object", "properties": {
        "x": {"type": "string", "pattern": pattern, "description": "x"}}}}])
    try:
        ts.check_call("t", {"x": value})
    except ArgumentError as exc:
        print("refused:", str(exc)[:80])
""")


@pytest.mark.parametrize(
    "pattern, value", [("^(a+)+$", "a" * 40 + "!"), ("^(a|a)*$", "a" * 40 + "!"), ("(x+x+)+y", "x" * 40)]
)
def test_catastrophic_pattern_cannot_hold_a_step(pattern, value):
    """On a backtracking engine each of these takes hours (2^40 paths); the run must finish at once.

    A subprocess with a generous limit: this detects a hang, it does not time a speed target.
    """
    r = subprocess.run([sys.executable, "-c", PATTERN_RUN, pattern, value], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("refused:"), r.stderr[-2000:]


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=a)a$", r"(?<!x)y", "a" * 2000])
def test_pattern_without_a_linear_time_engine_is_a_definition_error(pattern):
    tool = {
        "name": "t",
        "description": "d",
        "parameters": {
            "type": "object",
            "properties": {"x": {"type": "string", "pattern": pattern, "description": "x"}},
        },
    }
    assert any(p.startswith("[pattern] tool 't'") for p in tool_problems([tool]))
    with pytest.raises(ToolDefinitionError, match=r"\[pattern\]"):
        ToolSet([tool])


def test_pattern_properties_use_the_linear_engine_too():
    tool = {
        "name": "t",
        "description": "d",
        "parameters": {"type": "object", "patternProperties": {"^(a+)+$": {"type": "integer"}}},
    }
    ts = ToolSet([tool])
    with pytest.raises(ArgumentError):
        ts.check_call("t", {"a" * 40: "not an integer"})


# ---- 8. sizes -----------------------------------------------------------------------------------
def test_huge_schema_is_refused_with_the_limit_named():
    props = {f"p{i}": {"type": "string", "description": "a property of a very large schema"} for i in range(20_000)}
    tool = {"name": "t", "description": "d", "parameters": {"type": "object", "properties": props}}
    assert len(orjson.dumps(tool["parameters"])) > MAX_SCHEMA_BYTES
    problems = tool_problems([tool])
    assert len(problems) == 1 and problems[0].startswith("[size] tool 't'") and str(MAX_SCHEMA_BYTES) in problems[0]
    with pytest.raises(ToolDefinitionError, match=str(MAX_SCHEMA_BYTES)):
        ToolSet([tool])


def test_deep_schema_is_refused():
    node: dict = {"type": "string"}
    for _ in range(200):
        node = {"type": "array", "items": node}
    tool = {
        "name": "t",
        "description": "d",
        "parameters": {"type": "object", "properties": {"x": {**node, "description": "x"}}},
    }
    assert any(p.startswith("[size]") and "deeper" in p for p in tool_problems([tool]))
    with pytest.raises(ToolDefinitionError):
        ToolSet([tool])


def test_huge_arguments_are_an_error_naming_the_limit():
    env = make_env("gem/photo-framing-v0")
    env.reset(seed=0)
    big = "x" * (MAX_ARGUMENT_BYTES + 10)
    for args in ({"email": big}, orjson.dumps({"email": big}).decode()):
        _, _, _, _, info = env.step(
            {"role": "assistant", "tool_calls": [{"function": {"name": "find_customer", "arguments": args}}]}
        )
        assert str(MAX_ARGUMENT_BYTES) in info["errors"][0]["message"]
        assert len(env.messages[-2]["tool_calls"][0]["function"]["arguments"]) < 5000, "the huge value is not kept"
