"""``SimulatedToolBackend``: an LLM plays every tool over a real JSON state.

For each call the model gets the tool's spec, the policy, the state schema, the current state
(whole when the prompt fits ``prompt_budget_tokens``, else the slice the call touches, and the
schema cut to match: ``state_slice``),
the recent conversation and the call (prompt template ``simulated_tool``), and replies with
``{"output", "error", "patch"}``. The backend applies the JSON Patch to a copy of the state,
checks the new state against the domain's state schema, rejects any change from a read-only
tool, and on a malformed reply asks again (with the problem stated) up to ``retries`` times
before raising ``SimulatorError`` (the env shows it to the agent as a tool error).
Answers are cached by (tool, arguments, state hash): the same call on the same state returns the
same output and patch, so episodes replay exactly. :meth:`SimulatedToolBackend.recording`
exports an episode's calls with their patches for the replay backend.
"""

from __future__ import annotations

import hashlib
from typing import Any

import jsonpatch
import jsonschema_rs
import orjson

from tools_registry.errors import ConfigError, GemError, SimulatorError, ToolError
from tools_registry.pytools import format_tool_output
from tools_registry.specs import ToolSpec

from .role_sampling import role_sampling
from .state_slice import schema_slice, state_slice
from .tool_backends import EpisodeSetup, JsonStateBackend, RecordedCall

__all__ = ["SimulatedAnswer", "SimulatedToolBackend"]

SimulatedAnswer = tuple[str, "str | None", list]  # (output text, error or None, patch)
_REPLY_SCHEMA = {
    "type": "object",
    "required": ["output"],
    "properties": {
        "output": {},
        "error": {"type": ["string", "null"]},
        "patch": {"type": "array", "items": {"type": "object"}},
    },
}


def _canon(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


class SimulatedToolBackend(JsonStateBackend):
    """An LLM simulates the tools; the state is a JSON dict patched by its answers.

    Args:
        llm: An ``LLMBackend`` or a model string for ``gem_env.llm.make_backend``.
        retries: Extra attempts after a malformed reply.
        cache: A dict shared between backends/envs to replay answers across episodes
            (key: tool, arguments, state hash); a private one by default.
        sampling: Sampling options (defaults: ``ROLE_DEFAULTS["tools"]``, then the backend's
            ``default_sampling``; see :mod:`gem_env.role_sampling`).
        history_messages: How many recent messages the model sees.
        prompts_dir: Folder overriding the bundled prompt templates.
        prompt_budget_tokens: Size the prompt is kept within (3.5 characters a token, JSON's rate):
            a state or state schema that does not fit is cut to the part the call touches; the
            policy, tool spec and recent history are never cut.
    """

    kind = "simulated"

    def __init__(
        self,
        llm: Any,
        *,
        retries: int = 2,
        cache: dict[str, SimulatedAnswer] | None = None,
        sampling: dict[str, Any] | None = None,
        history_messages: int = 12,
        prompts_dir: str | None = None,
        prompt_budget_tokens: int = 2800,
    ):
        if isinstance(llm, str):
            from .llm import make_backend

            llm = make_backend(llm)
        self.llm = llm
        self.retries = retries
        self.cache: dict[str, SimulatedAnswer] = cache if cache is not None else {}
        self.sampling = role_sampling("tools", llm, sampling)
        self.prompt_budget_tokens = prompt_budget_tokens
        self._reads: dict[str, set[str]] = {}
        self.history_messages = history_messages
        self.prompts_dir = prompts_dir
        self.rejected = 0
        self._setup: EpisodeSetup | None = None
        self._specs: dict[str, ToolSpec] = {}
        self._state: dict[str, Any] = {}
        self._validator: Any = None
        self._calls: list[RecordedCall] = []

    def reset(self, setup: EpisodeSetup) -> None:
        """Start from the task's initial state with its tools."""
        self._setup = setup
        self._specs = {t.name: t for t in setup.tools}
        self._state = setup.fresh_state()
        self._calls = []
        self._reads = {}
        if setup.domain.programs:  # a compiled domain: slice the state by what each program reads
            from .compiled import ProgramCompileError
            from .compiled.backend import programs_of

            try:
                self._reads = {n: p.reads for n, p in programs_of(setup.domain).programs.items()}
            except ProgramCompileError:
                self._reads = {}
        schema = setup.domain.state_schema
        try:
            self._validator = jsonschema_rs.validator_for(schema) if schema else None
        except (ValueError, jsonschema_rs.ValidationError) as exc:
            raise ConfigError(f"domain '{setup.domain.name}': state_schema does not compile: {exc}") from None

    def add_tools(self, tools: list[ToolSpec]) -> None:
        """Add tools revealed during the episode."""
        self._specs.update({t.name: t for t in tools})

    # ---- the call -----------------------------------------------------------------------------
    def call(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Simulate the call with the tool model (runs :meth:`acall` to completion)."""
        from ._sync import run_sync

        return run_sync(self.acall(name, arguments, history))

    async def acall(self, name: str, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """Simulate the call: the tool model's (or the cache's) output and state patch, applied.

        Raises:
            ToolError: The simulated tool answered with an error.
        """
        if self._setup is None:
            raise ConfigError("SimulatedToolBackend.call before reset()")
        spec = self._specs.get(name)
        if spec is None:  # the env validated the call, so the tool exists; simulate it from its name
            spec = ToolSpec(name=name, description="", mutates=True)
        key = self.cache_key(name, arguments)
        hit = self.cache.get(key)
        if hit is None:
            hit = await self._ask(spec, arguments, history)
            self.cache[key] = hit
        output, error, patch = hit
        if patch:
            self._state = jsonpatch.apply_patch(self._state, patch, in_place=False)
        self._calls.append(
            RecordedCall(
                name,
                orjson.loads(orjson.dumps(arguments)),
                f"Error: {error}" if error is not None else output,
                error=error is not None,
                patch=list(patch),
            )
        )
        if error is not None:
            raise ToolError(error)
        return output

    def cache_key(self, name: str, arguments: dict[str, Any]) -> str:
        """sha256 over the tool, its spec, the arguments and the current state."""
        h = hashlib.sha256()
        spec = self._specs.get(name)
        for part in (name.encode(), _canon(spec.parameters if spec else {}), _canon(arguments), _canon(self._state)):
            h.update(part)
            h.update(b"\x00")
        return h.hexdigest()

    def prompt(self, spec: ToolSpec, arguments: dict[str, Any], history: list[dict[str, Any]]) -> str:
        """The filled ``simulated_tool`` template for one call."""
        from .prompts import fill, load_prompt

        setup = self._setup
        assert setup is not None
        lines = []
        for m in history[-self.history_messages :]:
            if m.get("role") == "system":
                continue
            for c in m.get("tool_calls") or ():
                lines.append(f"assistant called {c['function']['name']}({_text(c['function']['arguments'])})")
            if m.get("content"):
                lines.append(f"{m['role']}: {m['content']}")
        values = {
            "policy": setup.policy or "(none)",
            "tool_spec": orjson.dumps(spec.to_openai()["function"], option=orjson.OPT_INDENT_2).decode(),
            "access": "read-write: it may change the state"
            if spec.mutates
            else "read-only: it never changes the state",
            "history": "\n".join(lines) or "(nothing yet)",
            "call": f"{spec.name}({_text(arguments)})",
        }
        template = load_prompt("simulated_tool", self.prompts_dir)
        room = int(3.5 * self.prompt_budget_tokens) - len(fill(template, **values, state_schema="", state=""))
        schema_room = max(600, room // 3)
        state, keys = self.state_text(spec.name, arguments, max(1200, room - schema_room))
        schema = schema_slice(setup.domain.state_schema, keys, budget_chars=schema_room)
        return fill(template, **values, state_schema=orjson.dumps(schema).decode(), state=state)

    def state_text(self, name: str, arguments: dict[str, Any], budget_chars: int) -> tuple[str, set[str]]:
        """The state as the prompt shows it, and the top-level keys shown.

        Whole when it fits ``budget_chars``, else the slice the call touches keyed by JSON Pointer
        (``gem_env.state_slice``).
        """
        whole, shown = state_slice(self._state, arguments, budget_chars=budget_chars, keys=self._reads.get(name))
        if whole:
            return "(the whole state, JSON)\n" + orjson.dumps(shown).decode(), set(shown)
        keys = {p.split("/")[1].replace("~1", "/").replace("~0", "~") for p in shown}
        return (
            "(too large to show whole: only the parts this call touches, keyed by their JSON Pointer in the "
            "full state; use these paths in your patch)\n" + orjson.dumps(shown).decode(),
            keys,
        )

    async def _ask(self, spec: ToolSpec, arguments: dict[str, Any], history: list[dict[str, Any]]) -> SimulatedAnswer:
        messages: list[dict[str, Any]] = [{"role": "user", "content": self.prompt(spec, arguments, history)}]
        problem = ""
        for _ in range(self.retries + 1):
            reply = await self.llm.chat(
                messages, response_format={"type": "json_object"}, caller="tool_simulator", **self.sampling
            )
            try:
                answer = self._check(spec, reply.json(_REPLY_SCHEMA))
            except GemError as exc:
                problem = str(exc)
                self.rejected += 1
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply.content or ""},
                    {
                        "role": "user",
                        "content": f"Your reply was rejected: {problem}. Reply again with "
                        'one JSON object {"output", "error", "patch"}.',
                    },
                ]
                continue
            return answer
        raise SimulatorError(
            f"tool simulator gave no usable answer for {spec.name} after {self.retries + 1} attempts: {problem}"
        )

    def _check(self, spec: ToolSpec, reply: Any) -> SimulatedAnswer:
        """Validate a parsed reply: a patch only from a write tool, applicable, leaving a valid state."""
        error = reply.get("error")
        patch = reply.get("patch") or []
        if error is not None:
            if patch:
                raise SimulatorError("a failed call must not change the state (patch must be [])")
            return format_tool_output(reply.get("output", "")), str(error), []
        if patch and not spec.mutates:
            raise SimulatorError(f"'{spec.name}' is read-only: its patch must be []")
        if patch:
            try:
                new_state = jsonpatch.apply_patch(self._state, patch, in_place=False)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
                raise SimulatorError(f"the patch does not apply to the current state: {exc}") from None
            if self._validator is not None and not self._validator.is_valid(new_state):
                first = next(iter(self._validator.iter_errors(new_state)), None)
                where = "/".join(map(str, getattr(first, "instance_path", []) or [])) or "(root)"
                raise SimulatorError(
                    f"the patched state breaks the state schema at {where}: {getattr(first, 'message', 'invalid')}"
                )
        return format_tool_output(reply.get("output")), None, list(patch)

    # ---- state --------------------------------------------------------------------------------


def _text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
