"""Local transformers backend (CPU or GPU).

Chat template with ``tools=``, batched generation, tool calls parsed from the text, and
JSON-schema constrained decoding through xgrammar.

Concurrent ``chat`` calls are gathered into batches (left padding) and generated in a worker
thread, so the event loop stays free. A forced ``tool_choice`` is decoded under the tool-call
grammar; a ``response_format`` schema under its JSON grammar, so even a tiny model returns valid JSON.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import BackendError, ConfigError, GemError

from .base import LLMBackend
from .constrained import GrammarFactory, render_prompt
from .parsing import assistant_from_generation
from .sampling import RowSampler, RowSampling
from .types import ChatReply, TokenUsage

__all__ = ["HFBackend"]


@dataclass
class _Job:
    prompt: str
    sampling: RowSampling
    schema: dict[str, Any] | None
    forced_call: bool
    parse_calls: bool
    stop: list[str]
    future: asyncio.Future = field(repr=False)


class HFBackend(LLMBackend):
    """Generate with a local transformers causal LM.

    Args:
        model: Hub id or local folder; a path ending in ``.gguf`` loads that GGUF file.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:0"``, ...
        dtype: ``"auto"`` or a torch dtype name (``"float32"``, ``"bfloat16"``, ...).
        max_batch_size: Most requests generated together.
        batch_wait_s: How long the batcher waits for more requests before generating.
        max_tokens: Default token budget (an explicit ``max_tokens`` overrides it).
        parser: Tool-call parser for the generated text.
        gguf_file: GGUF file inside ``model`` (a folder), if loading GGUF weights.
        logits_processors: Extra transformers logits processors, run before sampling.
        default_sampling: Sampling applied when a call does not set it.
    """

    kind = "hf"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_batch_size: int = 8,
        batch_wait_s: float = 0.005,
        max_tokens: int = 512,
        parser: str = "hermes",
        gguf_file: str | None = None,
        logits_processors: list[Any] | None = None,
        default_sampling: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, default_sampling=default_sampling)
        self.device_name, self.dtype_name = device, dtype
        self.max_batch_size, self.batch_wait_s, self.max_tokens = max_batch_size, batch_wait_s, max_tokens
        self.parser = parser
        self.gguf_file = gguf_file
        if gguf_file is None and model.endswith(".gguf"):
            self.gguf_file, self.model_dir = Path(model).name, str(Path(model).parent)
        else:
            self.model_dir = model
        self.extra_processors = list(logits_processors or [])
        self.hf_model: Any = None
        self.tokenizer: Any = None
        self._grammars: GrammarFactory | None = None
        self._load_lock = threading.Lock()
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batch_sizes: list[int] = []  # one entry per generate call, for tests and tuning

    def load(self) -> None:
        """Load tokenizer and model (done on first use; call to load eagerly)."""
        with self._load_lock:
            if self.hf_model is not None:
                return
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise ConfigError("the hf backend needs transformers and torch (pip install 'gem-env[hf]')") from exc
            device = self.device_name
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            kw: dict[str, Any] = {"gguf_file": self.gguf_file} if self.gguf_file else {}
            dtype = "auto" if self.dtype_name == "auto" else getattr(torch, self.dtype_name)
            try:
                tok = AutoTokenizer.from_pretrained(self.model_dir, **kw)
                model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=dtype, **kw).to(device)  # type: ignore[arg-type]  # stub types .to wrongly
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot load hf model {self.model!r}: {exc}") from exc
            model.eval()
            tok.padding_side = "left"
            eos = model.generation_config.eos_token_id
            eos = [eos] if isinstance(eos, int) else list(eos or [])
            if tok.eos_token_id is not None and tok.eos_token_id not in eos:
                eos.append(tok.eos_token_id)
            if not eos:
                raise ConfigError(f"hf model {self.model!r} defines no eos token")
            if tok.pad_token_id is None:
                tok.pad_token = tok.convert_ids_to_tokens(eos[0])
            self.stop_ids, self.device = eos, torch.device(device)
            self.tokenizer, self.hf_model = tok, model

    def _grammar_factory(self) -> GrammarFactory:
        if self._grammars is None:
            self._grammars = GrammarFactory(self.tokenizer, self.hf_model.config.vocab_size, self.stop_ids)
        return self._grammars

    def _make_job(self, messages, tools, response_format, sampling, future) -> _Job:
        sampling = dict(sampling)
        choice = sampling.pop("tool_choice", None)
        template_kwargs = sampling.pop("chat_template_kwargs", None) or {}
        stop = sampling.pop("stop", None) or []
        row = RowSampling(
            temperature=float(sampling.pop("temperature", 0.0) or 0.0),
            top_p=float(sampling.pop("top_p", 1.0) or 1.0),
            top_k=int(sampling.pop("top_k", 0) or 0),
            max_tokens=int(sampling.pop("max_tokens", None) or self.max_tokens),
            seed=sampling.pop("seed", None),
        )
        for ignored in ("presence_penalty", "frequency_penalty", "repetition_penalty"):
            sampling.pop(ignored, None)
        if sampling:
            raise ConfigError(f"hf backend does not support sampling options {sorted(sampling)}")
        prompt, tools, schema, forced = render_prompt(
            self.tokenizer, self.model, messages, tools, choice, response_format, template_kwargs
        )
        return _Job(prompt, row, schema, forced, bool(tools), [stop] if isinstance(stop, str) else list(stop), future)

    async def _chat(self, messages, tools, response_format, sampling, caller) -> ChatReply:
        if self.hf_model is None:
            await asyncio.to_thread(self.load)
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            self._loop, self._queue = loop, asyncio.Queue()
            self._worker = loop.create_task(self._batcher())
        queue = self._queue
        assert queue is not None, "the batch queue is made above on this loop's first call"
        future = loop.create_future()
        job = self._make_job(messages, tools, response_format, sampling, future)
        await queue.put(job)
        return await future

    async def _batcher(self) -> None:
        assert self._queue is not None
        while True:
            jobs = [await self._queue.get()]
            if self.batch_wait_s:
                await asyncio.sleep(self.batch_wait_s)
            while len(jobs) < self.max_batch_size and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            jobs = [j for j in jobs if not j.future.done()]  # callers cancelled meanwhile
            if not jobs:
                continue
            self.batch_sizes.append(len(jobs))
            try:
                replies = await asyncio.to_thread(self._generate, jobs)
            except Exception as exc:  # noqa: BLE001 - torch/transformers failures: translated here, once
                err = (
                    exc
                    if isinstance(exc, (ConfigError, BackendError))
                    else BackendError(
                        f"{self.name}: generation failed: {type(exc).__name__}: {exc}", reason="generation_error"
                    )
                )
                for j in jobs:
                    if not j.future.done():
                        j.future.set_exception(err)
                continue
            for j, r in zip(jobs, replies):
                if not j.future.done():
                    if isinstance(r, Exception):
                        j.future.set_exception(r)
                    else:
                        j.future.set_result(r)

    def _generate(self, jobs: list[_Job]) -> list[ChatReply | Exception]:
        import torch
        from transformers import LogitsProcessorList

        tok = self.tokenizer
        enc = tok([j.prompt for j in jobs], return_tensors="pt", padding=True, add_special_tokens=False)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        processors = list(self.extra_processors)
        if any(j.schema is not None for j in jobs):
            factory = self._grammar_factory()
            grammars = [factory.json_schema(j.schema) if j.schema is not None else None for j in jobs]
            processors.append(factory.processor(grammars, self.stop_ids[0]))
        sampler = RowSampler([j.sampling for j in jobs], self.stop_ids, self.device)
        processors.append(sampler)
        with torch.inference_mode():
            out = self.hf_model.generate(
                **enc,
                do_sample=False,
                max_new_tokens=max(j.sampling.max_tokens for j in jobs) + 1,
                logits_processor=LogitsProcessorList(processors),
                pad_token_id=tok.pad_token_id,
                eos_token_id=self.stop_ids,
                temperature=None,
                top_p=None,
                top_k=None,
            )
        width = enc["input_ids"].shape[1]
        results: list[ChatReply | Exception] = []
        for i, j in enumerate(jobs):
            gen = out[i, width:].tolist()
            n = next((k for k, t in enumerate(gen) if t in self.stop_ids), len(gen))
            text = tok.decode(gen[:n], skip_special_tokens=True)
            finish = "length" if i in sampler.cut or n == len(gen) else "stop"
            usage = TokenUsage(int(enc["attention_mask"][i].sum()), n)
            try:
                results.append(self._reply(j, text, finish, usage))
            except GemError as exc:  # a ParseError belongs to its own caller only
                results.append(exc)
        return results

    def _reply(self, job: _Job, text: str, finish: str, usage: TokenUsage) -> ChatReply:
        for s in job.stop:
            if s and s in text:
                text, finish = text[: text.index(s)], "stop"
        msg, repairs = assistant_from_generation(
            text, forced_call=job.forced_call, parse_calls=job.parse_calls, parser=self.parser
        )
        if msg.get("tool_calls"):
            finish = "tool_calls" if finish == "stop" else finish
        return ChatReply(message=msg, finish_reason=finish, usage=usage, repairs=repairs)

    async def aclose(self) -> None:
        """Stop the batching worker."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        while self._queue is not None and not self._queue.empty():  # fail what never ran, loudly
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(BackendError(f"{self.name} was closed before generating", reason="closed"))
