"""The DB signature's entry comparison is equal exactly when tau2's own JSON text is."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from gem_env.tau2.db import _dumps, _sig_dumps

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
