"""BFCL data: v4 from bfcl-eval's package, v3 from a named folder; entries resolved exactly as bfcl-eval does."""

from __future__ import annotations

import copy

import pytest

from gem_env.bfcl import data as bdata
from gem_env.bfcl.data import CATEGORIES, entry_to_task, load_entries, resolve_data_dir
from tools_registry.errors import ConfigError
from tools_registry.validation import ToolSet

pytestmark = pytest.mark.bfcl


def test_constants_match_bfcl_eval():
    from bfcl_eval.constants.default_prompts import (
        DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC,
        MAXIMUM_STEP_LIMIT,
    )
    from bfcl_eval.constants.executable_backend_config import MULTI_TURN_FUNC_DOC_FILE_MAPPING
    from bfcl_eval.utils import _get_language_specific_hint

    from gem_env.bfcl.env import MAXIMUM_STEP_LIMIT as OURS

    assert bdata.ADDITIONAL_FUNCTION_PROMPT == DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC
    assert OURS == MAXIMUM_STEP_LIMIT
    assert bdata.LANGUAGE_HINT == _get_language_specific_hint("multi_turn_base")
    for cls, name in bdata.FUNC_DOC_FILES.items():
        assert MULTI_TURN_FUNC_DOC_FILE_MAPPING[cls] == name


@pytest.mark.parametrize("category", CATEGORIES)
def test_v4_entries_equal_bfcl_eval_loader(category):
    from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry

    theirs = load_dataset_entry(f"multi_turn_{category}", include_prereq=False, include_language_specific_hint=False)
    answers = load_ground_truth_entry(f"multi_turn_{category}")
    ours = load_entries(category)
    assert len(ours) == len(theirs) == 200
    for e, t, a in zip(ours, theirs, answers):
        assert e.id == t["id"] and e.version == "v4"
        assert e.functions == t["function"]
        assert e.missed_function == {int(k): v for k, v in t.get("missed_function", {}).items()}
        assert e.turns == t["question"] and e.initial_config == t["initial_config"]
        assert e.ground_truth == a["ground_truth"]


def test_v3_folder(v3_dir):
    for category in CATEGORIES:
        entries = load_entries(category, v3_dir)
        assert len(entries) == 200 and {e.version for e in entries} == {"v3"}
    assert bdata.data_version(v3_dir) == "v3" and bdata.data_version() == "v4"
    # v3 ships its own function docs, which differ from v4's for some classes
    v3_docs = {d["name"]: d for d in load_entries("base", v3_dir)[0].functions}
    v4_docs = {d["name"]: d for d in load_entries("base")[0].functions}
    assert v3_docs.keys() == v4_docs.keys()


def test_data_dir_resolution(monkeypatch, v3_dir, tmp_path):
    assert resolve_data_dir().name == "data"  # bfcl-eval's package data
    monkeypatch.setenv(bdata.DATA_DIR_ENV, str(v3_dir))
    assert resolve_data_dir() == v3_dir
    assert load_entries("base")[0].version == "v3"
    assert resolve_data_dir(tmp_path) == tmp_path  # an explicit folder wins over the variable
    with pytest.raises(ConfigError, match="no BFCL_v"):
        load_entries("base", tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_data_dir(tmp_path / "nope")
    with pytest.raises(ConfigError, match="did you mean 'miss_func'"):
        load_entries("miss_fun")


def test_entries_are_private_copies():
    a = load_entries("base")[0]
    a.initial_config.clear()
    assert load_entries("base")[0].initial_config


def test_miss_func_holds_out_functions():
    for e in load_entries("miss_func"):
        held = [d["name"] for docs in e.missed_function.values() for d in docs]
        assert held and not set(held) & {d["name"] for d in e.functions}
        assert all(e.turns[t] == [] for t in e.missed_function)


@pytest.mark.parametrize("category", CATEGORIES)
def test_tools_convert_to_valid_schemas(category, data_dir):
    for e in load_entries(category, data_dir)[:25]:
        task = entry_to_task(e, "bfcl-multi-turn-x")
        ToolSet(task.tools)  # compiles every parameters schema
        assert all(t.parameters["type"] == "object" for t in task.tools)
        assert all(t.description.endswith(bdata.LANGUAGE_HINT) for t in task.tools)
        assert task.user.turns and len(task.user.turns) == len(e.turns)
        assert task.initial_state == e.initial_config and task.initial_state is not e.initial_config
        copy.deepcopy(task)
