"""Opt-in lean transport for the openai backend (``http="direct"``).

One aiohttp session posting pre-serialized bodies to ``/chat/completions``.

Same requests, retries and typed errors as the SDK path (the backend's retry loop drives both);
aiohttp's exceptions are classified here, once. It exists because the SDK's per-request request
building costs more client CPU than the HTTP exchange itself (see docs/sections/llm.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tools_registry.errors import ConfigError

from .http_failures import HTTPFailure, status_failure

__all__ = ["DirectClient"]


class DirectClient:
    """POST chat completions with aiohttp; raise classified ``HTTPFailure``s.

    Args:
        base_url: Endpoint root, e.g. ``http://127.0.0.1:8000/v1``.
        api_key: Sent as a Bearer token.
        timeout: Seconds per attempt.
        concurrency: Connection pool size (the backend's own semaphore limits requests).
    """

    def __init__(self, base_url: str | None, api_key: str, timeout: float, concurrency: int) -> None:
        try:
            import aiohttp
        except ImportError as exc:
            raise ConfigError("http='direct' needs aiohttp (pip install aiohttp)") from exc
        if not base_url:
            raise ConfigError("http='direct' needs a base_url")
        self._aiohttp = aiohttp
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency + 8),
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        )

    async def post_chat(self, body: bytes) -> Any:
        """Send one request; return the decoded JSON body."""
        aiohttp = self._aiohttp
        try:
            async with self._session.post(self.url, data=body) as resp:
                payload = await resp.read()
                if resp.status >= 400:
                    raise status_failure(resp.status, f"HTTP {resp.status}: {payload[:200]!r}", resp.headers)
            return orjson.loads(payload)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise HTTPFailure("timeout", "request timed out", None, True) from exc
        except aiohttp.ClientError as exc:  # refused, reset, dropped, truncated body
            raise HTTPFailure("connection", f"connection failed: {type(exc).__name__}: {exc}", None, True) from exc
        except orjson.JSONDecodeError as exc:
            raise HTTPFailure("bad_response", f"unreadable response body: {exc}", None, True) from exc

    async def close(self) -> None:
        """Close the session and its connections."""
        await self._session.close()
