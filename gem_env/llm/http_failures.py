"""How one failed HTTP attempt of an OpenAI-compatible backend is classified, for both transports.

``HTTPFailure`` carries a reason code and whether a retry may help; ``status_failure`` classifies
an error status (429 and 5xx retry, honouring ``Retry-After``). The SDK transport
(``openai_backend.py``) and the direct aiohttp transport (``direct_http.py``) both raise it; the
backend's retry loop is the one place that reads it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HTTPFailure", "parse_retry_after", "status_failure"]


class HTTPFailure(Exception):
    """One failed attempt, already classified.

    Attributes:
        reason: Short code (rate_limited, server_error, timeout, connection, bad_response, auth, ...).
        status: The HTTP status, when the server answered.
        retryable: Whether another attempt may succeed.
        retry_after: Seconds the server asked to wait (``Retry-After``), when it said.
    """

    def __init__(
        self, reason: str, message: str, status: int | None, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.reason, self.status, self.retryable, self.retry_after = reason, status, retryable, retry_after


def parse_retry_after(headers: Any) -> float | None:
    """Seconds in a ``Retry-After`` header; None when absent or an HTTP date."""
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the backoff schedule


def status_failure(status: int, text: str, headers: Any) -> HTTPFailure:
    """Classify an HTTP error status (shared by the SDK and direct transports)."""
    text = text[:300]
    if status == 429:
        return HTTPFailure("rate_limited", text, status, True, parse_retry_after(headers))
    if status >= 500 or status in (408, 409):
        return HTTPFailure("server_error", text, status, True, parse_retry_after(headers))
    reason = {400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 422: "bad_request"}
    return HTTPFailure(reason.get(status, "http_error"), text, status, False)
