"""The tau2 environments: lazy registration, tools run by tau2, private DB copies, users, reward parts."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from gem_env.llm.testing.scripted import ScriptedBackend
from gem_env.tau2 import ENV_IDS, domain_of, make_tau2_env, register_tau2_envs
from gem_env.tau2._tau2 import require_tau2
from gem_env.tau2.data import domain_store, load_tasks
from gem_env.tau2.db import db_hash
from gem_env.tau2.fidelity import gold_conversation
from gem_env.tau2.users import STOP_MARKERS, Tau2LLMUser
from gem_env.score import score_rows
from tools_registry.errors import ConfigError

pytestmark = pytest.mark.tau2


def test_import_does_not_load_tau2():
    code = (
        "import sys, gem_env, gem_env.tau2, gem_env.tau2.suite\n"
        "ids = gem_env.tau2.register_tau2_envs()\n"
        "print(len(ids), 'tau2' in sys.modules, 'litellm' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["5", "False", "False"]  # airline, retail, telecom, mock, telecom-workflow


def test_registration_ids_and_check_env():
    assert register_tau2_envs() == list(ENV_IDS)
    assert domain_of("gem/tau2-retail-v0") == "retail" and domain_of("gem/bfcl-multi-turn-base-v0") is None
    with pytest.raises(ConfigError, match="did you mean 'gem/tau2-airline-v0'"):
        make_tau2_env("gem/tau2-airlin-v0")
    env = gym.make("gem/tau2-mock-v0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped)
    env.close()


def test_constants_match_the_package():
    from tau2.user.base import OUT_OF_SCOPE, STOP, TRANSFER

    assert STOP_MARKERS == (STOP, TRANSFER, OUT_OF_SCOPE)


def test_splits_and_tasks_path(tmp_path, tau2_data):
    assert len(load_tasks("airline", "train")) == 30 and len(load_tasks("airline", "test")) == 20
    assert len(load_tasks("retail", "base")) == 114
    with pytest.raises(ConfigError, match="unknown task_split 'dev'.*known: base, test, train"):
        load_tasks("airline", "dev")
    tasks = json.loads((tau2_data / "airline" / "tasks.json").read_text())
    good = tmp_path / "fixed.json"
    good.write_text(json.dumps(tasks[:3]))
    env = make_tau2_env("gem/tau2-airline-v0", tasks_path=good, task_split=None)
    assert [t.id for t in env.tasks] == [str(t["id"]) for t in tasks[:3]]
    with pytest.raises(ConfigError, match="task_split='base' cannot be applied"):
        make_tau2_env("gem/tau2-airline-v0", tasks_path=good)
    bad = tmp_path / "bad.json"
    broken = [tasks[0], {**tasks[1], "user_scenario": {"persona": None}}, {"id": "x"}]
    bad.write_text(json.dumps(broken))
    with pytest.raises(ConfigError, match=r"task record 1 \(id '1'\) is not a valid tau2 task"):
        load_tasks("airline", None, bad)


def test_tools_policy_and_errors_as_tau2_reports_them():
    env = make_tau2_env("gem/tau2-airline-v0", user=["I want to check my reservation EHGLP3.", "###STOP###"])
    obs, _ = env.reset(options={"task_id": "0"})
    proto = domain_store("airline").prototype
    assert obs["messages"][0] == {"role": "system", "content": proto.get_policy()}
    assert obs["messages"][1]["content"] == "Hi! How can I help you today?"
    assert {t["function"]["name"] for t in obs["tools"]} == {t.name for t in proto.get_tools()}
    obs, r, term, trunc, info = env.step(
        {
            "role": "assistant",
            "tool_calls": [
                {"function": {"name": "get_reservation_details", "arguments": {"reservation_id": "EHGLP3"}}},
                {"function": {"name": "no_such_tool", "arguments": {}}},
                {"function": {"name": "get_reservation_details", "arguments": {"reservation_id": 7}}},
            ],
        }
    )
    details, unknown, wrong = (m["content"] for m in obs["messages"][-3:])
    assert json.loads(details)["reservation_id"] == "EHGLP3"
    assert unknown == "Error: Tool 'no_such_tool' not found."
    assert wrong.startswith("Error: ") and (r, term, trunc) == (0.0, False, False)
    assert env.backend.errors == 2
    # byte for byte what tau2's Environment.get_response gives for the same calls, errors included
    t2 = require_tau2()
    tenv = domain_store("airline").new_environment()
    for msg, (name, args) in zip(
        obs["messages"][-3:],
        [
            ("get_reservation_details", {"reservation_id": "EHGLP3"}),
            ("no_such_tool", {}),
            ("get_reservation_details", {"reservation_id": 7}),
        ],
    ):
        ref = tenv.get_response(t2.ToolCall(id="c", name=name, arguments=args, requestor="assistant"))
        assert msg["content"] == ref.content
    for name, args in [
        ("get_user_details", {"user_id": "mia_li_3668"}),
        ("search_direct_flight", {"origin": "JFK", "destination": "SFO", "date": "2024-05-16"}),
        ("get_reservation_details", {"requestor": "x"}),
    ]:
        ref = tenv.get_response(t2.ToolCall(id="c", name=name, arguments=args, requestor="assistant"))
        assert env.backend._run(name, args, "assistant") == (ref.content, bool(ref.error))


def test_private_db_copies_and_snapshots():
    shared = domain_store("airline").db
    before = db_hash(shared)
    env = make_tau2_env("gem/tau2-airline-v0", user=["Cancel EHGLP3 please.", "###STOP###"])
    cancel = {
        "role": "assistant",
        "tool_calls": [{"function": {"name": "cancel_reservation", "arguments": {"reservation_id": "EHGLP3"}}}],
    }
    env.reset(options={"task_id": "0"})
    snap = env.snapshot()
    obs, *_ = env.step(cancel)
    assert json.loads(obs["messages"][-1]["content"])["status"] == "cancelled"
    assert env.backend.env.tools.db.reservations["EHGLP3"].status == "cancelled"
    assert shared.reservations["EHGLP3"].status is None and db_hash(shared) == before
    env.restore(snap)
    assert env.backend.env.tools.db.reservations["EHGLP3"].status is None
    env.reset(options={"task_id": "0"})  # a new episode starts from the pristine DB
    assert env.backend.env.tools.db.reservations["EHGLP3"].status is None


@pytest.mark.parametrize(
    ("domain", "calls"),
    [
        (
            "airline",
            [
                ("search_direct_flight", {"origin": "JFK", "destination": "SEA", "date": "2024-05-20"}),
                ("search_onestop_flight", {"origin": "JFK", "destination": "SEA", "date": "2024-05-20"}),
            ],
        ),
        (
            "retail",
            [
                ("find_user_id_by_name_zip", {"first_name": "Yusuf", "last_name": "Rossi", "zip": "19122"}),
                ("find_user_id_by_email", {"email": "nobody@example.com"}),
                ("list_all_product_types", {}),
            ],
        ),
        ("mock", [("get_users", {})]),
    ],
)
def test_iterating_tools_leave_the_shared_db_alone(domain, calls):
    """Table iteration yields shared entries uncopied: every tau2 tool that iterates must only read."""
    from tau2.data_model.message import ToolCall

    store = domain_store(domain)
    before = db_hash(store.db)
    env = store.new_environment()
    names = {t.name for t in env.get_tools()}
    for name, args in calls:
        assert name in names
        out = env.get_response(ToolCall(id="c", name=name, arguments=args, requestor="assistant"))
        assert out.content  # errors count too ("User not found" after scanning every user)
    assert db_hash(store.db) == before


def test_fast_hash_and_signature_agree_with_tau2_hash():
    from tau2.utils.utils import get_dict_hash

    store = domain_store("retail")
    a, b, c = (store.new_environment().tools for _ in range(3))
    shared = get_dict_hash(store.db.model_dump())

    def verdicts():
        hashes = [get_dict_hash(t.db.model_dump()) for t in (a, b, c)]
        assert [db_hash(t.db) for t in (a, b, c)] == hashes  # byte-exact tau2 hash
        sigs = [t.get_db_hash() for t in (a, b, c)]  # what the episode environments compare
        return [hashes[i] == hashes[j] for i, j in ((0, 1), (0, 2), (1, 2))], [
            sigs[i] == sigs[j] for i, j in ((0, 1), (0, 2), (1, 2))
        ]

    assert verdicts() == ([True] * 3, [True] * 3)
    order = next(o for o in a.db.orders if a.db.orders[o].status == "pending")
    list(b.db.orders.values())  # read everything: copies, but no change
    assert verdicts() == ([True] * 3, [True] * 3)
    a.cancel_pending_order(order, "no longer needed")
    assert verdicts() == ([False, False, True], [False, False, True])
    b.cancel_pending_order(order, "no longer needed")
    assert verdicts() == ([True, False, False], [True, False, False])
    del c.db.users[next(iter(c.db.users))]
    assert verdicts()[0] == verdicts()[1]
    assert get_dict_hash(store.db.model_dump()) == shared  # the shared DB never changes


def test_gold_replay_scores_one_and_silence_scores_zero():
    # (the one mock task left out has no gold action although its env assertion needs one: tau2 scores it 0)
    rows = [
        {"task_id": t.id, "messages": gold_conversation(t)}
        for t in load_tasks("mock", None)
        if t.id != "update_task_with_history_and_env_assertions"
    ]
    res = score_rows("gem/tau2-mock-v0", rows, env_kwargs={"task_split": None})
    assert [r.reward for r in res] == [1.0] * len(rows)
    assert all("db" in r.breakdown and "details" in r.breakdown for r in res)
    silent = [
        {
            "task_id": "update_task_1",
            "messages": [{"role": "user", "content": "Mark task_1 done."}, {"role": "assistant", "content": "Done!"}],
        }
    ]
    (r,) = score_rows("gem/tau2-mock-v0", silent, env_kwargs={"task_split": None})
    assert r.reward == 0.0 and r.breakdown["db"] == 0.0


def test_nl_assertions_not_scored_without_judge_and_judged_with_one():
    env = make_tau2_env("gem/tau2-mock-v0", task_split=None, user=["Create a task.", "###STOP###"])
    tid = "create_task_1_nl_eval"
    env.reset(options={"task_id": tid})
    env.step({"role": "assistant", "content": "I cannot do that."})
    bd = env.last_reward.to_info()
    assert bd["details"]["nl_assertions"] == "not scored" and "nl_assertion" not in bd
    n = len(env.tau2_tasks[tid].evaluation_criteria.nl_assertions)
    verdict = {"results": [{"expectedOutcome": f"a{i}", "reasoning": "r", "metExpectation": True} for i in range(n)]}
    judge = ScriptedBackend([{"role": "assistant", "content": json.dumps(verdict)}])
    env = make_tau2_env("gem/tau2-mock-v0", task_split=None, user=["Create a task.", "###STOP###"], judge_model=judge)
    env.reset(options={"task_id": tid})
    env.step({"role": "assistant", "content": "I cannot do that."})
    bd = env.last_reward.to_info()
    assert bd["nl_assertion"] == 1.0 and len(bd["details"]["nl_assertions"]) == n
    assert "expectedOutcomes" in judge.calls[0]["messages"][0]["content"]


def test_llm_user_prompt_stop_and_telecom_dual_control():
    tid = "[mobile_data_issue]airplane_mode_on|data_mode_off[PERSONA:None]"
    replies = [
        {"role": "assistant", "content": "My mobile data does not work."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "u1", "type": "function", "function": {"name": "toggle_airplane_mode", "arguments": {}}}
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "u2", "type": "function", "function": {"name": "toggle_data", "arguments": {}}}],
        },
        {"role": "assistant", "content": "It works now, thanks! ###STOP###"},
    ]
    llm = ScriptedBackend(replies)
    env = make_tau2_env("gem/tau2-telecom-v0", user="llm", user_model=llm)
    obs, _ = env.reset(options={"task_id": tid})
    first = llm.calls[0]
    system = first["messages"][0]["content"]
    task = env.tau2_tasks[tid]
    assert str(task.user_scenario) in system and "<scenario>" in system
    assert first["messages"][1] == {"role": "user", "content": "Hi! How can I help you today?"}
    assert {t["function"]["name"] for t in first["tools"]} >= {"toggle_airplane_mode", "toggle_data"}
    assert obs["messages"][-1] == {"role": "user", "content": "My mobile data does not work."}
    obs, r, term, trunc, info = env.step(
        {"role": "assistant", "content": "Please turn off airplane mode and turn on data."}
    )
    assert term and not trunc and r == 1.0
    assert [c.name for c in env.backend.user_calls] == ["toggle_airplane_mode", "toggle_data"]
    assert all(m["role"] != "tool" for m in obs["messages"])  # the user's tool traffic is not the agent's
    assert info["reward_breakdown"]["env_assertion"] == 1.0
    assert llm.calls[2]["messages"][-1]["role"] == "tool"  # the user model saw its tool's result


def test_too_many_errors_ends_like_tau2():
    env = make_tau2_env("gem/tau2-mock-v0", task_split=None, max_errors=2, user=["hi", "###STOP###"])
    env.reset(options={"task_id": "create_task_1"})
    bad = {"role": "assistant", "tool_calls": [{"function": {"name": "nope", "arguments": {}}}] * 2}
    _, r, term, trunc, info = env.step(bad)
    assert trunc and not term and info["truncated_by"] == "max_errors" and r == 0.0
    assert info["reward_breakdown"]["details"]["termination_reason"] == "too_many_errors"


def test_llm_user_is_public_and_needs_a_model():
    with pytest.raises(ConfigError, match="needs a model"):
        make_tau2_env("gem/tau2-mock-v0", user="llm")
    assert Tau2LLMUser.kind == "llm"


def test_telecom_workflow_policy_is_tau2s_telecom_workflow_domain():
    """tau2 registers ``telecom-workflow`` (the tech-support policy as a workflow): served as
    ``gem/tau2-telecom-workflow-v0`` and as ``policy_type="workflow"``, with tau2's policy text."""
    t2 = require_tau2()
    assert "telecom-workflow" in t2.registry.get_domains()
    want = t2.registry.get_env_constructor("telecom-workflow")().get_policy()
    manual = t2.registry.get_env_constructor("telecom")().get_policy()
    assert want != manual and "tech_support_policy" in want
    tid = "[mobile_data_issue]airplane_mode_on|data_mode_off[PERSONA:None]"
    for env in (
        make_tau2_env("gem/tau2-telecom-workflow-v0"),
        gym.make("gem/tau2-telecom-workflow-v0").unwrapped,
        make_tau2_env("gem/tau2-telecom-v0", policy_type="workflow"),
    ):
        obs, _ = env.reset(options={"task_id": tid})
        assert obs["messages"][0] == {"role": "system", "content": want} and env.tau2_domain == "telecom"
    obs, _ = make_tau2_env("gem/tau2-telecom-v0").reset(options={"task_id": tid})
    assert obs["messages"][0]["content"] == manual
    assert domain_of("gem/tau2-telecom-workflow-v0") == "telecom"
    with pytest.raises(ConfigError, match="unknown policy_type 'workflow'"):
        make_tau2_env("gem/tau2-airline-v0", policy_type="workflow")


def test_nested_dates_are_copied_on_access_and_hash_exactly():
    """A copied flight copies only the dates a tool looks up; a booking changes the episode's copy,
    tau2's hash of the episode DB is exact, and a fork of the episode DB is independent."""
    from tau2.utils.utils import get_dict_hash

    from gem_env.tau2.db import CopyOnAccessDict, private_copy

    store = domain_store("airline")
    shared = get_dict_hash(store.db.model_dump())
    env = store.new_environment()
    env.make_tool_call(
        "book_reservation",
        user_id="mia_li_3668",
        origin="JFK",
        destination="SEA",
        flight_type="one_way",
        cabin="economy",
        flights=[{"flight_number": "HAT136", "date": "2024-05-20"}],
        passengers=[{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
        payment_methods=[{"payment_id": "credit_card_4421486", "amount": 152}],
        total_baggages=0,
        nonfree_baggages=0,
        insurance="no",
    )
    mine = env.tools.db.flights["HAT136"]
    assert type(mine.dates) is CopyOnAccessDict
    seats = mine.dates["2024-05-20"].available_seats["economy"]
    assert seats == dict.__getitem__(store.db.flights, "HAT136").dates["2024-05-20"].available_seats["economy"] - 1
    assert db_hash(env.tools.db) == get_dict_hash(env.tools.db.model_dump()) != shared
    fork = private_copy(env.tools.db)
    fork.flights["HAT136"].dates["2024-05-20"].available_seats["economy"] -= 5
    assert env.tools.db.flights["HAT136"].dates["2024-05-20"].available_seats["economy"] == seats
    assert get_dict_hash(store.db.model_dump()) == shared
