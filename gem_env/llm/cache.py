"""Content-addressed reply cache (SQLite, WAL) that wraps any backend; modes off, rw, replay.

The key hashes backend kind, model, messages, tools, response format and sampling (seed
included). Safe for many asyncio tasks in one process (identical in-flight requests share one
call) and for several processes (WAL, busy timeout, first writer wins).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import BackendError, CacheMissError, ConfigError

from .base import LLMBackend
from .types import ChatReply, normalize_messages

__all__ = ["CACHE_MODES", "CachedBackend", "ReplyCache", "request_key"]

#: Accepted modes and their aliases.
CACHE_MODES = {"off": "off", "rw": "rw", "read-write": "rw", "replay": "replay", "replay-only": "replay"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    reply BLOB NOT NULL,
    created REAL NOT NULL
)
"""


def request_key(
    kind: str,
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    response_format: dict[str, Any] | None,
    sampling: dict[str, Any],
) -> str:
    """Hex SHA-256 of the canonical JSON of one request (tool-call arguments normalized to dicts)."""
    payload = {
        "backend": kind,
        "model": model,
        "messages": normalize_messages(messages),
        "tools": tools or None,
        "response_format": response_format,
        "sampling": {k: v for k, v in sampling.items() if v is not None},
    }
    blob = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(blob).hexdigest()


class ReplyCache:
    """A SQLite file of replies keyed by request hash; one connection per thread."""

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout_s = timeout_s
        self._local = threading.local()
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=self._timeout_s, isolation_level=None)
                self._setup(conn)
            except sqlite3.Error as exc:
                raise ConfigError(f"cannot open reply cache {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the table.

        Switching a new file to WAL takes an exclusive lock for which SQLite does not wait, so
        processes opening a new cache at once retry until the timeout.
        """
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply dict for ``key``, or None."""
        try:
            row = self._connect().execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise BackendError(f"reply cache {self.path}: read failed: {exc}", reason="cache_error") from exc
        return orjson.loads(row[0]) if row else None

    def put(self, key: str, backend: str, model: str, reply: dict[str, Any]) -> None:
        """Store ``reply`` under ``key`` unless another writer got there first."""
        try:
            self._connect().execute(
                "INSERT OR IGNORE INTO replies (key, backend, model, reply, created) VALUES (?, ?, ?, ?, ?)",
                (key, backend, model, orjson.dumps(reply), time.time()),
            )
        except sqlite3.Error as exc:
            raise BackendError(f"reply cache {self.path}: write failed: {exc}", reason="cache_error") from exc

    def __len__(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class CachedBackend(LLMBackend):
    """Wrap ``inner`` with a reply cache.

    Args:
        inner: The backend that answers misses.
        path: SQLite file (created if missing).
        mode: ``"rw"`` (read, and write misses), ``"replay"`` (a miss raises ``CacheMissError``)
            or ``"off"`` (pass through).
    """

    kind = "cached"

    def __init__(self, inner: LLMBackend, path: str | Path, mode: str = "rw") -> None:
        if mode not in CACHE_MODES:
            raise ConfigError(f"unknown cache mode {mode!r}; use one of {sorted(CACHE_MODES)}")
        super().__init__(inner.model)
        self.inner = inner
        self.mode = CACHE_MODES[mode]
        self.cache = ReplyCache(path) if self.mode != "off" else None
        self._inflight: dict[str, asyncio.Future[ChatReply]] = {}

    @property
    def name(self) -> str:
        """The wrapped backend's name."""
        return self.inner.name

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        if self.cache is None:
            return await self.inner.chat(messages, tools, response_format, caller=caller, **sampling)
        start = time.perf_counter()
        key = request_key(
            self.inner.kind,
            self.inner.model,
            messages,
            tools,
            response_format,
            {**self.inner.default_sampling, **sampling},
        )
        stored = self.cache.get(key)
        if stored is not None:
            reply = ChatReply.from_dict(stored, cached=True)
            reply.latency_s = time.perf_counter() - start
            return reply
        if self.mode == "replay":
            raise CacheMissError(
                f"replay-only cache {self.cache.path} has no reply for request {key[:16]} "
                f"({self.inner.name}, {len(messages)} messages)"
            )
        pending = self._inflight.get(key)
        if pending is not None:  # an identical request is on its way: share its reply
            try:
                reply = await asyncio.shield(pending)
                return ChatReply.from_dict(reply.to_dict(), cached=True)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this task itself was cancelled
            return await self._chat(messages, tools, response_format, sampling, caller)  # owner was cancelled
        future: asyncio.Future[ChatReply] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            reply = await self.inner.chat(messages, tools, response_format, caller=caller, **sampling)
            self.cache.put(key, self.inner.kind, self.inner.model, reply.to_dict())
            future.set_result(reply)
            return reply
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            del self._inflight[key]

    async def aclose(self) -> None:
        """Close the wrapped backend and the cache file."""
        await self.inner.aclose()
        if self.cache is not None:
            self.cache.close()
