"""Re-score recorded conversations on any gem environment (``gem score ENV_ID FILE.jsonl``).

Each row is ``{"task_id": ..., "messages": [OpenAI-format messages]}`` from any framework. The
row's assistant messages are replayed in order on a fresh episode of that task: their tool calls
run again (recorded tool outputs are ignored), their texts count as said, and the user says the
row's user messages in order (a scripted user; BFCL's own user says its entry's turns). When the
row runs out the agent hands the turn back until the episode ends, and the environment's reward
is the row's score. A bad row is a ConfigError naming it; nothing is scored then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError, GemError
from tools_registry.records import parse_arguments

__all__ = ["RowScore", "check_rows", "read_rows", "score_rows"]

_ROLES = ("system", "user", "assistant", "tool")


@dataclass
class RowScore:
    """The score of one row: reward and the environment's reward breakdown."""

    row: int
    task_id: str
    reward: float
    breakdown: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The score as a JSON-ready dict."""
        return {"task_id": self.task_id, "reward": self.reward, "breakdown": self.breakdown}


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file (a line that is not JSON is an error naming it)."""
    rows = []
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path} line {n}: not JSON ({exc})") from exc
    return rows


def _norm_message(m: Any, where: str) -> dict[str, Any]:
    if not isinstance(m, dict) or m.get("role") not in _ROLES:
        raise ConfigError(f"{where}: not an OpenAI message with a role in {_ROLES}: {str(m)[:120]}")
    out = dict(m)
    if not isinstance(m.get("tool_calls") or [], list):
        raise ConfigError(f"{where}: tool_calls must be a list, got {type(m['tool_calls']).__name__}")
    calls = []
    for c in m.get("tool_calls") or ():
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ConfigError(f"{where}: a tool call without function.name: {str(c)[:120]}")
        args = fn.get("arguments")
        try:
            args = parse_arguments(args) if args not in (None, "") else {}
        except GemError:
            pass  # replayed as recorded: the environment reports unreadable arguments
        calls.append({"id": c.get("id") or "", "type": "function", "function": {"name": fn["name"], "arguments": args}})
    if calls:
        out["tool_calls"] = calls
    return out


def check_rows(rows: Iterable[Any], task_ids: set[str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Validated ``(task_id, messages)`` per row, or a ConfigError naming the first bad row."""
    out = []
    for i, row in enumerate(rows):
        where = f"row {i}"
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected an object with task_id and messages, got {type(row).__name__}")
        tid = row.get("task_id")
        if tid is None or isinstance(tid, (dict, list)):
            raise ConfigError(f"{where}: missing task_id")
        tid = str(tid)
        where = f"row {i} (task_id {tid!r})"
        if tid not in task_ids:
            import difflib

            near = difflib.get_close_matches(tid, sorted(task_ids), n=1)
            raise ConfigError(
                f"{where}: no such task in this environment" + (f"; did you mean {near[0]!r}?" if near else "")
            )
        msgs = row.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise ConfigError(f"{where}: messages must be a non-empty list of OpenAI messages")
        out.append((tid, [_norm_message(m, f"{where} message {j}") for j, m in enumerate(msgs)]))
    return out


def _user_turns(messages: list[dict[str, Any]]) -> list[Any]:
    """The user's turns.

    A user message with tool calls (tau2 telecom: the user acting on its phone) joins the next
    user text, so the calls run before that text is said.
    """
    turns: list[Any] = []
    pending: list[dict[str, Any]] = []
    for m in messages:
        if m["role"] != "user":
            continue
        if m.get("tool_calls"):
            pending.extend(m["tool_calls"])
            if not m.get("content"):
                continue
        if pending:
            turns.append({"content": m.get("content") or "", "tool_calls": pending})
            pending = []
        else:
            turns.append(m.get("content") or "")
    if pending:
        turns.append({"content": "", "tool_calls": pending})
    return turns


def _make(env_id: str, env_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The environment and its settable scripted user (None when the env has its own user)."""
    from .bfcl import category_of, make_bfcl_env
    from .tau2 import domain_of, make_tau2_env

    if category_of(env_id) is not None:
        return make_bfcl_env(env_id, **env_kwargs), None
    if domain_of(env_id) is not None:
        from .tau2.users import Tau2ScriptedUser

        tau2_user = Tau2ScriptedUser([])
        return make_tau2_env(env_id, user=tau2_user, **env_kwargs), tau2_user
    from .registration import make_env
    from .users import ScriptedUser

    user = ScriptedUser([])
    return make_env(env_id, user=user, **env_kwargs), user


def _without_opening(env: Any, task_id: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the opening the environment itself plays (a tau2 task's message history) when the row repeats it."""
    opening = env.opening_messages(task_id) if hasattr(env, "opening_messages") else []
    body = [m for m in messages if m["role"] != "system"]
    if (
        opening
        and len(body) >= len(opening)
        and all((a["role"], a.get("content")) == (b["role"], b.get("content")) for a, b in zip(opening, body))
    ):
        return body[len(opening) :]
    return messages


def _replay(env: Any, user: Any, task_id: str, messages: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    messages = _without_opening(env, task_id, messages)
    if user is not None:
        turns = _user_turns(messages)
        if not turns:
            raise ConfigError(f"task {task_id!r}: the conversation has no user message to open with")
        user.turns = turns
    env.reset(options={"task_id": task_id})
    first_user = next((j for j, m in enumerate(messages) if m["role"] == "user"), len(messages))
    reward, info, done = 0.0, {}, False
    for m in messages[first_user + 1 :]:
        if m["role"] != "assistant" or done:
            continue
        action = {"role": "assistant", "content": m.get("content")}
        if m.get("tool_calls"):
            action["tool_calls"] = m["tool_calls"]
        _, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    for _ in range(10_000):
        if done:
            break
        _, reward, terminated, truncated, info = env.step({"role": "assistant", "content": ""})
        done = terminated or truncated
    return float(reward), info.get("reward_breakdown", {})


def score_rows(
    env_id: str, rows: Iterable[Any], *, env_kwargs: dict[str, Any] | None = None, source: str | None = None
) -> list[RowScore]:
    """Score recorded conversations on ``env_id`` (see the module doc); one result per row, in order.

    ``source`` (the rows' file) opens the message of a ConfigError about a row.
    """
    env, user = _make(env_id, dict(env_kwargs or {}))
    try:
        checked = check_rows(rows, {t.id for t in env.tasks})
        out = []
        for i, (tid, msgs) in enumerate(checked):
            reward, breakdown = _replay(env, user, tid, msgs)
            out.append(RowScore(i, tid, reward, breakdown))
        return out
    except ConfigError as exc:
        if source is None:
            raise
        raise ConfigError(f"{source}: {exc}") from None
    finally:
        env.close()
