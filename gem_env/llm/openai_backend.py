"""OpenAI-compatible HTTP backend (vLLM/SGLang servers, any provider) on the official async client.

Adds what serving at scale needs: a concurrency limit, a per-request timeout, retries with
exponential backoff and jitter on 429 (honouring Retry-After), 5xx, timeouts and dropped
connections, and one place where openai/httpx exceptions become ``BackendError``.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import orjson

from tools_registry.errors import BackendError, ConfigError, ParseError
from tools_registry.limits import json_problem

from .base import LLMBackend
from .http_failures import HTTPFailure, status_failure
from .encoding import BodyEncoder
from .parsing import loads_repairing, parse_tool_calls, split_reasoning
from .types import ChatReply, TokenUsage, as_response_format

__all__ = ["OpenAIBackend", "translate_error"]

#: Sampling keys OpenAI defines; any other key (top_k, min_p, ...) is also sent in the body, for vLLM.
_TOP_LEVEL = {
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "tool_choice",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "user",
    "parallel_tool_calls",
    "reasoning_effort",
    "n",
}


def _chain(first: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    exc: BaseException | None = first
    while exc is not None and exc not in seen and len(seen) < 16:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def translate_error(exc: BaseException) -> HTTPFailure:
    """Classify an openai/httpx exception (the one translation boundary of this backend)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        # the SDK's aiohttp transport reports a refused connection as a connect timeout
        if any(isinstance(e, ConnectionError) for e in _chain(exc)):
            return HTTPFailure("connection", f"connection failed: {exc.__cause__ or exc}", None, True)
        return HTTPFailure("timeout", "request timed out", None, True)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return HTTPFailure("connection", f"connection failed: {type(cause).__name__}: {cause}", None, True)
    if isinstance(exc, openai.APIStatusError):
        return status_failure(exc.status_code, str(exc), exc.response.headers)
    if isinstance(exc, (orjson.JSONDecodeError, openai.APIResponseValidationError)):
        return HTTPFailure("bad_response", f"unreadable response body: {exc}", None, True)
    if isinstance(exc, openai.OpenAIError):
        return HTTPFailure("error", str(exc), None, False)
    raise exc


def _checked_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) endpoint without credentials in it, else a ConfigError that never echoes them."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError("base_url is not a valid URL (expected e.g. http://127.0.0.1:8000/v1)") from None
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or "?"
        raise ConfigError(
            f"base_url must not carry credentials (user:password@{host}): pass the key with "
            "api_key=... or OPENAI_API_KEY, and the URL without them"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url must be an http(s) URL with a host, e.g. http://127.0.0.1:8000/v1; got scheme {parts.scheme!r}"
        )
    return url


class OpenAIBackend(LLMBackend):
    """Chat through any OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        model: Model name the server knows.
        base_url: Endpoint root, e.g. ``http://127.0.0.1:8000/v1`` (default: ``OPENAI_BASE_URL``).
        api_key: Key (default: ``OPENAI_API_KEY``, else ``"EMPTY"`` for local servers).
        concurrency: Requests in flight at most.
        timeout: Seconds per attempt.
        max_retries: Retries after the first attempt.
        backoff_s: First backoff delay; doubles each retry, with full jitter.
        max_backoff_s: Cap on one delay (and on an honoured Retry-After).
        http: ``"aiohttp"`` (the SDK's aiohttp transport; about half the client CPU per request),
            ``"httpx"`` (the SDK default), ``"auto"`` (aiohttp when installed) or ``"direct"``
            (opt-in: a plain aiohttp POST beside the SDK, same retries and typed errors, about a
            quarter of the SDK's client CPU per request; for rollouts at thousands of requests/s).
        parser: Tool-call parser for servers that return tool calls as text.
        default_sampling: Sampling applied when a call does not set it.
    """

    kind = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 64,
        timeout: float = 120.0,
        max_retries: int = 6,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        http: str = "auto",
        parser: str = "hermes",
        default_sampling: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, default_sampling=default_sampling)
        if http not in ("auto", "httpx", "aiohttp", "direct"):
            raise ConfigError(f"http must be 'auto', 'httpx', 'aiohttp' or 'direct', not {http!r}")
        if http == "auto":
            import importlib.util

            http = "aiohttp" if importlib.util.find_spec("aiohttp") else "httpx"
        self.base_url = _checked_url(base_url or os.environ.get("OPENAI_BASE_URL"))
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.http = http
        self.parser = parser
        self._client: Any = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rng = random.Random()
        self._encoder = BodyEncoder()

    def _ensure_client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is not loop:
            self._client = None  # bound to another (e.g. a finished chat_sync) loop: start afresh
        if self._client is None:
            self._loop = loop
            self._slots = asyncio.Semaphore(self.concurrency)
            if self.http == "direct":
                from .direct_http import DirectClient

                self._client = DirectClient(self.base_url, self._api_key, self.timeout, self.concurrency)
                return self._client
            import httpx2
            import openai

            if self.http == "aiohttp":
                http_client = openai.DefaultAioHttpClient(timeout=self.timeout)
            else:
                http_client = openai.DefaultAsyncHttpxClient(
                    timeout=self.timeout,
                    limits=httpx2.Limits(
                        max_connections=self.concurrency + 8, max_keepalive_connections=self.concurrency + 8
                    ),
                )
            self._client = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                max_retries=0,
                timeout=self.timeout,
                http_client=http_client,
            )
            self._response_type = httpx2.Response
            self._options = {"headers": {"Content-Type": "application/json"}, "timeout": self.timeout}
        return self._client

    def _request(self, messages, tools, response_format, sampling) -> bytes:
        body: dict[str, Any] = {}
        rf = as_response_format(response_format)
        if rf is not None:
            body["response_format"] = rf
        extra: dict[str, Any] = {}
        for key, value in sampling.items():
            if value is None:
                continue
            if key in _TOP_LEVEL:
                body[key] = value
            else:
                extra[key] = value
        body.update(extra)  # what the SDK's extra_body would do: vLLM reads top_k, min_p, ... here
        body.pop("model", None)
        # each message's bytes are encoded once per conversation, not once per turn (gem_env.llm.encoding)
        return self._encoder.body({"model": self.model}, messages, tools, body)

    async def _attempt(self, client: Any, body: bytes) -> dict[str, Any]:
        assert self._slots is not None
        async with self._slots:
            if self.http == "direct":
                data = await client.post_chat(body)  # raises HTTPFailure itself
            else:
                data = await self._sdk_post(client, body)
        if not isinstance(data, dict) or not data.get("choices"):
            raise HTTPFailure("bad_response", f"response has no choices: {str(data)[:200]}", None, True)
        return data

    async def _sdk_post(self, client: Any, body: bytes) -> Any:
        try:
            # The SDK's low-level post: its auth, headers, errors and HTTP stack, without the
            # per-request TypedDict transform and pydantic parsing (the client's main CPU cost).
            response = await client.post(
                "/chat/completions", cast_to=self._response_type, content=body, options=self._options
            )
            return orjson.loads(response.content)
        except Exception as exc:  # classified (or re-raised) by translate_error
            raise translate_error(exc) from exc

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        client = self._ensure_client()
        body = self._request(messages, tools, response_format, sampling)
        attempts = 0
        while True:
            attempts += 1
            try:
                data = await self._attempt(client, body)
                return self._to_reply(data, bool(tools))
            except HTTPFailure as fail:
                if not fail.retryable or attempts > self.max_retries:
                    why = "non-retryable" if not fail.retryable else f"gave up after {attempts} attempts"
                    raise BackendError(
                        f"{self.name} at {self.base_url}: {fail.reason} ({why}): {fail}",
                        reason=fail.reason,
                        status=fail.status,
                        attempts=attempts,
                    ) from fail
                delay = self._rng.uniform(0, min(self.max_backoff_s, self.backoff_s * 2 ** (attempts - 1)))
                if fail.retry_after is not None:
                    delay = min(self.max_backoff_s, fail.retry_after) + self._rng.uniform(0, self.backoff_s / 4)
                await asyncio.sleep(delay)

    def _to_reply(self, data: dict[str, Any], had_tools: bool) -> ChatReply:
        """The reply in a response body.

        A body of the wrong shape is the model's (or server's) failure for this request:
        ``ParseError``, never another exception.

        An arguments string that is not JSON even after repair stays a string: the environment
        shows the agent that error as a tool message, as it does for a dict action.
        """
        choices = data["choices"]
        choice = choices[0] if isinstance(choices, list) else None
        raw = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(raw, dict):
            raise ParseError(f"the server's reply has no message object: {str(data)[:200]}")
        repairs: list[str] = []
        content = raw.get("content")
        if content is not None and not isinstance(content, str):
            raise ParseError(f"the reply's content is a {type(content).__name__}, not text: {str(content)[:200]}")
        reasoning = raw.get("reasoning_content") or raw.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) else None
        if isinstance(content, str) and ("<think>" in content or "</think>" in content):
            reasoning_text, content = split_reasoning(content)
            reasoning = reasoning or reasoning_text
        msg: dict[str, Any] = {"role": "assistant", "content": content}
        raw_calls = raw.get("tool_calls") or []
        if not isinstance(raw_calls, list):
            raise ParseError(
                f"the reply's tool_calls is a {type(raw_calls).__name__}, not a list: {str(raw_calls)[:200]}"
            )
        calls = []
        for i, c in enumerate(raw_calls):
            fn = c.get("function") if isinstance(c, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
                raise ParseError(f"tool_call {i} from the server has no function name: {str(c)[:200]}")
            args = fn.get("arguments")
            if args is None or args == "":
                args = {}
            elif isinstance(args, str):
                try:
                    value = loads_repairing(args, f"tool_call {i} arguments", repairs)
                except ParseError:
                    value = None
                if isinstance(value, dict) and json_problem(value) is None:
                    args = value
                else:  # passed on as text: the env reports it to the agent as a tool message
                    repairs.append(f"tool_call {i} arguments: not a JSON object within the limits, passed on as text")
            elif not isinstance(args, dict) or json_problem(args) is not None:
                raise ParseError(f"tool_call {i} arguments are not a JSON object within the limits: {str(args)[:200]}")
            cid = c.get("id")
            calls.append(
                {
                    "id": cid if isinstance(cid, str) and cid else f"call_{i}",
                    "type": "function",
                    "function": {"name": fn["name"], "arguments": args},
                }
            )
        if not calls and had_tools and content and "<tool_call>" in content:
            parsed = parse_tool_calls(content, self.parser)  # the server has no tool parser enabled
            msg["content"], calls = parsed.content, parsed.tool_calls
            repairs.extend(parsed.repairs)
        if calls:
            msg["tool_calls"] = calls
            if not (msg["content"] or "").strip():
                msg["content"] = None  # vLLM sends "" beside tool calls; OpenAI sends null
        if reasoning:
            msg["reasoning_content"] = reasoning
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        tokens = [
            n if isinstance(n, int) and n >= 0 else 0
            for n in (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        ]
        finish = choice.get("finish_reason")  # type: ignore[union-attr]
        return ChatReply(
            message=msg,
            finish_reason=finish if isinstance(finish, str) else None,
            usage=TokenUsage(*tokens),
            repairs=repairs,
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.close()
            self._client = None
