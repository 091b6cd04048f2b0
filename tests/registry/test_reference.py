"""state_patch is a correct, deterministic JSON Patch (independent of string hashing)."""

import os
import subprocess
import sys

import jsonpatch
from hypothesis import given, settings
from hypothesis import strategies as st

from tools_registry.reference import canonical_state, state_patch

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab/~", max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("abc/~", max_size=3), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_patch_applies(a, b):
    assert jsonpatch.apply_patch(a, state_patch(a, b), in_place=False) == b


def test_patch_is_the_same_under_any_hash_seed():
    code = (
        "from tools_registry.reference import state_patch;"
        "a={'orders':{k:{'s':'new'} for k in 'abcdefgh'},'x':1};"
        "b={'orders':{k:{'s':'done'} for k in 'hgfedcba'},'y':2};"
        "print(state_patch(a,b))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outs) == 1 and outs.pop().startswith("[{'op': 'remove', 'path': '/x'}")


def test_canonical_state_ignores_key_and_list_order():
    assert canonical_state({"b": [3, {"y": 1, "x": 2}], "a": 1}) == canonical_state(
        {"a": 1, "b": [{"x": 2, "y": 1}, 3]}
    )
    assert canonical_state({"a": [1, 2]}) != canonical_state({"a": [1, 2, 2]})
