"""Endpoint pools: one ``openai:`` model served by several OpenAI-compatible endpoints (vLLM replicas).

:class:`EndpointPool` is an ``LLMBackend`` over one :class:`~gem_env.llm.openai_backend.OpenAIBackend`
per endpoint. A request goes to the healthy endpoint with the fewest outstanding requests; inside
:func:`episode_affinity` (every rollout episode runs in one) the episode's later requests stay on
the endpoint it started on while that endpoint is healthy and not far busier than the least busy
one, so the growing conversation hits that server's prefix cache. A failed attempt backs its
endpoint off (exponentially, with jitter) and is retried on another; when an endpoint stops
answering (connection refused, timeout) its other in-flight requests are moved too. Counts per
endpoint are in ``pool.usage.endpoints`` and in ``pool.usage.summary()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import BackendError, ConfigError
from tools_registry.limits import read_text_file

from .base import LLMBackend
from .types import ChatReply, Usage

__all__ = ["EndpointPool", "EndpointStats", "PoolUsage", "episode_affinity", "read_endpoints"]

#: Failure reasons worth another attempt (elsewhere); others (bad request, auth) fail at once.
RETRYABLE = frozenset({"rate_limited", "server_error", "timeout", "connection", "bad_response"})
#: Failures that mean the endpoint is not answering: its other in-flight requests move too.
UNREACHABLE = frozenset({"timeout", "connection"})

_AFFINITY: contextvars.ContextVar[dict[int, int] | None] = contextvars.ContextVar("gem_endpoint_affinity", default=None)


@contextlib.contextmanager
def episode_affinity() -> Iterator[dict[int, int]]:
    """Scope inside which pooled requests stick to one endpoint per pool (one episode).

    ``arun_episode`` opens one around every episode; open your own around any group of requests
    that continue one conversation. Tasks started inside the scope share it.
    """
    scope: dict[int, int] = {}
    token = _AFFINITY.set(scope)
    try:
        yield scope
    finally:
        _AFFINITY.reset(token)


#: Largest endpoint file read (a file of URLs is a few hundred bytes; a larger one is a wrong path).
MAX_ENDPOINT_FILE_BYTES = 1 << 20


def read_endpoints(values: Sequence[str] | str | None) -> list[str]:
    """Endpoint URLs from URLs and files of URLs (one per line; blank lines and ``#`` comments skipped).

    Raises:
        ConfigError: A value is neither a URL nor a readable file of UTF-8 text (at most
            ``MAX_ENDPOINT_FILE_BYTES``), or a file names no URL.
    """
    if values is None:
        return []
    out: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        if "://" in value:
            out.append(value)
            continue
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"--base-url {value!r} is neither a URL (http://host:port/v1) nor a file of URLs")
        text = read_text_file(path, "file of URLs", max_bytes=MAX_ENDPOINT_FILE_BYTES)
        urls = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        urls = [u for u in urls if u]
        bad = [u for u in urls if "://" not in u]
        if bad or not urls:
            raise ConfigError(f"endpoint file {value}: " + (f"not URLs: {bad[:3]}" if bad else "names no URL"))
        out.extend(urls)
    return list(dict.fromkeys(out))  # the same URL twice is one endpoint


@dataclass
class EndpointStats:
    """Counters of one endpoint."""

    requests: int = 0  #: attempts sent here
    ok: int = 0  #: attempts answered
    failed: int = 0  #: attempts that failed here (retried elsewhere when retryable)
    moved: int = 0  #: in-flight attempts moved elsewhere when this endpoint stopped answering
    backoffs: int = 0  #: times this endpoint was backed off
    sticky: int = 0  #: requests routed here by episode affinity
    latency_s: float = 0.0  #: summed wall time of answered attempts
    prompt_tokens: int = 0
    completion_tokens: int = 0


class PoolUsage(Usage):
    """Per-caller usage of a pool plus per-endpoint counters (``endpoints``)."""

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        self.endpoints: dict[str, EndpointStats] = {u: EndpointStats() for u in urls}

    def as_dict(self) -> dict[str, Any]:
        """Per-caller rows, ``total``, and ``endpoints`` (``{url: counters}``)."""
        rows: dict[str, Any] = super().as_dict()
        rows["endpoints"] = {u: dict(vars(s)) for u, s in self.endpoints.items()}
        return rows

    def summary(self) -> str:
        """The per-caller table, then one row per endpoint."""
        return super().summary() + "\n" + endpoint_table(self.as_dict()["endpoints"])


def endpoint_table(endpoints: dict[str, dict[str, Any]]) -> str:
    """One row per endpoint: requests, answered, failed, moved, back-offs, sticky, mean latency."""
    width = max([len("endpoint"), *map(len, endpoints)])
    head = (
        f"{'endpoint':<{width}} {'requests':>8} {'ok':>7} {'failed':>6} {'moved':>6} {'backoffs':>8} "
        f"{'sticky':>7} {'mean_s':>7}"
    )
    lines = [head, "-" * len(head)]
    for url, r in endpoints.items():
        mean = r["latency_s"] / r["ok"] if r["ok"] else 0.0
        lines.append(
            f"{url:<{width}} {r['requests']:>8} {r['ok']:>7} {r['failed']:>6} {r['moved']:>6} "
            f"{r['backoffs']:>8} {r['sticky']:>7} {mean:>7.3f}"
        )
    return "\n".join(lines)


@dataclass(eq=False)
class _Endpoint:
    url: str
    backend: Any
    stats: EndpointStats
    index: int
    outstanding: int = 0
    failures: int = 0  # consecutive
    down_until: float = 0.0
    inflight: set = field(default_factory=set)  # caller tasks with an attempt here
    moving: set = field(default_factory=set)  # of those, the ones being moved elsewhere


class EndpointPool(LLMBackend):
    """One model on several OpenAI-compatible endpoints: least-outstanding, episode-sticky, failover.

    Args:
        model: Model name every endpoint serves.
        base_urls: Endpoint roots (``http://host:port/v1``), at least one.
        routing: ``"sticky"`` (default: an episode stays on its endpoint while healthy) or
            ``"least-loaded"`` (every request to the least busy endpoint).
        concurrency: Requests in flight at most per endpoint.
        max_retries: Further attempts after the first, across endpoints.
        backoff_s: First back-off of a failing endpoint; doubles per consecutive failure.
        max_backoff_s: Cap on one back-off.
        balance_slack: An episode leaves its endpoint when that one has more than this many
            outstanding requests above the least busy healthy endpoint.
        **options: For each endpoint's ``OpenAIBackend`` (``api_key``, ``timeout``, ``http``,
            ``parser``); its own retries are off, the pool retries.
    """

    kind = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_urls: Sequence[str],
        routing: str = "sticky",
        concurrency: int = 64,
        max_retries: int = 6,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        balance_slack: int = 32,
        default_sampling: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        from .openai_backend import OpenAIBackend

        super().__init__(model, default_sampling=default_sampling)
        urls = list(dict.fromkeys(base_urls))
        if not urls:
            raise ConfigError("an endpoint pool needs at least one base_url")
        if routing not in ("sticky", "least-loaded"):
            raise ConfigError(f"routing must be 'sticky' or 'least-loaded', not {routing!r}")
        self.routing = routing
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.balance_slack = balance_slack
        self.usage: PoolUsage = PoolUsage(urls)
        self._endpoints = [
            _Endpoint(
                u,
                OpenAIBackend(model, base_url=u, concurrency=concurrency, max_retries=0, **options),
                self.usage.endpoints[u],
                i,
            )
            for i, u in enumerate(urls)
        ]
        self._key = id(self)
        self._turn = 0
        self._rng = random.Random()

    @property
    def base_urls(self) -> list[str]:
        """The endpoints, in the order given."""
        return [e.url for e in self._endpoints]

    def _pick(self, scope: dict[int, int] | None, avoid: _Endpoint | None) -> _Endpoint | None:
        """The endpoint for the next attempt (None: all are backed off)."""
        now = time.monotonic()
        eps = self._endpoints
        best: _Endpoint | None = None
        n = len(eps)
        self._turn = start = (self._turn + 1) % n  # ties go round-robin
        for k in range(n):
            e = eps[(start + k) % n]
            if e.down_until > now or (e is avoid and n > 1):
                continue
            if best is None or e.outstanding < best.outstanding:
                best = e
        if best is None:
            return avoid if avoid is not None and avoid.down_until <= now else None
        if scope is not None and self.routing == "sticky":
            mine = scope.get(self._key)
            if mine is not None:
                e = eps[mine]
                if e is not avoid and e.down_until <= now and e.outstanding <= best.outstanding + self.balance_slack:
                    e.stats.sticky += 1
                    return e
            scope[self._key] = best.index
        return best

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        scope = _AFFINITY.get()
        task = asyncio.current_task()
        attempts = 0
        avoid: _Endpoint | None = None
        while True:
            ep = self._pick(scope, avoid)
            if ep is None:  # every endpoint is backed off: wait for the first to come back
                await asyncio.sleep(max(0.0, min(e.down_until for e in self._endpoints) - time.monotonic()))
                continue
            attempts += 1
            ep.outstanding += 1
            ep.stats.requests += 1
            ep.inflight.add(task)
            started = time.perf_counter()
            try:
                reply = await ep.backend.chat(messages, tools, response_format, caller=caller, **sampling)
            except BackendError as exc:
                ep.stats.failed += 1
                if exc.reason not in RETRYABLE:
                    raise
                self._back_off(ep, exc.reason)
                if attempts > self.max_retries:
                    raise BackendError(
                        f"{self.name}: every attempt failed ({attempts} over {len(self._endpoints)} "
                        f"endpoints); last at {ep.url}: {exc}",
                        reason=exc.reason,
                        status=exc.status,
                        attempts=attempts,
                    ) from exc
                avoid = ep
                continue
            except asyncio.CancelledError:
                if task not in ep.moving:
                    raise
                ep.moving.discard(task)
                if task is not None and hasattr(task, "uncancel") and task.uncancel() > 0:
                    raise  # cancelled from outside as well
                ep.stats.moved += 1
                avoid = ep
                continue
            finally:
                ep.outstanding -= 1
                ep.inflight.discard(task)
            ep.failures = 0
            s = ep.stats
            s.ok += 1
            s.latency_s += time.perf_counter() - started
            s.prompt_tokens += reply.usage.prompt_tokens
            s.completion_tokens += reply.usage.completion_tokens
            return reply

    def _back_off(self, ep: _Endpoint, reason: str) -> None:
        """Take ``ep`` out of rotation for a while; move its in-flight requests if it stopped answering."""
        now = time.monotonic()
        ep.failures += 1
        if ep.down_until <= now:
            ep.stats.backoffs += 1
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** (ep.failures - 1))
        ep.down_until = max(ep.down_until, now + delay * (0.5 + self._rng.random() / 2))
        if reason in UNREACHABLE and len(self._endpoints) > 1:
            current = asyncio.current_task()
            for t in list(ep.inflight):
                if t is not current and t not in ep.moving and not t.done():
                    ep.moving.add(t)
                    t.cancel()

    async def aclose(self) -> None:
        """Close every endpoint's backend."""
        for e in self._endpoints:
            await e.backend.aclose()

    def __repr__(self) -> str:
        return f"EndpointPool({self.name!r}, {len(self._endpoints)} endpoints, routing={self.routing!r})"
