"""tau2 fixtures: the public tau2 data copies beside the repo (../shared/data/tau2)."""

from __future__ import annotations

from pathlib import Path

import pytest

TAU2_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tau2"


@pytest.fixture(scope="session")
def tau2_data() -> Path:
    if not TAU2_DATA.is_dir():
        pytest.fail(f"{TAU2_DATA} is missing: the suite expects ../shared/data/tau2 beside the repo (as CI has it)")
    return TAU2_DATA.resolve()
