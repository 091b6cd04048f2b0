"""Pristine tool states are reused by the next episode; anything else is rebuilt; rewards unchanged."""

from __future__ import annotations

import copy

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gem_env.env import ToolUseEnv
from gem_env.rewards import EpisodeOutcome, StateMatch
from gem_env.state_reuse import PRISTINE_STATES, PristineStates
from gem_env.tool_backends import PythonToolBackend
from tools_registry import Toolkit, tool


def _setup(domain, task_id):
    env = ToolUseEnv(domain)
    env.reset(options={"task_id": task_id})
    return env._active_setup()


def _episode(backend, setup, calls):
    backend.reset(setup)
    for name, args in calls:
        backend.call(name, args, [])
    return backend.state_json()  # what the environment serialises at the end of every episode


def test_read_only_episode_hands_its_state_to_the_next(tiny_domain):
    PRISTINE_STATES.clear()
    setup = _setup(tiny_domain, "chair-price")
    b = PythonToolBackend(tiny_domain.toolkit)
    _episode(b, setup, [("get_item", {"item_id": "I-2"})])
    first = b._kit.state
    _episode(b, setup, [])
    assert b._kit.state is first  # reused, not validated again
    assert b.state == setup.initial_state


def test_written_state_is_rebuilt(tiny_domain):
    PRISTINE_STATES.clear()
    setup = _setup(tiny_domain, "order-lamps")
    b = PythonToolBackend(tiny_domain.toolkit)
    _episode(b, setup, [("place_order", {"item_id": "I-1", "quantity": 2})])
    written = b._kit.state
    b.reset(setup)
    assert b._kit.state is not written and b.state == setup.initial_state
    assert written.orders and written.items[0].stock == 2  # the old one was left alone, not reused


def test_state_not_serialised_at_the_end_is_not_reused(tiny_domain):
    PRISTINE_STATES.clear()
    setup = _setup(tiny_domain, "chair-price")
    b = PythonToolBackend(tiny_domain.toolkit)
    b.reset(setup)
    b.state_json()
    first = b._kit.state
    b.call("get_item", {"item_id": "I-1"}, [])  # a call after the last serialisation: unknown, so not kept
    b.reset(setup)
    assert b._kit.state is not first


class _Sneaky(Toolkit):
    """A tool that writes without declaring it (``mutates`` left False)."""

    State = None  # set per test from the tiny domain's State

    @tool
    def peek(self, item_id: str) -> str:
        """Look at an item, and quietly change its stock.

        Args:
            item_id: The item id.
        """
        item = next(i for i in self.state.items if i.item_id == item_id)
        item.stock += 1
        return "ok"


def test_undeclared_write_is_seen_by_the_bytes(tiny_domain):
    PRISTINE_STATES.clear()
    kit = type("Sneaky", (_Sneaky,), {"State": tiny_domain.toolkit.State})
    setup = _setup(tiny_domain, "chair-price")
    b = PythonToolBackend(kit)
    _episode(b, setup, [("peek", {"item_id": "I-1"})])
    touched = b._kit.state
    b.reset(setup)
    assert b._kit.state is not touched and b.state == setup.initial_state


def test_overridden_dump_state_turns_reuse_off(tiny_domain):
    class Custom(tiny_domain.toolkit):
        def dump_state(self):
            return {"custom": True}

    b = PythonToolBackend(Custom)
    assert not b.reuse_states
    setup = _setup(tiny_domain, "chair-price")
    assert orjson.loads(_episode(b, setup, [])) == {"custom": True}


def test_reuse_keeps_episodes_identical(tiny_domain):
    """The same actions give the same messages, rewards and final states with and without reuse."""

    def run(reuse: bool):
        PRISTINE_STATES.clear()
        env = ToolUseEnv(tiny_domain, tools=PythonToolBackend(tiny_domain.toolkit, reuse_states=reuse))
        out = []
        for task_id in ["chair-price", "chair-price", "order-lamps", "chair-price", "order-lamps"]:
            env.reset(options={"task_id": task_id})
            ref = [m for m in env._active_setup().task.reference if m.role == "assistant"]
            for m in ref:
                *_, done, trunc, info = env.step(m.to_dict(arguments_as="json"))
                if done or trunc:
                    break
            out.append((env.messages, env.last_reward.value if env.last_reward else None, env.backend.state))
        return out

    assert run(True) == run(False)


def test_pool_bounds():
    pool = PristineStates(per_setup=1, max_setups=2)
    setups = [object(), object(), object()]
    for s in setups[:2]:
        pool.learn(s, dict, b"{}")
    assert pool.give_back(setups[0], dict, {"a": 1}, b"{}")
    assert not pool.give_back(setups[0], dict, {"a": 2}, b"{}")  # one spare per setup
    assert not pool.give_back(setups[1], dict, {}, b'{"x":1}')  # not pristine
    assert not pool.give_back(setups[0], list, [], b"{}")  # another model
    assert len(pool) == 1
    pool.learn(setups[2], dict, b"{}")  # a third setup clears the pool
    assert pool.take(setups[0], dict) is None and pool.pristine(setups[2], dict) == b"{}" and len(pool) == 0
    few = PristineStates(per_setup=4, max_spares=3)
    few.learn(setups[0], dict, b"{}")
    assert [few.give_back(setups[0], dict, {}, b"{}") for _ in range(4)] == [True, True, True, False]
    assert few.take(setups[0], dict) == {} and len(few) == 2


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(final=_json, same=st.booleans())
def test_state_match_on_bytes_equals_on_dicts(tiny_domain, final, same):
    from tools_registry.reference import expected_final_state

    setup = _setup(tiny_domain, "chair-stock")
    expected = expected_final_state(setup.initial_state, setup.task.criteria)
    state = copy.deepcopy(expected) if same else {**expected, "extra": final}
    on_dict = StateMatch().score(EpisodeOutcome(setup, [], [], state))
    on_bytes = StateMatch().score(EpisodeOutcome(setup, [], [], final_state_json=orjson.dumps(state)))
    assert (on_bytes.value, on_bytes.parts, on_bytes.details) == (on_dict.value, on_dict.parts, on_dict.details)
    assert on_dict.value == (1.0 if same else 0.0)


def test_a_writing_tool_that_changed_nothing_still_rules_reuse_out(tiny_domain):
    """Only declared writers assign, and an assignment may alias parts of the state: never reused after one."""
    PRISTINE_STATES.clear()
    setup = _setup(tiny_domain, "chair-price")
    b = PythonToolBackend(tiny_domain.toolkit)
    try:
        _episode(b, setup, [("place_order", {"item_id": "I-1", "quantity": 9})])  # refused: nothing written
    except Exception as exc:  # the environment turns this into an error observation
        assert "quantity" in str(exc)
    assert b.state_json() == PRISTINE_STATES.pristine(setup, tiny_domain.toolkit.State)
    kept = b._kit.state
    b.reset(setup)
    assert b._kit.state is not kept
    assert tiny_domain.toolkit.writing_tools() == {"place_order", "cancel_order"}
