"""BFCL fixtures: the v4 data bfcl-eval ships and the v3 files beside the repo (../shared/data/bfcl_v3)."""

from __future__ import annotations

from pathlib import Path

import pytest

V3_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bfcl_v3"


@pytest.fixture(scope="session")
def v3_dir() -> Path:
    if not V3_DIR.is_dir():
        pytest.fail(f"{V3_DIR} is missing: the suite expects ../shared/data/bfcl_v3 beside the repo (as CI has it)")
    return V3_DIR.resolve()


@pytest.fixture(params=["v4", "v3"])
def data_dir(request, v3_dir):
    """None (bfcl-eval's own v4 data) or the v3 folder."""
    return None if request.param == "v4" else v3_dir


@pytest.fixture(autouse=True)
def _no_data_dir_env(monkeypatch):
    monkeypatch.delenv("GEM_BFCL_DATA_DIR", raising=False)
