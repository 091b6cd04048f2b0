"""Run coroutines from synchronous code: one background event loop per process, started lazily.

``ToolUseEnv.step`` is synchronous; LLM-backed tools, users and judges are async. Their sync
paths go through :func:`run_sync`, which keeps long-lived clients (connection pools bound to a
loop) on one loop and works whether or not the caller is itself inside a running loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="gem-env-sync-loop", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on the background loop and return its result (or raise its error)."""
    return asyncio.run_coroutine_threadsafe(coro, _background_loop()).result()
