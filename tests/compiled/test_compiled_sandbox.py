"""Hostile programs: each attack, written in the program language, is refused at compile time or
contained at run time (a tool error, the state unchanged, the host unharmed), never a crash or hang."""

from __future__ import annotations

import copy
import time

import pytest

from gem_env.compiled import Limits, ProgramCompileError, ProgramError, ProgramLimitError, ProgramSet

SECRET = "top-secret-host-value"


def compile_one(program, limits=Limits()):
    return ProgramSet({"tools": {"t": program}}, limits)


def run(program, state=None, args=None, limits=Limits()):
    state = state if state is not None else {"items": [{"id": "a", "v": 1}]}
    return compile_one(program, limits).call(state, "t", args or {})


# ---- refused at compile time: there is no construct for it ---------------------------------
@pytest.mark.parametrize(
    "program, needle",
    [
        ({"steps": [{"import": "os"}]}, "exactly one of"),
        ({"return": {"$import": "os"}}, "unknown operator"),
        ({"return": {"$__import__": "os"}}, "unknown operator"),
        ({"return": {"$eval": "1+1"}}, "unknown operator"),
        ({"return": {"$exec": "import os"}}, "unknown operator"),
        ({"return": {"$open": "/etc/passwd"}}, "unknown operator"),
        ({"return": {"$getattr": ["$args", "__class__"]}}, "unknown operator"),
        ({"steps": [{"while": True, "do": []}]}, "exactly one of"),
        ({"steps": [{"for": "x", "in": "$state.items"}]}, "exactly one of"),
        ({"return": {"$query": "read_file('/etc/passwd')"}}, "unknown query function"),
        ({"return": {"$query": "__import__('os').system('id')"}}, "unknown query function"),
        ({"return": {"$query": "`1` | system('id')"}}, "unknown query function"),
        ({"return": {"$query": "(" * 300 + "a" + ")" * 300}}, "longer than"),
        ({"return": "$__builtins__"}, "unknown name"),
        ({"return": "$os.environ"}, "unknown name"),
        ({"steps": [{"let": "args", "value": 1}]}, "must be a new name"),
        ({"steps": [{"patch": [{"op": "move", "from": "/a", "path": "/b"}]}]}, "each operation"),
    ],
)
def test_refused_at_compile_time(program, needle):
    with pytest.raises(ProgramCompileError) as err:
        compile_one(program)
    assert needle in str(err.value.problems)


def test_deep_nesting_is_refused():
    deep: object = "$args"
    for _ in range(200):
        deep = {"$not": deep}
    with pytest.raises(ProgramCompileError, match="deeper"):
        compile_one({"return": deep})
    steps: list = []
    inner = steps
    for _ in range(200):
        nxt: list = []
        inner.append({"if": True, "then": nxt})
        inner = nxt
    with pytest.raises(ProgramCompileError):
        compile_one({"steps": steps})


def test_oversized_program_is_refused():
    with pytest.raises(ProgramCompileError, match="bytes"):
        compile_one({"return": "x" * 100_000})
    with pytest.raises(ProgramCompileError, match="steps"):
        compile_one({"steps": [{"let": f"v{i}", "value": i} for i in range(300)]})


# ---- contained at run time -------------------------------------------------------------------
@pytest.mark.parametrize(
    "ref",
    [
        "$args.__class__.__bases__",
        "$args.__class__.__init__.__globals__",
        "$state.__dict__",
        "$state.items.__len__",
        "$args.mro",
    ],
)
def test_dunder_walks_read_nothing(ref):
    out, _ = run({"return": {"x": ref}}, args={"k": SECRET})
    assert out == '{"x":null}'


@pytest.mark.parametrize(
    "template",
    [
        "{args.__class__.__init__.__globals__}",
        "{0.__class__}",
        "{args!r}",
        "%(args)s",
        "{args.k:>99999999}",
        "{state.__class__.__mro__[1].__subclasses__}",
    ],
)
def test_format_string_attacks_are_plain_text(template):
    out, _ = run({"return": template}, args={"k": "v"})
    assert "<" not in out and "object" not in out and len(out) < 200


def test_query_sees_only_the_bindings():
    out, _ = run({"return": {"$query": "keys(@)"}}, args={"k": 1})
    assert sorted(eval_json(out)) == ["args", "state"]
    out, _ = run({"return": {"$query": "to_string(@).__class__"}})
    assert out == "null"


def eval_json(text):
    import orjson

    return orjson.loads(text)


def _double(n):
    steps = [{"let": "x0", "value": ["$args.s"]}]
    steps += [{"let": f"x{i}", "value": [f"$x{i - 1}", f"$x{i - 1}"]} for i in range(1, n)]
    return {"steps": steps, "return": f"$x{n - 1}"}


def test_memory_bomb_by_doubling_is_stopped_quickly():
    start = time.perf_counter()
    with pytest.raises(ProgramLimitError):
        run(_double(60), args={"s": "x" * 100})
    assert time.perf_counter() - start < 5


def test_string_bombs_are_stopped():
    steps = [{"let": "s0", "value": "$args.s"}]
    steps += [{"let": f"s{i}", "value": f"{{s{i - 1}}}{{s{i - 1}}}"} for i in range(1, 60)]
    with pytest.raises(ProgramLimitError):
        run({"steps": steps, "return": "$s59"}, args={"s": "ab"})
    steps = [{"let": "s0", "value": "$args.s"}]
    steps += [{"let": f"s{i}", "value": {"$concat": [f"$s{i - 1}", f"$s{i - 1}"]}} for i in range(1, 60)]
    with pytest.raises(ProgramLimitError):
        run({"steps": steps, "return": "$s59"}, args={"s": "ab"})


def test_cpu_bomb_by_nested_scans_hits_the_work_budget():
    state = {"items": [{"id": i} for i in range(3000)]}
    steps = [{"filter": "items", "as": f"f{i}", "when": {"$in": ["$item", "$state.items"]}} for i in range(20)]
    start = time.perf_counter()
    with pytest.raises(ProgramLimitError, match="work"):
        run({"steps": steps}, state=state)
    assert time.perf_counter() - start < 5


def test_huge_output_is_refused_and_huge_writes_too():
    state = {"items": [{"id": i, "text": "y" * 1000} for i in range(100)]}
    big = Limits(max_work=10**7)
    with pytest.raises(ProgramLimitError, match="output"):
        run({"return": ["$state.items"] * 10}, state=state, limits=big)
    before = copy.deepcopy(state)
    with pytest.raises(ProgramLimitError, match="write"):
        run(
            {"steps": [{"insert": "items", "value": ["$state.items", "$state.items", "$state.items"]}]},
            state=state,
            limits=big,
        )
    assert state == before


def test_number_bombs_are_stopped():
    steps = [{"let": "n0", "value": 10}]
    steps += [{"let": f"n{i}", "value": {"$mul": [f"$n{i - 1}", f"$n{i - 1}"]}} for i in range(1, 30)]
    with pytest.raises(ProgramLimitError, match="number"):
        run({"steps": steps, "return": "$n29"})
    with pytest.raises(ProgramError, match="division by zero"):
        run({"return": {"$div": [1, 0]}})


def test_deep_recursion_in_data_is_contained():
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    state = {"items": deep}
    with pytest.raises(ProgramError):
        run({"return": "$state.items"}, state=state, limits=Limits(max_work=10**7))
    with pytest.raises(ProgramError):
        run({"return": {"$query": "to_string(state.items)"}}, state=state, limits=Limits(max_work=10**7))


def test_state_cannot_be_replaced_whole_or_written_outside():
    with pytest.raises(ProgramError):
        run({"steps": [{"patch": [{"op": "replace", "path": "/", "value": {}}]}]})
    with pytest.raises(ProgramError):
        run({"steps": [{"patch": [{"op": "add", "path": "/nowhere/deep/x", "value": 1}]}]})


def test_limit_breach_in_an_episode_is_a_tool_message(shop, shop_programs):
    from gem_env.env import ToolUseEnv

    shop_programs["tools"]["get_order"] = _double(60)
    env = ToolUseEnv(shop(shop_programs), tools="compiled", user="replay")
    env.reset(seed=0)
    obs, _, _, _, info = env.step(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"type": "function", "function": {"name": "get_order", "arguments": {"order_id": "O-1"}}}],
        }
    )
    assert obs["messages"][-1]["content"].startswith("Error: program limit")
    assert info["errors"][0]["kind"] == "tool"
