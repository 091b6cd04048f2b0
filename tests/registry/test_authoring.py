"""tools_registry.authoring: the one helper every bundled domain is written with."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from tools_registry import Toolkit, require, tool
from tools_registry.authoring import StateModel, TaskList, cents, write_domain
from tools_registry.domains import bundled_dir, load_domain
from tools_registry.records import Domain


class Lamp(StateModel):
    on: bool = False


class Room(StateModel):
    lamps: dict[str, Lamp] = {}


class Lights(Toolkit):
    State = Room

    @tool
    def get_lamp(self, lamp_id: str) -> dict:
        """Look up one lamp.

        Args:
            lamp_id: The lamp's id.
        """
        require(lamp_id in self.state.lamps, f"lamp {lamp_id} not found")
        return self.state.lamps[lamp_id].model_dump()

    @tool(mutates=True)
    def switch_on(self, lamp_id: str) -> dict:
        """Switch one lamp on.

        Args:
            lamp_id: The lamp's id.
        """
        require(lamp_id in self.state.lamps, f"lamp {lamp_id} not found")
        self.state.lamps[lamp_id].on = True
        return {"lamp_id": lamp_id, "on": True}


STATE = {"lamps": {"L1": {"on": False}}}
SCENARIO = dict(
    instruction="Turn on L1.",
    persona="Brief.",
    known_info="Lamp L1.",
    unknown_info="-",
    communicate=[],
    patterns=["write"],
)


def _conversation(tasks: TaskList):
    b = tasks.new()
    b.user("Please switch on lamp L1.")
    b.call("get_lamp", lamp_id="L1")
    b.call("switch_on", lamp_id="L1")
    b.assistant("Lamp L1 is on now.")
    return b


def test_state_models_reject_unknown_fields_and_say_so():
    with pytest.raises(ValidationError):
        Room.model_validate({"lamps": {}, "doors": {}})
    assert Lights.state_schema()["additionalProperties"] is False


def test_cents_rounds_half_up_from_the_decimal_text():
    assert cents(2.675) == Decimal("2.68") and cents(0.125) == Decimal("0.13") and str(cents(18.4)) == "18.40"


def test_a_task_list_checks_and_collects(tmp_path):
    tasks = TaskList("lights", Lights, STATE)
    task = tasks.finish(_conversation(tasks), "on", "Switch a lamp on.", **SCENARIO)
    assert tasks == [task] and task.criteria.actions[0].name == "switch_on" and task.meta == {"patterns": ["write"]}
    assert task.user.turns == ["Please switch on lamp L1."]
    domain = Domain(
        name="lights",
        description="Lamps.",
        policy="Be brief.",
        tools=Lights.tool_specs(),
        state_schema=Lights.state_schema(),
        initial_state=STATE,
    )
    folder = write_domain(domain, tasks, tmp_path / "lights")
    assert (folder / "tasks.jsonl").is_file() and (folder / "domain.json").is_file()
    with pytest.raises(AssertionError, match="duplicate task ids"):
        write_domain(domain, [task, task], tmp_path / "again")


@pytest.mark.parametrize(
    "change, rule",
    [
        ({"communicate": ["L2"]}, "communicate item"),
        ({"task_id": "short"}, "messages"),
    ],
)
def test_the_authoring_rules_are_enforced(change, rule):
    tasks = TaskList("lights", Lights, STATE)
    b = _conversation(tasks)
    if change.get("task_id") == "short":
        b.messages = b.messages[:4]
    scenario = {**SCENARIO, **{k: v for k, v in change.items() if k != "task_id"}}
    with pytest.raises(AssertionError, match=rule):
        tasks.finish(b, change.get("task_id", "t"), "d", **scenario)
    assert tasks == []


def test_a_do_nothing_task_is_refused():
    tasks = TaskList("lights", Lights, STATE)
    b = tasks.new()
    b.user("Is lamp L1 on?")
    b.call("get_lamp", lamp_id="L1")
    b.assistant("No, it is off.")
    b.user("Thanks.")
    b.assistant("You're welcome.")
    b.user("Bye.")
    with pytest.raises(AssertionError, match="do-nothing"):
        tasks.finish(b, "ask", "Asks.", **SCENARIO)


@pytest.mark.parametrize("name", ["home-maintenance", "pharmacy-refill", "photo-framing"])
def test_bundled_domains_use_the_shared_helper(name):
    folder: Path = bundled_dir() / name
    build, tools = (folder / "build.py").read_text(), (folder / "tools.py").read_text()
    assert "TaskList(NAME, Kit, INITIAL_STATE)" in build and "write_domain(DOMAIN, TASKS, HERE)" in build
    assert "StateModel" in tools and "Optional[" not in tools and "(BaseModel)" not in tools
    assert load_domain(folder).domain.state_schema["additionalProperties"] is False
