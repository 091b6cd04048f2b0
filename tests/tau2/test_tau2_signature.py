"""The DB signature's entry comparison is equal exactly when tau2's own JSON text is."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gem_env.tau2.db import _dumps, _sig_dumps, db_hash

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)  # past 64 bits too: orjson refuses those
    | st.floats(allow_nan=False, allow_infinity=False)  # NaN and infinities: the documented exception
    | st.sampled_from([0, 0.0, -0.0, 1, 1.0, True, False, 2**63, float(2**63)])
    | st.text(max_size=4)  # lone surrogates included
    | st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1))
    | st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1))
)
_values = st.recursive(
    _scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(a=_values, b=_values)
def test_sig_text_is_equal_exactly_when_tau2_text_is(a, b):
    assert (_sig_dumps(a) == _sig_dumps(b)) == (_dumps(a) == _dumps(b))
    assert _sig_dumps(a) == _sig_dumps(a)


class _Status(str, enum.Enum):
    ACTIVE = "active"


@dataclasses.dataclass
class _Point:
    x: int


def test_near_misses_stay_apart():
    for x, y in [
        (1, 1.0),
        (True, 1),
        (0.0, -0.0),
        ("2024-05-01 10:00:00", dt.datetime(2024, 5, 1, 10)),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        (2**64, float(2**64)),
        (_Status.ACTIVE, "active"),
        (_Point(1), {"x": 1}),
        (_Point(1), str(_Point(1))),
    ]:
        assert (_sig_dumps(x) == _sig_dumps(y)) == (_dumps(x) == _dumps(y)), (x, y)


def test_non_finite_floats_are_the_documented_exception():
    assert _sig_dumps(math.inf) == _sig_dumps(None) != _sig_dumps(0.0)


_FIELDS = ("status", "actual_departure_time_est", "origin", "total_baggages", "insurance", "flights")


def _change(entry: Any, field: str, how: str) -> None:
    """Set ``entry.field`` to what it holds (a new equal object), something else, or a look-alike."""
    if field not in entry.__dict__:
        return
    old = entry.__dict__[field]
    if how == "same":
        new = copy.deepcopy(old)
    elif how == "lookalike":  # equal in Python, apart in JSON
        new = float(old) if type(old) is int else [] if type(old) is list and not old else old
        if type(old) is list and old:
            new = list(old)
    else:
        new = (
            old + 1
            if type(old) is int
            else f"{old}x"
            if isinstance(old, str)
            else old[:-1]
            if type(old) is list
            else "x"
        )
    object.__setattr__(entry, field, new)


_op = st.tuples(
    st.sampled_from(["flight", "date", "reservation"]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from(_FIELDS),
    st.sampled_from(["read", "same", "lookalike", "other", "delete"]),
)


@settings(max_examples=120, deadline=None)
@given(ops_a=st.lists(_op, max_size=6), ops_b=st.lists(_op, max_size=6))
def test_signatures_agree_with_tau2_hashes_after_random_edits(ops_a, ops_b):
    """Two episode copies of airline's DB, edited at random: equal signatures exactly when tau2's hashes are."""
    from gem_env.tau2.data import domain_store

    store = domain_store("airline")
    flights = list(store.db.flights)[:3]
    reservations = list(store.db.reservations)[:3]

    def play(ops):
        kit = store.new_environment().tools
        for kind, i, j, field, how in ops:
            if kind == "reservation":
                table, key = kit.db.reservations, reservations[i]
                if key not in table:
                    continue
                entry = table[key]
            else:
                if flights[i] not in kit.db.flights:
                    continue
                flight = kit.db.flights[flights[i]]
                if kind == "flight":
                    table, key, entry = kit.db.flights, flights[i], flight
                else:
                    table, key = flight.dates, list(flight.dates)[j]
                    if key not in table:
                        continue
                    entry = table[key]
            if how == "delete":
                del table[key]
            elif how != "read":
                _change(entry, field, how)
        return kit

    a, b = play(ops_a), play(ops_b)
    assert (a.get_db_hash() == b.get_db_hash()) == (db_hash(a.db) == db_hash(b.db))


def test_look_alike_edits_change_the_signature():
    from gem_env.tau2.data import domain_store

    store = domain_store("airline")
    untouched = store.new_environment().tools
    for field, how in [
        ("total_baggages", "lookalike"),
        ("origin", "same"),
        ("flights", "same"),
        ("insurance", "other"),
    ]:
        kit = store.new_environment().tools
        _change(kit.db.reservations[next(iter(store.db.reservations))], field, how)
        assert (kit.get_db_hash() == untouched.get_db_hash()) == (db_hash(kit.db) == db_hash(untouched.db)), field
        assert (db_hash(kit.db) == db_hash(untouched.db)) == (how == "same"), field
