"""``LoopbackOpenAIServer``: a real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Serves ``/v1/chat/completions``, ``/v1/models`` and ``/v1/stats`` with aiohttp (imported lazily), a pluggable
responder, injectable latency, a slot limit like a serving engine's batch, and faults (500s,
429 + Retry-After, hangs, truncated bodies, dropped connections), and a prefix-cache model
(``prefill_s_per_token``: a request also waits for the prompt tokens this server has not seen as
the prefix of an earlier request, as a serving engine's prefix cache does). Runs in a background
thread (``with``) or on the current loop (``async with``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import itertools
import random
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "FAULTS",
    "LoopbackOpenAIServer",
    "MalformedReplies",
    "default_responder",
    "example_from_schema",
    "loopback_server_process",
]

#: Fault names understood by the server.
FAULTS = ("500", "503", "429", "hang", "truncate", "drop")


def example_from_schema(schema: dict[str, Any]) -> Any:
    """A small deterministic value that satisfies a simple JSON Schema (required keys, types, enums)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_from_schema(schema[key][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example_from_schema(props.get(k, {})) for k in schema.get("required", list(props))}
    if kind == "array":
        return [example_from_schema(schema.get("items", {}))] * max(1, schema.get("minItems", 1))
    return {"string": "x", "integer": 1, "number": 1.0, "boolean": True, "null": None}.get(kind, "x")


def default_responder(body: dict[str, Any]) -> dict[str, Any]:
    """Deterministic replies: a forced tool call, a schema-valid JSON object, or an echo.

    - ``tool_choice`` "required" or naming a function: a call to it (or the first tool) with
      arguments built from its parameters schema.
    - ``response_format`` json_schema / json_object: content is a matching JSON object.
    - otherwise: ``"echo: <last user content>"``.
    """
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if tools and (choice == "required" or isinstance(choice, dict)):
        fn = tools[0]["function"]
        if isinstance(choice, dict):
            fn = next((t["function"] for t in tools if t["function"]["name"] == choice["function"]["name"]), fn)
        args = example_from_schema(fn.get("parameters") or {"type": "object"})
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": fn["name"], "arguments": orjson.dumps(args).decode()},
                }
            ],
        }
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        value = example_from_schema(fmt["json_schema"].get("schema", {}))
        return {"role": "assistant", "content": orjson.dumps(value).decode()}
    if fmt.get("type") == "json_object":
        return {"role": "assistant", "content": "{}"}
    last = next((m.get("content") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
    return {"role": "assistant", "content": f"echo: {last}"}


class LoopbackOpenAIServer:
    """An OpenAI-compatible chat server on 127.0.0.1 (random port unless ``port`` is given).

    Args:
        responder: ``body -> assistant message dict`` (or a full chat.completion dict with
            ``choices``); may be async. Defaults to :func:`default_responder`.
        latency_s: Time each request holds a slot before it is answered (counted in the server's
            schedule, so this loop's own wake-up lag does not cut the slots' capacity).
        max_concurrency: Slots; requests beyond them queue (None: unlimited).
        faults: Which requests fail: a sequence (request ``i`` gets ``faults[i]``, None = ok), a
            mapping of fault name to probability (seeded by ``seed``), or a callable
            ``(index, body) -> fault or None``. Names: see ``FAULTS``.
        retry_after_s: ``Retry-After`` header value sent with 429s.
        hang_s: How long a "hang" holds the request before dropping it.
        model: Name listed by ``/v1/models`` and echoed in replies.
        prefill_s_per_token: Prefix-cache model: extra seconds per prompt token not covered by
            the longest message prefix this server saw in an earlier request (a token is 4 bytes
            of a message's JSON). 0 turns the model off.
        prefix_cache_entries: Message prefixes the server remembers (least recently used go first).

    Attributes:
        url: ``http://127.0.0.1:<port>/v1`` once started (pass as ``base_url``).
        stats: Counter of outcomes (``ok``, fault names), ``requests``, and with the prefix-cache
            model ``prompt_tokens`` and ``uncached_tokens``.
    """

    def __init__(
        self,
        responder: Callable[[dict[str, Any]], Any] | None = None,
        *,
        latency_s: float = 0.0,
        max_concurrency: int | None = None,
        faults: Sequence[str | None] | Mapping[str, float] | Callable[[int, dict], str | None] | None = None,
        retry_after_s: float = 0.05,
        hang_s: float = 30.0,
        model: str = "loopback",
        seed: int = 0,
        port: int = 0,
        prefill_s_per_token: float = 0.0,
        prefix_cache_entries: int = 1 << 20,
    ) -> None:
        self.responder: Callable[[dict[str, Any]], Any] = responder or default_responder
        self.latency_s = latency_s
        self.max_concurrency = max_concurrency
        self.faults = faults
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.model = model
        self.port = port
        self.prefill_s_per_token = prefill_s_per_token
        self.prefix_cache_entries = prefix_cache_entries
        self._prefixes: OrderedDict[bytes, None] = OrderedDict()
        self.stats: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._counter = itertools.count()
        self._runner: Any = None
        self._slots: asyncio.Queue[float] | None = None  # free slots, each as the loop time it became free
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_responder = inspect.iscoroutinefunction(self.responder)

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _fault_for(self, index: int, body: dict[str, Any]) -> str | None:
        f = self.faults
        if f is None:
            return None
        if callable(f):
            return f(index, body)
        if isinstance(f, Mapping):
            x = self._rng.random()
            for name, p in f.items():
                if x < p:
                    return name
                x -= p
            return None
        return f[index] if index < len(f) else None

    async def _completions(self, request: Any) -> Any:
        from aiohttp import web

        raw = await request.read()
        body = orjson.loads(raw)
        prompt_tokens = max(1, len(raw) // 4)  # a token is about 4 bytes (as in the prefix-cache model)
        index = next(self._counter)
        self.stats["requests"] += 1
        fault = self._fault_for(index, body)
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        if self._slots is None:
            return await self._answer(request, body, index, fault, web, arrived, [0.0], prompt_tokens)
        # A slot's time is counted in the server's schedule: its service starts when it became free
        # (or when the request arrived, if later), and its wake-up lag (this Python loop busy with
        # other requests) is not charged to the slot. A late wake-up delays this reply, not the
        # slot's next request, as a serving engine's slots do not wait for its HTTP front end.
        # At most max_concurrency requests are inside _answer at once.
        free_since = await self._slots.get()
        lag = [0.0]
        try:
            return await self._answer(request, body, index, fault, web, max(arrived, free_since), lag, prompt_tokens)
        finally:
            self._slots.put_nowait(loop.time() - lag[0])

    def uncached_tokens(self, messages: list[dict[str, Any]]) -> int:
        """Prompt tokens past the longest message prefix seen before; remembers this prompt's prefixes."""
        key, total, cached = b"", 0, 0
        cache = self._prefixes
        for m in messages:
            data = orjson.dumps(m, option=orjson.OPT_SORT_KEYS)
            key = hashlib.blake2b(key + data, digest_size=16).digest()
            total += max(1, len(data) // 4)
            if key in cache:
                cache.move_to_end(key)
                cached = total
            else:
                cache[key] = None
        while len(cache) > self.prefix_cache_entries:
            cache.popitem(last=False)
        self.stats["prompt_tokens"] += total
        self.stats["uncached_tokens"] += total - cached
        return total - cached

    async def _answer(
        self,
        request: Any,
        body: dict,
        index: int,
        fault: str | None,
        web: Any,
        start: float,
        lag: list[float],
        prompt_tokens: int,
    ) -> Any:
        """Answer after the latency counted from ``start``; ``lag[0]`` gets how late the loop woke."""
        latency = self.latency_s
        if self.prefill_s_per_token:
            latency += self.prefill_s_per_token * self.uncached_tokens(body.get("messages") or [])
        if latency:
            loop = asyncio.get_running_loop()
            deadline = start + latency
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            lag[0] = max(0.0, loop.time() - deadline)
        if fault:
            self.stats[fault] += 1
        if fault in ("500", "503"):
            return web.Response(
                status=int(fault), body=b'{"error": {"message": "injected fault"}}', content_type="application/json"
            )
        if fault == "429":
            return web.Response(
                status=429,
                body=b'{"error": {"message": "rate limited"}}',
                content_type="application/json",
                headers={"Retry-After": f"{self.retry_after_s:g}"},
            )
        if fault == "hang":
            await asyncio.sleep(self.hang_s)
            request.transport.close()
            return web.Response(status=500)
        out = self.responder(body)
        if self._async_responder:
            out = await out
        if "choices" not in out:
            msg = out
            finish = "tool_calls" if msg.get("tool_calls") else "stop"
            out = {
                "id": f"chatcmpl-{index}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [{"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(str(msg.get("content") or "").split())
                    + 8 * len(msg.get("tool_calls") or []),
                    "total_tokens": 0,
                },
            }
        payload = orjson.dumps(out)
        if fault in ("truncate", "drop"):
            resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            resp.content_length = len(payload)
            if fault == "truncate":
                await resp.prepare(request)
                await resp.write(payload[: len(payload) // 2])
            request.transport.close()
            return resp
        self.stats["ok"] += 1
        return web.Response(body=payload, content_type="application/json")

    async def _models(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "loopback"}]}
        )

    async def _stats(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response(dict(self.stats))

    async def start(self) -> Self:
        """Start serving on the running loop."""
        from aiohttp import web

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/stats", self._stats)  # the stats Counter, for a server in another process
        self._slots = None
        if self.max_concurrency:
            self._slots = asyncio.Queue()
            for _ in range(self.max_concurrency):
                self._slots.put_nowait(0.0)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=4096, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop serving and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __enter__(self) -> Self:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self.start())
            except (OSError, ImportError, RuntimeError) as exc:  # reported to the starting thread below
                errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="loopback-openai", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise errors[0]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None


def _serve_in_child(kwargs: dict[str, Any], queue: Any) -> None:
    import gc

    async def main() -> None:
        server = LoopbackOpenAIServer(**kwargs)
        await server.start()
        gc.freeze()  # what is loaded now lives as long as the process: out of the collector's scans
        gc.set_threshold(5000, *gc.get_threshold()[1:])  # fewer collections of each request's short-lived objects
        queue.put(server.url)
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def loopback_server_process(**kwargs: Any) -> Iterator[str]:
    """Run a :class:`LoopbackOpenAIServer` in its own process; yield its base URL.

    Benchmarks use this so the server's CPU time is not the client's. ``kwargs`` go to the
    server; a ``responder`` must be picklable (a module-level function).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve_in_child, args=(kwargs, queue), daemon=True, name="loopback-openai")
    proc.start()
    try:
        yield queue.get(timeout=120)
    finally:
        proc.terminate()
        proc.join(10)


class MalformedReplies:
    """A responder that plays a careless agent model: valid tool calls and text, and bad replies at set rates.

    Each request draws (deterministically, from a hash of the request and ``seed``) one of:
    a wrong-shape reply (``tool_calls`` a string, a call that is not an object, content that is
    not text, a choice without a message), tool-call arguments nested ``deep`` levels, a malformed
    tool call (arguments that are not JSON, a JSON list, an unknown tool, wrong argument types),
    or a well-formed reply (a call built from the tool's schema, or text that hands the turn back).
    Picklable, so it serves from :func:`loopback_server_process` too. ``counts`` tallies the draws.
    """

    KINDS = ("wrong_shape", "deep", "malformed", "ok")

    def __init__(
        self,
        wrong_shape: float = 0.02,
        deep: float = 0.01,
        malformed: float = 0.10,
        text: float = 0.3,
        depth: int = 300,
        seed: int = 0,
    ) -> None:
        self.rates = {"wrong_shape": wrong_shape, "deep": deep, "malformed": malformed}
        self.text, self.depth, self.seed = text, depth, seed
        self.counts: Counter[str] = Counter()

    def _rng(self, body: dict[str, Any]) -> random.Random:
        import hashlib

        digest = hashlib.sha256(
            orjson.dumps(
                [self.seed, body.get("messages"), body.get("seed")], option=orjson.OPT_NON_STR_KEYS, default=str
            )
        ).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer a chat request body, faulty at the configured rates (seeded by the body)."""
        rng = self._rng(body)
        x, kind = rng.random(), "ok"
        for name, p in self.rates.items():
            if x < p:
                kind = name
                break
            x -= p
        self.counts[kind] += 1
        tools = [t["function"] for t in body.get("tools") or []]
        fn: dict[str, Any] = rng.choice(tools) if tools else {"name": "none", "parameters": {"type": "object"}}

        def call(arguments: Any, name: str = fn["name"]) -> dict[str, Any]:
            return {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{rng.randrange(10**6)}",
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    }
                ],
            }

        if kind == "wrong_shape":
            return rng.choice(
                [
                    {"role": "assistant", "content": None, "tool_calls": "call the tool"},
                    {"role": "assistant", "content": None, "tool_calls": ["not a call"]},
                    {"role": "assistant", "content": None, "tool_calls": [{"function": "x"}]},
                    {"role": "assistant", "content": ["a", "list"]},
                    {"choices": [{"index": 0, "message": "just text", "finish_reason": "stop"}]},
                    {"choices": "none"},
                ]
            )
        if kind == "deep":
            return call('{"x": ' + "[" * self.depth + "1" + "]" * self.depth + "}")
        if kind == "malformed":
            return rng.choice(
                [
                    call('{"unclosed": '),
                    call("not json at all"),
                    call("[1, 2, 3]"),
                    call("{}", name="no_such_tool"),
                    call(
                        orjson.dumps(
                            {k: [1, {"x": None}] for k in (fn.get("parameters") or {}).get("properties", {"a": 0})}
                        ).decode()
                    ),
                ]
            )
        if not tools or rng.random() < self.text:
            return {"role": "assistant", "content": "Done; anything else?"}
        return call(orjson.dumps(example_from_schema(fn.get("parameters") or {"type": "object"})).decode())
