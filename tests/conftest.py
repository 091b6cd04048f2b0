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
