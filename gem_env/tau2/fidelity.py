"""Fidelity tools: gold conversations, and the same conversation run through tau2's own pipeline.

:func:`gold_conversation` turns a task's gold actions (and the facts it must communicate) into an
OpenAI-format conversation for ``gem score``. :func:`run_tau2_pipeline` plays a scripted agent and
a scripted user through tau2's own ``Orchestrator`` on tau2's own environment (built by the
domain's registered constructor, DB loaded from file) and scores it with tau2's
``evaluate_simulation``: the reference the gem reward is compared with.
"""

from __future__ import annotations

import json
from typing import Any

from ._tau2 import require_tau2

__all__ = ["agent_script", "gold_conversation", "run_tau2_pipeline", "simulation_to_openai"]

_STOP = "###STOP###"


def gold_conversation(task: Any, *, communicate: bool = True) -> list[dict[str, Any]]:
    """The task's gold conversation.

    User opening, one assistant call per gold action (user-side actions as user tool calls),
    a closing assistant text with the facts to communicate, and the user's stop.
    """
    crit = task.evaluation_criteria
    ins = task.user_scenario.instructions
    opening = ins if isinstance(ins, str) else ins.reason_for_call
    msgs: list[dict[str, Any]] = [{"role": "user", "content": opening or "Hello."}]
    pending_user: list[dict[str, Any]] = []
    for i, a in enumerate(crit.actions or [] if crit is not None else []):
        call = {"id": f"gold_{i}", "type": "function", "function": {"name": a.name, "arguments": dict(a.arguments)}}
        if a.requestor == "user":
            pending_user.append(call)
            continue
        if pending_user:
            msgs.append({"role": "assistant", "content": "Please do that on your phone."})
            msgs.append({"role": "user", "content": "Done.", "tool_calls": pending_user})
            pending_user = []
        msgs.append({"role": "assistant", "content": None, "tool_calls": [call]})
    facts = list(crit.communicate_info or []) if crit is not None and communicate else []
    msgs.append(
        {
            "role": "assistant",
            "content": "Here is the outcome: " + ", ".join(map(str, facts))
            if facts
            else "Is there anything else I can help you with?",
        }
    )
    if pending_user:
        msgs.append({"role": "user", "content": "Done.", "tool_calls": pending_user})
        msgs.append({"role": "assistant", "content": "Thank you."})
    msgs.append({"role": "user", "content": _STOP})
    return msgs


def agent_script(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Split an OpenAI conversation into the agent's messages and the user's turns (after the opening)."""
    agent = [m for m in messages if m["role"] == "assistant"]
    users = [
        ({"content": m.get("content"), "tool_calls": m["tool_calls"]} if m.get("tool_calls") else m.get("content"))
        for m in messages
        if m["role"] == "user"
    ]
    return agent, users


def _tool_calls(calls: list[dict[str, Any]], requestor: str) -> list[Any]:
    t2 = require_tau2()
    out = []
    for i, c in enumerate(calls):
        args = c["function"]["arguments"]
        args = json.loads(args) if isinstance(args, str) else args
        out.append(
            t2.ToolCall(id=c.get("id") or f"call_{i}", name=c["function"]["name"], arguments=args, requestor=requestor)
        )
    return out


def run_tau2_pipeline(
    domain: str, task: Any, messages: list[dict[str, Any]], *, max_steps: int = 200, max_errors: int = 10
) -> tuple[float, Any]:
    """Play ``messages`` (OpenAI format) through tau2's Orchestrator on tau2's own environment.

    The scripted agent says the conversation's assistant messages in order (after tau2's greeting);
    the scripted user says its user messages (user tool calls run on the device), then stops.
    Returns tau2's reward (``evaluate_simulation`` with ``EvaluationType.ALL``; 0.0 when the
    evaluator raises, as tau2's ``run_tasks`` scores a failed sample) and the SimulationRun.
    """
    t2 = require_tau2()
    from tau2.agent.base import LocalAgent
    from tau2.user.base import BaseUser, UserState

    agent_msgs, user_turns = agent_script(messages)

    class ScriptedAgent(LocalAgent):
        def __init__(self) -> None:
            self.i = 0

        def get_init_state(self, message_history: Any = None) -> Any:
            return None

        def generate_next_message(self, message: Any, state: Any) -> Any:
            m: dict[str, Any] = agent_msgs[self.i] if self.i < len(agent_msgs) else {"content": "Goodbye."}
            self.i += 1
            calls = _tool_calls(m["tool_calls"], "assistant") if m.get("tool_calls") else None
            return t2.AssistantMessage(
                role="assistant", content=None if calls else (m.get("content") or " "), tool_calls=calls
            ), state

        def stop(self, message: Any = None, state: Any = None) -> None:
            return None

        def set_seed(self, seed: int) -> None:
            return None

    class ScriptedUser(BaseUser):
        def __init__(self) -> None:
            super().__init__(instructions="scripted")
            self.i = 0
            self.pending: str | None = None

        def get_init_state(self, message_history: Any = None) -> Any:
            return UserState(system_messages=[], messages=[])

        @classmethod
        def is_stop(cls, message: Any) -> bool:
            return not message.is_tool_call() and any(
                s in (message.content or "") for s in (t2.STOP, t2.TRANSFER, t2.OUT_OF_SCOPE)
            )

        def generate_next_message(self, message: Any, state: Any) -> Any:
            if self.pending is not None:
                text, self.pending = self.pending, None
                return t2.UserMessage(role="user", content=text), state
            turn = user_turns[self.i] if self.i < len(user_turns) else _STOP
            self.i += 1
            if isinstance(turn, dict):
                self.pending = turn.get("content") or "Done."
                return t2.UserMessage(
                    role="user", content=None, tool_calls=_tool_calls(turn["tool_calls"], "user")
                ), state
            return t2.UserMessage(role="user", content=turn or " "), state

        def set_seed(self, seed: int) -> None:
            return None

    from tau2.orchestrator.orchestrator import Orchestrator

    env = t2.registry.get_env_constructor(domain)()
    orch = Orchestrator(
        domain=domain,
        agent=ScriptedAgent(),
        user=ScriptedUser(),
        environment=env,
        task=task,
        max_steps=max_steps,
        max_errors=max_errors,
    )
    sim = orch.run()
    try:
        info = t2.evaluate_simulation(sim, task, t2.EvaluationType.ALL, solo_mode=False, domain=domain)
    except Exception:  # tau2's run_tasks scores a failed evaluation 0.0 (skip_failed_samples)
        return 0.0, sim
    return float(info.reward), sim


def simulation_to_openai(sim: Any) -> list[dict[str, Any]]:
    """A tau2 SimulationRun's messages in OpenAI format (user tool calls kept on user messages)."""
    out: list[dict[str, Any]] = []
    for m in sim.messages:
        if m.role == "tool":
            if m.requestor == "assistant":
                out.append({"role": "tool", "tool_call_id": m.id, "content": m.content})
            continue
        msg: dict[str, Any] = {"role": m.role, "content": m.content}
        if getattr(m, "tool_calls", None):
            msg["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in m.tool_calls
            ]
        out.append(msg)
    return out
