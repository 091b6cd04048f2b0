"""``ToolUseEnv``: a Gymnasium environment where an agent talks to a user and calls tools.

The env owns the episode loop (one fixed driver, sync and async): it accepts an assistant
message, validates each call against the tool schemas, runs it on the tool backend, catches
every tool failure in one place (:meth:`ToolUseEnv._failure`) and shows it to the agent as a
tool message, hands the turn to the user when the agent stops calling tools, and scores the
episode with the reward. Backends (``tool_backends``), users (``users``) and rewards
(``rewards``) are pluggable.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import gymnasium as gym
import orjson

from tools_registry.domains import LoadedDomain
from tools_registry.errors import (
    ArgumentError,
    ConfigError,
    GemError,
    ParseError,
    SimulatorError,
    ToolDefinitionError,
    UnknownToolError,
)
from tools_registry.limits import MAX_ARGUMENT_BYTES, MAX_TEXT_CHARS, clean_text, json_problem, safe_repr
from tools_registry.pytools import format_tool_error
from tools_registry.records import Domain, Task, parse_arguments
from tools_registry.reference import TOOL_EXCEPTIONS
from tools_registry.specs import ToolSpec
from tools_registry.validation import ToolSet

from .resolution import resolve_domain
from .rewards import EpisodeOutcome, ExecutedCall, JudgeRubric, Reward, RewardResult, TaskReward
from .spaces import AssistantMessageSpace, ConversationSpace
from .tool_backends import EpisodeSetup, PythonToolBackend, ReplayToolBackend, ToolBackend
from .users import User, UserTurn, make_user

__all__ = ["CAUGHT_TOOL_ERRORS", "EnvSnapshot", "EpisodeCounters", "PendingCall", "StepResult", "ToolUseEnv"]

#: Exceptions from a tool call that become a tool message (everything else propagates).
CAUGHT_TOOL_ERRORS = (SimulatorError, *TOOL_EXCEPTIONS)

#: What ``step`` returns: observation, reward, terminated, truncated, info.
StepResult = tuple[dict[str, Any], float, bool, bool, dict[str, Any]]


class PendingCall(NamedTuple):
    """A call of the assistant message being stepped, before it runs.

    ``error`` is the tool message already decided (arguments that failed to parse or validate,
    an unknown tool, a call over the per-turn limit); such a call is not run.
    """

    id: str
    name: str
    error: str | None
    arguments: Any


class EpisodeCounters(NamedTuple):
    """The counters of an episode, as kept in a snapshot."""

    turns: int  #: assistant messages taken
    call_seq: int  #: tool calls numbered so far (ids ``call_1``, ``call_2``, ...)
    turn_calls: int  #: calls since the user last spoke (checked against ``max_tool_calls_per_turn``)
    errors: int  #: errors reported to the agent
    done: bool  #: the episode has ended


class _UserReply:
    """Request from the step core: the user's reply to the conversation."""


class _Score:
    """Request from the step core: the reward of the finished episode."""


_USER_REPLY = _UserReply()
_SCORE = _Score()

#: What the step core asks its driver for: a call run on the backend, the user's reply, the score.
_Request = PendingCall | _UserReply | _Score
#: What the driver sends back: tool text or the caught tool error, a user turn or the user's error, a score.
_Answer = str | BaseException | UserTurn | RewardResult


@dataclass(frozen=True)
class EnvSnapshot:
    """Everything needed to continue an episode from a point (see :meth:`ToolUseEnv.snapshot`)."""

    setup: EpisodeSetup | None
    messages: tuple[dict[str, Any], ...]
    calls: tuple[ExecutedCall, ...]
    toolset: ToolSet | None
    tools: list[dict[str, Any]]
    counters: EpisodeCounters
    user: User | None
    backend: Any
    user_state: Any
    rng_state: Mapping[str, Any] | None


def _recordable(text: str | None, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Agent text as it is recorded: valid Unicode (lone surrogates replaced), cut at ``limit`` characters."""
    if text is None:
        return None
    if len(text) > limit:
        text = text[:limit] + f" [cut: {len(text) - limit} more characters]"
    return clean_text(text)


# (id(task), id(domain)) -> (task, domain, (setup, tool set, OpenAI tools)): what an episode of the
# task starts from, shared by every env built on the same loaded domain. Entries hold the task and
# domain objects, so an id is never reused while its entry exists.
_SHARED_SETUPS: dict[tuple[int, int], tuple[Task, Domain, tuple[EpisodeSetup, ToolSet, list[dict[str, Any]]]]] = {}


class ToolUseEnv(gym.Env):
    """A multi-turn tool-use task as a Gymnasium environment.

    ## Description
    Each episode plays one task of a domain: a system prompt (the domain policy), a user with a
    goal, and tools over a state. The agent acts one assistant message at a time; the episode ends
    when the user stops (goal reached or given up) or a limit is hit, and the reward checks the
    outcome against the task's criteria.

    ## Tools
    The task's tools (or the domain's), in OpenAI format in the observation. Calls run on the tool
    backend: ``compiled`` (the domain's certified programs, run in a sandbox over a fresh state),
    ``python`` (the domain's ``tools.py``, a fresh state per episode), ``replay`` (the
    outputs of the task's reference conversation) or ``simulated`` (an LLM plays the tools and
    patches the state), or any :class:`~gem_env.tool_backends.ToolBackend`. A user turn may
    reveal more tools.

    ## Observation
    ``{"messages": [...], "tools": [...]}``: the conversation so far (OpenAI message dicts,
    tool-call arguments as dicts; a new list each step, message dicts shared and read-only) and
    the available tools (OpenAI tool dicts). Space: :class:`~gem_env.spaces.ConversationSpace`.

    ## Action
    An assistant message dict (OpenAI format; arguments as dict or JSON string) or raw model text,
    parsed with ``parser`` (``hermes``); text that is a whole assistant message in JSON is that message. Call ids are reassigned ``call_1``, ``call_2``, ... per
    episode (deterministic). Space: :class:`~gem_env.spaces.AssistantMessageSpace`. A bad action
    never raises: an unknown tool, invalid arguments or a failing tool becomes a tool message
    ``"Error: ..."``; unreadable text becomes a system message; all are counted in ``info``.
    Arguments must be plain JSON within ``tools_registry.limits`` (64 levels, 1 MiB, 64-bit
    integers, valid Unicode); recorded text is always valid Unicode, so every row can be written.

    ## Reward
    0 on every step but the last; at the end the reward (default
    :class:`~gem_env.rewards.TaskReward`: the binary product of the parts named by the task's
    ``reward_basis`` - final state, gold write actions, facts communicated, LLM-judge rubric),
    with every part in ``info["reward_breakdown"]``.

    ## Episode End
    Terminated when the user ends the conversation (scripted or replayed turns run out, the
    reference's closing user message is replayed, or the LLM user writes its stop marker; a
    closing message is kept as the last message). Truncated after ``max_turns`` assistant messages, or when
    the agent makes more than ``max_tool_calls_per_turn`` calls before handing the turn back
    (``info["truncated_by"]`` says which), or when the user simulator fails. The reward is scored
    on truncation too.

    ## Arguments
    ``ToolUseEnv(domain, tasks=None, *, toolkit=None, tools="auto", user="auto", reward=None,
    model=None, tool_model=None, user_model=None, judge_model=None, max_turns=None,
    max_tool_calls_per_turn=32, parser="hermes", task_ids=None, render_mode=None)``

    - ``domain``: a domain name, ``gem/<name>-v0``, a folder, a ``LoadedDomain`` or a ``Domain``
      record (then pass ``tasks`` and optionally ``toolkit``).
    - ``tools``: ``"auto"`` (compiled if the domain has certified programs, else python if it has
      tools.py, else replay, else simulated), ``"compiled"``, ``"python"``, ``"replay"``,
      ``"simulated"`` or a ToolBackend instance.
    - ``user``: ``"auto"`` (replay when the task's reference has user turns, else scripted
      ``user.turns``, else llm),
      ``"scripted"``, ``"replay"``, ``"llm"`` or a User instance.
    - ``reward``: a Reward (default ``TaskReward``, with a judge when a judge model is given).
    - ``model`` / ``tool_model`` / ``user_model`` / ``judge_model``: LLMBackends or model strings
      for the simulated tools, the LLM user and the judge (``model`` is the default of each).
    - ``task_ids``: restrict the tasks sampled by ``reset``.

    ## Version History
    - v0: first version.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        domain: str | os.PathLike[str] | LoadedDomain | Domain,
        tasks: list[Task] | None = None,
        *,
        toolkit: Any = None,
        tools: str | ToolBackend = "auto",
        user: str | User = "auto",
        reward: Reward | None = None,
        model: Any = None,
        tool_model: Any = None,
        user_model: Any = None,
        judge_model: Any = None,
        max_turns: int | None = None,
        max_tool_calls_per_turn: int = 32,
        parser: str | None = "hermes",
        task_ids: list[str] | None = None,
        render_mode: str | None = None,
        domains_path: Sequence[str | os.PathLike[str]] | None = None,
        simulator_options: dict[str, Any] | None = None,
    ):
        self.loaded = resolve_domain(domain, tasks, toolkit, domains_path)
        self.domain: Domain = self.loaded.domain
        if task_ids is not None:
            self.tasks = [self.loaded.task(t) for t in task_ids]
        else:
            self.tasks = list(self.loaded.tasks)
        if not self.tasks:
            where = f" ({self.loaded.path / 'tasks.jsonl'})" if self.loaded.path is not None else ""
            raise ConfigError(f"domain '{self.domain.name}' has no tasks{where}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        self.render_mode = render_mode
        self.max_turns = int(max_turns if max_turns is not None else self.domain.max_turns)
        self.max_tool_calls_per_turn = int(max_tool_calls_per_turn)
        self.parser = parser
        self.backend = self._make_backend(tools, tool_model or model, simulator_options or {})
        self._user_spec = user
        self._user_model = user_model or model
        self._users: dict[str, User] = {}
        judge = judge_model or model
        self.reward_fn = (
            reward if reward is not None else TaskReward(judge=JudgeRubric(judge) if judge is not None else None)
        )
        self._setups: dict[str, tuple[EpisodeSetup, ToolSet, list[dict[str, Any]]]] = {}
        self.observation_space = ConversationSpace()
        self.action_space = AssistantMessageSpace(self._current_toolset, parser=parser)
        self._setup: EpisodeSetup | None = None
        self._toolset: ToolSet | None = None
        self._tools: list[dict[str, Any]] = []
        self._user: User | None = None
        self._messages: list[dict[str, Any]] = []
        self._calls: list[ExecutedCall] = []
        self._turns = self._call_seq = self._turn_calls = self._errors = 0
        self._done = True
        self._user_error = False
        self.last_reward: RewardResult | None = None

    # ---- construction helpers -----------------------------------------------------------------
    def _make_backend(self, tools: str | ToolBackend, model: Any, sim_opts: dict[str, Any]) -> ToolBackend:
        if isinstance(tools, ToolBackend):
            return tools
        kit = self.loaded.toolkit
        if tools == "auto":
            if self.domain.programs and _certified(self.domain):
                tools = "compiled"
            elif kit is not None:
                tools = "python"
            elif any(t.reference for t in self.tasks):
                tools = "replay"
            elif model is not None:
                tools = "simulated"
            else:
                raise ConfigError(
                    f"domain '{self.domain.name}' has no tools.py and no references: "
                    "pass tools='simulated' with a tool_model, or a ToolBackend"
                )
        if tools == "compiled":
            from .compiled.backend import CompiledToolBackend

            return CompiledToolBackend()
        if tools == "python":
            if kit is None:
                raise ConfigError(f"domain '{self.domain.name}' has no tools.py for the python backend")
            return PythonToolBackend(kit)
        if tools == "replay":
            return ReplayToolBackend(toolkit=kit)
        if tools == "simulated":
            if model is None:
                raise ConfigError("the simulated tool backend needs a model (tool_model=... or model=...)")
            from .simulated import SimulatedToolBackend

            return SimulatedToolBackend(model, **sim_opts)
        raise ConfigError(
            f"unknown tool backend {tools!r}; choose compiled, python, replay, simulated or pass a ToolBackend"
        )

    def _user_for(self, task: Task) -> User:
        spec = self._user_spec
        if isinstance(spec, User):
            return spec
        kind = spec
        if kind == "auto":
            if any(m.role == "user" for m in task.reference):
                kind = "replay"
            elif task.user.turns:
                kind = "scripted"
            elif self._user_model is not None:
                kind = "llm"
            else:
                raise ConfigError(f"task '{task.id}' has no scripted or reference user turns: pass user_model=...")
        user = self._users.get(kind)
        if user is None:
            user = self._users[kind] = make_user(kind, model=self._user_model)
        return user

    def _setup_for(self, task: Task) -> tuple[EpisodeSetup, ToolSet, list[dict[str, Any]]]:
        hit = self._setups.get(task.id)
        if hit is None:  # envs built on the same loaded domain share one (compiling a ToolSet is not cheap)
            shared = _SHARED_SETUPS.get((id(task), id(self.domain)))
            if shared is not None and shared[0] is task and shared[1] is self.domain:
                hit = self._setups[task.id] = shared[2]
        if hit is None:
            initial = task.initial_state if task.initial_state is not None else self.domain.initial_state
            specs = list(task.tools if task.tools is not None else self.domain.tools)
            policy = task.system_prompt if task.system_prompt is not None else self.domain.policy
            setup = EpisodeSetup(
                task=task,
                domain=self.domain,
                tools=specs,
                policy=policy,
                initial_state=initial,
                initial_state_json=orjson.dumps(initial),
            )
            try:
                toolset = ToolSet(specs)
            except ToolDefinitionError as exc:
                where = f"task {task.id!r} of domain {self.domain.name!r}"
                raise ToolDefinitionError([f"{where}: {p}" for p in exc.problems]) from None
            hit = self._setups[task.id] = (setup, toolset, [s.to_openai() for s in specs])
            if len(_SHARED_SETUPS) >= 4096:
                _SHARED_SETUPS.clear()
            _SHARED_SETUPS[(id(task), id(self.domain))] = (task, self.domain, hit)  # holds both: ids stay unique
        return hit

    def _active_setup(self) -> EpisodeSetup:
        if self._setup is None:
            raise gym.error.ResetNeeded("no episode in play: call reset() first")
        return self._setup

    def _active_user(self) -> User:
        if self._user is None:
            raise gym.error.ResetNeeded("no episode in play: call reset() first")
        return self._user

    def _current_toolset(self) -> ToolSet:
        if self._toolset is None:
            return self._setup_for(self.tasks[0])[1]
        return self._toolset

    # ---- episode driver -----------------------------------------------------------------------
    def _pick_task(self, options: dict[str, Any] | None) -> Task:
        if options and options.get("task_id") is not None:
            return self.loaded.task(options["task_id"])
        return self.tasks[int(self.np_random.integers(len(self.tasks)))]

    # ---- seeding: reset(seed=...) as gymnasium does it, the generator built when first used -----
    _pending_seed: int | None = None

    @property
    def np_random(self) -> Any:
        """The episode's generator (gymnasium's, seeded by ``reset(seed=...)``), built on first use."""
        if self._pending_seed is not None:
            from gymnasium.utils import seeding

            self._np_random, self._np_random_seed = seeding.np_random(self._pending_seed)
            self._pending_seed = None
        return gym.Env.np_random.fget(self)  # type: ignore[attr-defined]

    @np_random.setter
    def np_random(self, value: Any) -> None:
        self._pending_seed = None
        gym.Env.np_random.fset(self, value)  # type: ignore[attr-defined]

    @property
    def np_random_seed(self) -> int:
        """The seed of :attr:`np_random` (gymnasium's meaning)."""
        if self._pending_seed is not None:
            return self._pending_seed
        return gym.Env.np_random_seed.fget(self)  # type: ignore[attr-defined]

    def _start(self, seed: int | None, options: dict[str, Any] | None) -> User:
        if seed is not None:  # what gym.Env.reset does, minus building a generator nobody may use
            if not (isinstance(seed, int) and seed >= 0):  # gymnasium's own check, raised at reset
                from gymnasium.utils import seeding

                seeding.np_random(seed)
            self._pending_seed, self._np_random, self._np_random_seed = seed, None, None
        task = self._pick_task(options)
        setup, toolset, tools = self._setup_for(task)
        self._setup, self._toolset, self._tools = setup, toolset, tools
        self.backend.reset(setup)
        user = self._user = self._user_for(task)
        user.reset(setup)
        self._messages = [{"role": "system", "content": setup.policy}] if setup.policy else []
        self._calls = []
        self._turns = self._call_seq = self._turn_calls = self._errors = 0
        self._done = False
        self.last_reward = None
        return user

    def _opened(self, turn: UserTurn) -> tuple[dict[str, Any], dict[str, Any]]:
        if turn.stop or turn.content is None:
            raise ConfigError(f"the user of task '{self._active_setup().task.id}' gave no opening message")
        self._add_user_turn(turn)
        info = {
            "task_id": self._active_setup().task.id,
            "new_messages": list(self._messages),
            "errors": [],
            "turn": 0,
            "tool_calls": 0,
            "error_count": 0,
        }
        return self._obs(), info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Start an episode: ``options={"task_id": ...}`` names the task, else the seed picks one."""
        user = self._start(seed, options)
        return self._opened(user.reply(self._messages))

    async def areset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Async twin of :meth:`reset`."""
        user = self._start(seed, options)
        return self._opened(await user.areply(self._messages))

    def step(self, action: dict[str, Any] | str) -> StepResult:
        """Take one assistant message; run its calls or hand the turn to the user."""
        core = self._step_core(action)
        try:
            request = next(core)
            while True:
                if type(request) is PendingCall:
                    try:
                        answer: _Answer = self.backend.call(request.name, request.arguments, self._messages)
                    except CAUGHT_TOOL_ERRORS as exc:
                        answer = exc.with_traceback(None)  # its frames would hold the episode in a cycle
                elif request is _USER_REPLY:
                    try:
                        answer = self._active_user().reply(self._messages)
                    except GemError as exc:
                        answer = exc.with_traceback(None)  # its frames would hold the episode in a cycle
                else:
                    answer = self.reward_fn.score(self._outcome())
                request = core.send(answer)
        except StopIteration as finished:
            return finished.value

    async def astep(self, action: dict[str, Any] | str) -> StepResult:
        """Async twin of :meth:`step`: the same core, with the tools, user and reward awaited."""
        core = self._step_core(action)
        try:
            request = next(core)
            while True:
                if type(request) is PendingCall:
                    try:
                        answer: _Answer = await self.backend.acall(request.name, request.arguments, self._messages)
                    except CAUGHT_TOOL_ERRORS as exc:
                        answer = exc.with_traceback(None)  # its frames would hold the episode in a cycle
                elif request is _USER_REPLY:
                    try:
                        answer = await self._active_user().areply(self._messages)
                    except GemError as exc:
                        answer = exc.with_traceback(None)  # its frames would hold the episode in a cycle
                else:
                    answer = await self.reward_fn.ascore(self._outcome())
                request = core.send(answer)
        except StopIteration as finished:
            return finished.value

    def _step_core(self, action: dict[str, Any] | str) -> Generator[_Request, _Answer, StepResult]:
        """The one body of :meth:`step` and :meth:`astep`.

        It yields what needs the outside world - a :class:`PendingCall` to run on the backend,
        the user's reply, the reward - and the driver sends back the answer: the tool text, the
        :class:`~gem_env.users.UserTurn` or the :class:`~gem_env.rewards.RewardResult`, or the
        caught tool or user error itself. The sync and async drivers differ only in whether they
        await.
        """
        start, errors, calls, hand_back = self._accept(action)
        messages = self._messages
        for call in calls:
            if call.error is None:
                answer = yield call
                if isinstance(answer, BaseException):
                    content = self._failure(call, answer, errors)
                else:
                    content = cast(str, answer)
                    self._calls.append(ExecutedCall(call.name, call.arguments, True))
            else:
                content = call.error
            messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
        turn = None
        if hand_back:
            answer = yield _USER_REPLY
            turn = self._user_failed(answer, errors) if isinstance(answer, BaseException) else cast(UserTurn, answer)
        terminated, truncated, info = self._conclude(start, errors, turn)
        reward = 0.0
        if terminated or truncated:
            reward = self._scored(cast(RewardResult, (yield _SCORE)), info)
        return self._obs(), reward, terminated, truncated, info

    # ---- the pieces of a step -----------------------------------------------------------------
    def _accept(self, action: Any) -> tuple[int, list[dict[str, Any]], list[PendingCall], bool]:
        """Append the assistant message; return (start, errors, calls to run, hand back to user).

        Calls whose arguments fail to parse or validate, or that exceed the per-turn limit, carry
        their error text already (:attr:`PendingCall.error`).
        """
        if self._done:
            raise gym.error.ResetNeeded("the episode is over: call reset() before step()")
        messages = self._messages
        start = len(messages)
        errors: list[dict[str, Any]] = []
        self._turns += 1
        self._user_error = False
        if isinstance(action, str):
            from .llm.parsing import json_message, parse_tool_calls

            if len(action) > MAX_TEXT_CHARS:
                bad = ParseError(f"the action text is longer than {MAX_TEXT_CHARS} characters")
                return self._unreadable(action, bad, start, errors)
            try:  # a message serialised as JSON is that message, not plain text that ends the turn
                text = clean_text(action)
                action = json_message(text) or (
                    parse_tool_calls(text, self.parser).message if self.parser is not None else text
                )
            except GemError as unreadable:
                return self._unreadable(action, unreadable, start, errors)
        if not isinstance(action, dict):
            bad = ParseError(f"an action must be an assistant message dict or text, got {type(action).__name__}")
            return self._unreadable(action, bad, start, errors)
        raw_calls = action.get("tool_calls")
        content = action.get("content")
        if content is not None and not isinstance(content, str):
            bad = ParseError(f"an assistant message's content must be text or null, got {type(content).__name__}")
            return self._unreadable(action, bad, start, errors)
        msg: dict[str, Any] = {"role": "assistant", "content": _recordable(content)}
        reasoning = action.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            msg["reasoning_content"] = _recordable(reasoning)
        if raw_calls is None or (isinstance(raw_calls, list) and not raw_calls):
            messages.append(msg)
            return start, errors, [], True
        if not isinstance(raw_calls, list):
            bad = ParseError(f"tool_calls must be a list, got {type(raw_calls).__name__}")
            return self._unreadable(action, bad, start, errors)
        out_calls = []
        pending: list[PendingCall] = []
        toolset = self._toolset
        assert toolset is not None, "an episode in play has a tool set"
        limit = self.max_tool_calls_per_turn
        for raw in raw_calls:
            fn = raw.get("function", raw) if isinstance(raw, dict) else None
            name = fn.get("name") if isinstance(fn, dict) else None
            args = fn.get("arguments") if isinstance(fn, dict) else None
            name = clean_text(name[:256]) if type(name) is str else ""
            self._call_seq += 1
            cid = f"call_{self._call_seq}"
            err: str | None = None
            if type(args) is not dict:
                try:
                    args = self._parsed_arguments(args)
                except ParseError as exc:
                    err = self._report(errors, "arguments", name, exc)
                    args = _recordable(args, 4096) if type(args) is str else safe_repr(args)
            if err is None:
                problem = json_problem(args)
                if problem is not None:
                    err = self._report(
                        errors, "arguments", name, ArgumentError(f"invalid arguments for '{name}': {problem}")
                    )
                    args = safe_repr(args)
            if err is None:
                self._turn_calls += 1
                if self._turn_calls > limit:
                    err = self._report(
                        errors,
                        "limit",
                        name,
                        ConfigError(f"not run: at most {limit} tool calls before handing the turn back"),
                    )
                else:
                    try:
                        toolset.check_call(name, args)
                    except GemError as exc:
                        kind = "unknown_tool" if isinstance(exc, UnknownToolError) else "arguments"
                        err = self._report(errors, kind, name, exc)
            out_calls.append({"id": cid, "type": "function", "function": {"name": name, "arguments": args}})
            pending.append(PendingCall(cid, name, err, args))
        msg["tool_calls"] = out_calls
        messages.append(msg)
        return start, errors, pending, False

    @staticmethod
    def _parsed_arguments(args: Any) -> dict[str, Any]:
        """Arguments given as a JSON string (or nothing) as a dict; anything else is a ParseError."""
        if args is not None and not isinstance(args, (str, bytes)):
            raise ParseError(f"tool-call arguments must be a JSON object or a JSON string, got {type(args).__name__}")
        if args is not None and len(args) > MAX_ARGUMENT_BYTES:
            raise ParseError(f"tool-call arguments are longer than {MAX_ARGUMENT_BYTES} bytes")
        return parse_arguments(args)

    def _unreadable(
        self, action: Any, exc: GemError, start: int, errors: list[dict[str, Any]]
    ) -> tuple[int, list[dict[str, Any]], list[PendingCall], bool]:
        text = _recordable(action) if isinstance(action, str) else safe_repr(action, 2000)
        self._messages.append({"role": "assistant", "content": text})
        content = self._report(errors, "parse", None, exc)
        self._messages.append({"role": "system", "content": content})
        return start, errors, [], False

    def _report(self, errors: list[dict[str, Any]], kind: str, tool: str | None, exc: BaseException) -> str:
        content = clean_text(format_tool_error(exc))
        errors.append({"kind": kind, "tool": tool, "message": content})
        self._errors += 1
        return content

    def _failure(self, call: PendingCall, exc: BaseException, errors: list[dict[str, Any]]) -> str:
        """The one place a failed tool call becomes the tool message the agent sees."""
        self._calls.append(ExecutedCall(call.name, call.arguments, False))
        return self._report(errors, "simulator" if isinstance(exc, SimulatorError) else "tool", call.name, exc)

    def _user_failed(self, exc: BaseException, errors: list[dict[str, Any]]) -> UserTurn:
        self._report(errors, "user", None, exc)
        self._user_error = True
        return UserTurn(stop=True)

    def _add_user_turn(self, turn: UserTurn) -> None:
        self._messages.append({"role": "user", "content": turn.content})
        self._turn_calls = 0
        if turn.tools:
            self._toolset = self._current_toolset().add(turn.tools)
            self.backend.add_tools(list(turn.tools))
            known = {t["function"]["name"] for t in self._tools}
            self._tools = [*self._tools, *(t.to_openai() for t in turn.tools if t.name not in known)]

    def _conclude(self, start: int, errors: list[dict[str, Any]], turn: UserTurn | None) -> tuple[bool, bool, dict]:
        terminated = truncated = False
        why = None
        if turn is not None:
            if turn.stop:
                if self._user_error:
                    truncated, why = True, "user_error"
                else:
                    terminated = True
                    if turn.content:
                        self._messages.append({"role": "user", "content": turn.content})
            else:
                self._add_user_turn(turn)
        if not terminated and not truncated:
            if errors and any(e["kind"] == "limit" for e in errors):
                truncated, why = True, "max_tool_calls_per_turn"
            elif self._turns >= self.max_turns:
                truncated, why = True, "max_turns"
        info: dict[str, Any] = {
            "task_id": self._active_setup().task.id,
            "new_messages": self._messages[start:],
            "errors": errors,
            "turn": self._turns,
            "tool_calls": self._call_seq,
            "error_count": self._errors,
        }
        if why is not None:
            info["truncated_by"] = why
        if terminated or truncated:
            self._done = True
        return terminated, truncated, info

    def _outcome(self) -> EpisodeOutcome:
        return EpisodeOutcome(
            self._active_setup(), self._messages, list(self._calls), final_state_json=self.backend.state_json()
        )

    def _scored(self, result: RewardResult, info: dict[str, Any]) -> float:
        self.last_reward = result
        info["reward_breakdown"] = result.to_info()
        return float(result.value)

    def _obs(self) -> dict[str, Any]:
        return {"messages": self._messages[:], "tools": self._tools}

    # ---- introspection, snapshots, rendering ----------------------------------------------------
    @property
    def task(self) -> Task | None:
        """The task in play (None before the first reset)."""
        return self._setup.task if self._setup is not None else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far (a copy of the list)."""
        return self._messages[:]

    @property
    def tools(self) -> list[ToolSpec]:
        """The tools available now."""
        return list(self._toolset.specs.values()) if self._toolset is not None else []

    @property
    def done(self) -> bool:
        """True when the episode has ended (or before the first reset)."""
        return self._done

    def snapshot(self) -> EnvSnapshot:
        """An immutable snapshot of the episode; :meth:`restore` continues from it (any number of times)."""
        seeded = self._np_random is not None or self._pending_seed is not None
        rng = self.np_random.bit_generator.state if seeded else None
        counters = EpisodeCounters(self._turns, self._call_seq, self._turn_calls, self._errors, self._done)
        return EnvSnapshot(
            self._setup,
            tuple(self._messages),
            tuple(self._calls),
            self._toolset,
            self._tools,
            counters,
            self._user,
            self.backend.snapshot() if self._setup is not None else None,
            self._user.snapshot() if self._user is not None else None,
            rng,
        )

    def restore(self, snap: EnvSnapshot) -> None:
        """Continue from a snapshot taken on this environment (or one built the same way)."""
        self._setup, self._toolset, self._tools, self._user = snap.setup, snap.toolset, snap.tools, snap.user
        self._messages = list(snap.messages)
        self._calls = list(snap.calls)
        self._turns, self._call_seq, self._turn_calls, self._errors, self._done = snap.counters
        if snap.backend is not None:
            self.backend.restore(snap.backend)
        if snap.user is not None:
            snap.user.restore(snap.user_state)
        if snap.rng_state is not None:
            self.np_random.bit_generator.state = snap.rng_state  # seeds a generator first if there is none
        self.last_reward = None

    def reset_rng(self) -> None:
        """Seed the random generator afresh (as ``reset(seed=None)`` does), leaving the episode as it is."""
        self._pending_seed = None
        super().reset(seed=None)

    def render(self) -> str | None:
        """``render_mode="ansi"``: the conversation as text."""
        if self.render_mode != "ansi":
            return None
        lines = []
        for m in self._messages:
            for c in m.get("tool_calls") or ():
                args = c["function"]["arguments"]
                lines.append(
                    f"[assistant -> {c['function']['name']}] "
                    f"{args if isinstance(args, str) else orjson.dumps(args).decode()}"
                )
            if m.get("content"):
                lines.append(f"[{m['role']}] {m['content']}")
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        """Close the tool backend."""
        self.backend.close()


def _certified(domain: Domain) -> bool:
    """The domain's programs carry a passed certificate that names exactly these programs."""
    cert = domain.certificate or {}
    if not cert.get("passed"):
        return False
    from tools_registry.records import content_hash

    return cert.get("programs_hash") == content_hash(domain.programs)
