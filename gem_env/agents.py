"""Agents: what produces the assistant messages of an episode.

An :class:`Agent` has ``async act(observation) -> assistant message dict or raw text`` and
``reset(task_id, seed)`` called at the start of each episode. Implementations:
:class:`LLMAgent` (any ``gem_env.llm`` backend: OpenAI-compatible server, vLLM, transformers,
scripted), :class:`OracleAgent` (replays the task's reference assistant messages: the upper
bound, reward 1.0 on consistent tasks) and :class:`RandomAgent` (schema-valid random tool calls
and random text: the lower bound). :func:`make_agent` builds one from a string
(``oracle``, ``random``, or a model string such as ``openai:qwen3-8b``).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from tools_registry.errors import ConfigError
from tools_registry.records import Task
from tools_registry.validation import ToolSet

from .role_sampling import TOOL_CHOICES, role_sampling
from .spaces import AssistantMessageSpace, random_text

__all__ = ["Agent", "LLMAgent", "OracleAgent", "RandomAgent", "check_agent_spec", "make_agent", "turn_seed"]


def turn_seed(seed: int, task_id: str | None, turn: int) -> int:
    """The sampling seed of one assistant turn: a 31-bit hash of (task id, episode seed, turn index).

    Every turn of an episode, and the same episode seed on another task, gets its own random stream.
    One seed for all calls would replay the same random numbers at every turn (and on every task
    with the same episode seed), so sampled rewards would not be independent draws.
    """
    digest = hashlib.blake2b(f"{task_id}\x00{seed}\x00{turn}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


class Agent(ABC):
    """Produces one assistant message per call, from the observation."""

    name: str = "agent"

    def reset(self, task: Task | None = None, seed: int | None = None) -> None:
        """Called at the start of every episode with its task and seed (no-op by default)."""

    @abstractmethod
    async def act(self, observation: dict[str, Any]) -> dict[str, Any] | str:
        """The next assistant message (OpenAI dict) or raw model text."""

    def clone(self) -> Agent:
        """A copy for another concurrent episode (agents with per-episode state override this)."""
        return self

    async def aclose(self) -> None:
        """Release what the agent holds (an LLM agent's HTTP session); call it in the loop that used it."""


class LLMAgent(Agent):
    """A model behind any ``gem_env.llm`` backend.

    Args:
        backend: An ``LLMBackend`` or a model string (``openai:...``, ``vllm:...``, ``hf:...``).
        sampling: Sampling options for every call (e.g. ``{"temperature": 0.7, "max_tokens": 1024}``);
            defaults: ``ROLE_DEFAULTS["agent"]``, then the backend's ``default_sampling``.
        seed_sampling: Send a sampling ``seed`` derived from the episode seed, the task and the turn
            (:func:`turn_seed`; reproducible where served, independent across turns and tasks).
        tool_choice: ``"auto"``, ``"required"`` (force a tool call), ``"none"`` or an OpenAI
            ``{"type": "function", "function": {"name": ...}}``; sent only on turns that offer tools.
            None sends nothing (the server's default, ``auto``).
    """

    def __init__(
        self,
        backend: Any,
        *,
        sampling: dict[str, Any] | None = None,
        seed_sampling: bool = True,
        tool_choice: str | dict[str, Any] | None = None,
    ):
        if isinstance(backend, str):
            from .llm import make_backend

            backend = make_backend(backend)
        if isinstance(tool_choice, str) and tool_choice not in TOOL_CHOICES:
            raise ConfigError(
                f"tool_choice must be one of {', '.join(TOOL_CHOICES)} or a function dict, not {tool_choice!r}"
            )
        self.backend = backend
        sampling = dict(sampling or {})
        if tool_choice is None:
            tool_choice = sampling.pop("tool_choice", None)
        self.sampling = role_sampling("agent", backend, sampling)
        self.tool_choice = tool_choice
        self.seed_sampling = seed_sampling
        self.name = getattr(backend, "name", "llm")
        self._seed: int | None = None
        self._task_id: str | None = None

    def reset(self, task: Task | None = None, seed: int | None = None) -> None:
        """Remember the episode's seed and task (the sampling seeds derive from them when ``seed_sampling``)."""
        self._seed = seed
        self._task_id = task.id if task is not None else None

    async def aclose(self) -> None:
        """Close the model backend."""
        await self.backend.aclose()

    def clone(self) -> LLMAgent:
        """A new agent on the same backend with the same settings and name."""
        twin = LLMAgent(
            self.backend, sampling=self.sampling, seed_sampling=self.seed_sampling, tool_choice=self.tool_choice
        )
        twin.name = self.name
        return twin

    def used_sampling(self) -> dict[str, Any]:
        """The options every call sends (a per-turn seed and, on turns with tools, ``tool_choice`` added)."""
        out = dict(self.sampling)
        if self.tool_choice is not None:
            out["tool_choice"] = self.tool_choice
        return out

    async def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """Ask the model for the next assistant message given the observation."""
        sampling = dict(self.sampling)
        if self.seed_sampling and self._seed is not None and "seed" not in sampling:
            turn = sum(1 for m in observation["messages"] if m.get("role") == "assistant")
            sampling["seed"] = turn_seed(self._seed, self._task_id, turn)
        tools = observation["tools"] or None
        if tools and self.tool_choice is not None:
            sampling["tool_choice"] = self.tool_choice
        reply = await self.backend.chat(observation["messages"], tools=tools, caller="agent", **sampling)
        return reply.message


class OracleAgent(Agent):
    """Replays the reference assistant messages of the task in play, one per step."""

    name = "oracle"

    def __init__(self) -> None:
        self._replies: list[dict[str, Any]] = []
        self._next = 0

    def reset(self, task: Task | None = None, seed: int | None = None) -> None:
        """Load the task's reference assistant replies to replay.

        Raises:
            ConfigError: No task given.
        """
        if task is None:
            raise ConfigError("the oracle agent needs the task (run it through run_episode/rollout)")
        self._replies = [m.to_dict() for m in task.reference if m.role == "assistant"]
        if not self._replies:
            raise ConfigError(f"task '{task.id}' has no reference assistant messages for the oracle")
        self._next = 0

    def clone(self) -> OracleAgent:
        """A fresh oracle agent."""
        return OracleAgent()

    async def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The next reference assistant reply (an empty text once they run out)."""
        if self._next >= len(self._replies):
            return {"role": "assistant", "content": ""}
        reply = self._replies[self._next]
        self._next += 1
        return reply


class RandomAgent(Agent):
    """Random schema-valid tool calls, then random text that hands the turn back.

    Args:
        p_call: Probability that a step is a tool call (otherwise random text).
        seed: Base seed; each episode reseeds from ``(seed, episode seed)`` so runs replay.
    """

    name = "random"

    def __init__(self, p_call: float = 0.7, seed: int = 0):
        self.p_call = p_call
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def reset(self, task: Task | None = None, seed: int | None = None) -> None:
        """Seed the agent's random generator from its own seed and the episode's."""
        self._rng = np.random.default_rng([self.seed, seed if seed is not None else 0])

    def clone(self) -> RandomAgent:
        """A fresh random agent with the same call probability and seed."""
        return RandomAgent(self.p_call, self.seed)

    async def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """A random tool call valid for the offered tools (with probability ``p_call``), else a text."""
        tools = observation["tools"]
        if tools and self._rng.random() < self.p_call:
            space = AssistantMessageSpace(lambda: ToolSet(tools), parser=None)
            space._np_random = self._rng
            return space.sample()
        return {"role": "assistant", "content": random_text(self._rng)}


def check_agent_spec(spec: str) -> None:
    """Raise a ConfigError naming every accepted form unless ``spec`` is oracle, random or a model string."""
    from .llm.factory import BACKEND_KINDS

    kind, sep, _ = spec.partition(":")
    if spec in ("oracle", "random") or (sep and kind in BACKEND_KINDS):
        return
    raise ConfigError(
        f"unknown agent or model {spec!r}: use oracle, random, or a model string "
        "(openai:<model>, vllm:<model or path>, hf:<model id or path>, scripted:)"
    )


def make_agent(spec: str | Agent, **kwargs: Any) -> Agent:
    """``"oracle"``, ``"random"``, a model string (``openai:...``), or an Agent unchanged."""
    if isinstance(spec, Agent):
        return spec
    check_agent_spec(spec)
    if spec == "oracle":
        return OracleAgent()
    if spec == "random":
        return RandomAgent(**kwargs)
    return LLMAgent(spec, **kwargs)
