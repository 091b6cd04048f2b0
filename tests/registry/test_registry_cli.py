"""The CLI: bad input gets one clear message and a non-zero exit, never a traceback."""

import json
import os
import subprocess
import sys


def gem(*args, env=None):
    e = {**os.environ, **(env or {})}
    e.pop("GEM_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gem_env.cli", *args], capture_output=True, text=True, env=e, timeout=120
    )


def assert_clean_failure(r, needle):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr + r.stdout
    assert needle in r.stderr + r.stdout


def test_wrong_path():
    assert_clean_failure(gem("domains", "validate", "/no/such/folder"), "no such domain folder")


def test_unknown_domain_name():
    assert_clean_failure(gem("domains", "validate", "photo-framin"), "unknown domain 'photo-framin'")


def test_malformed_domain_json(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "domain.json").write_text('{"name": "d", "policy": 3')
    assert_clean_failure(gem("domains", "validate", str(tmp_path / "d")), "not valid JSON")


def test_invalid_schema_in_domain(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    bad_tool = {
        "name": "GetX",
        "description": "",
        "parameters": {"type": "object", "properties": {"a": {"type": "strng"}}, "required": ["b"]},
    }
    (d / "domain.json").write_text(json.dumps({"name": "d", "tools": [bad_tool]}))
    r = gem("domains", "validate", str(d))
    assert_clean_failure(r, "[required]")
    for rule in ("[name]", "[description]", "[schema]", "[param-described]"):
        assert rule in r.stdout


def test_tools_validate_and_convert(tmp_path, bfcl_v3_dir):
    f = tmp_path / "tools.json"
    f.write_text(
        json.dumps(
            [
                {
                    "type": "function",
                    "function": {
                        "name": "ok_tool",
                        "description": "Does it.",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ]
        )
    )
    r = gem("tools", "validate", str(f))
    assert r.returncode == 0, r.stderr
    assert "1 tools, 0 error(s), 0 warning(s)" in r.stdout
    r = gem("tools", "convert", str(bfcl_v3_dir / "multi_turn_func_doc" / "math_api.json"), "--to", "openai")
    assert r.returncode == 0, r.stderr
    tools = json.loads(r.stdout)
    assert tools[0]["type"] == "function" and tools[0]["function"]["parameters"]["type"] == "object"
    assert_clean_failure(gem("tools", "validate", str(tmp_path / "none.json")), "no such file")
    (tmp_path / "bad.json").write_text("[1, 2")
    assert_clean_failure(gem("tools", "validate", str(tmp_path / "bad.json")), "neither JSON nor JSON Lines")
    assert_clean_failure(gem("tools", "convert", str(f), "--to", "yaml"), "unknown target format")


def test_tools_validate_separates_errors_from_warnings(tmp_path):
    style_only = [
        {
            "name": "GetWeather",
            "description": "",
            "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ]
    f = tmp_path / "mcp.json"
    f.write_text(json.dumps(style_only))
    r = gem("tools", "validate", str(f))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "errors (" not in r.stdout and "warnings (3" in r.stdout and "0 error(s), 3 warning(s)" in r.stdout
    assert r.stdout.index("warnings (") < r.stdout.index("[name]")
    r = gem("tools", "validate", str(f), "--strict")
    assert r.returncode == 1 and "3 warning(s)" in r.stdout
    broken = [
        {
            **style_only[0],
            "inputSchema": {"type": "object", "properties": {"city": {"type": "strng"}}, "required": ["town"]},
        }
    ]
    f.write_text(json.dumps(broken))
    r = gem("tools", "validate", str(f))
    assert r.returncode == 1 and "errors (2)" in r.stdout
    errors_part = r.stdout[r.stdout.index("errors (") : r.stdout.index("warnings (")]
    assert "[schema]" in errors_part and "[required]" in errors_part and "[name]" not in errors_part
