"""``BFCLMultiTurnEnv``: one BFCL v3/v4 multi-turn category as a gem ``ToolUseEnv``.

Builds a Domain and one Task per entry, and wires the BFCL backend, user and reward from
``components.py``. What the generic env does not do the BFCL way is adjusted here, in two
small overrides: arguments are not schema-checked before execution (bfcl-eval runs what the
model sends), and a turn with more than bfcl-eval's step limit of tool-calling messages ends
the episode (bfcl-eval's force-quit).
"""

from __future__ import annotations

import os
from typing import Any

from tools_registry.records import Domain, Message, Task
from tools_registry.validation import ToolSet

from ..env import ToolUseEnv
from ..users import UserTurn
from .components import BFCLReward, BFCLToolBackend, BFCLUser
from .data import BFCLEntry, entry_to_task, load_entries, resolve_data_dir
from .execution import BFCLExecutor, ground_truth_tool_calls

__all__ = ["MAXIMUM_STEP_LIMIT", "BFCLMultiTurnEnv", "domain_name", "reference_messages"]

#: bfcl-eval's ``MAXIMUM_STEP_LIMIT`` (a test checks it against the package).
MAXIMUM_STEP_LIMIT = 20


def domain_name(category: str) -> str:
    """``base`` -> ``bfcl-multi-turn-base`` (the env id is ``gem/<domain>-v0``)."""
    return "bfcl-multi-turn-" + category.replace("_", "-")


class _UncheckedToolSet(ToolSet):
    """A ToolSet whose ``check_call`` lets every call through to the backend (bfcl-eval checks nothing)."""

    __slots__ = ()

    def check_call(self, name: str, arguments: Any) -> None:
        return None

    def add(self, tools: Any) -> _UncheckedToolSet:
        return _UncheckedToolSet([*self.specs.values(), *tools])


def _chunks(calls: list[Any], limit: int) -> list[list[Any]]:
    size = -(-len(calls) // limit) if calls else 1
    return [calls[i : i + size] for i in range(0, len(calls), size)]


def reference_messages(entry: BFCLEntry, task: Task, step_limit: int = MAXIMUM_STEP_LIMIT) -> list[Message]:
    """The ground truth as a conversation, which ``OracleAgent`` replays (the fidelity check).

    One call per assistant message (parallel calls when a turn has more calls than bfcl-eval's
    step limit), bfcl-eval's outputs, and a closing text per turn.
    """
    calls = ground_truth_tool_calls(entry)
    executor = BFCLExecutor(entry)
    out: list[dict[str, Any]] = []
    n = 0
    try:
        for text, turn in zip(task.user.turns or [], calls):
            out.append({"role": "user", "content": text})
            for chunk in _chunks(turn, step_limit) if turn else []:
                ids = [f"call_{n + i + 1}" for i in range(len(chunk))]
                n += len(chunk)
                out.append(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                            for cid, (name, args) in zip(ids, chunk)
                        ],
                    }
                )
                for cid, (name, _args), result in zip(ids, chunk, executor.execute_step(chunk)):
                    out.append({"role": "tool", "tool_call_id": cid, "name": name, "content": result})
            out.append(
                {
                    "role": "assistant",
                    "content": "Done."
                    if turn
                    else "I cannot complete this request with the functions and information I have.",
                }
            )
    finally:
        executor.close()
    return [Message.model_validate(m) for m in out]


class BFCLMultiTurnEnv(ToolUseEnv):
    """A BFCL multi-turn category (base, miss_func, miss_param, long_context) as a gem environment.

    ## Description
    One task per BFCL entry. The user says the entry's turns in order; the agent works each turn
    with tool calls and hands the turn back with a message that calls no tool.

    ## Tools
    The entry's BFCL function docs, converted by ``ToolSpec.from_bfcl`` (with bfcl-eval's Python
    hint appended to descriptions, as bfcl-eval shows them). Calls execute in bfcl-eval's own
    classes (file system, messaging, trading, travel, vehicle, ...) seeded with the entry's
    ``initial_config``; outputs are bfcl-eval's result strings. In miss_func, the held-out
    functions are revealed at their turn, with bfcl-eval's "I have updated some more functions"
    user message.

    ## Observation
    ``{"messages", "tools"}`` as in ``ToolUseEnv`` (no system prompt: bfcl-eval sends none to
    function-calling models).

    ## Action
    An assistant message (OpenAI dict) or raw text (``parser``). Arguments are not checked
    against the schemas: bfcl-eval executes what the model sends and a wrong call fails inside
    the tool. Calls to names that are not functions of the entry are refused (tool error).

    ## Reward
    bfcl-eval's ``multi_turn_checker`` on the calls made (state and execution-response checks
    after every turn): 1.0 when all turns pass, else 0.0. ``info["reward_breakdown"]`` has the
    checker's verdict and ``details["turns"]``, a per-turn breakdown.

    ## Episode End
    Terminated after the agent hands back the last turn. Truncated when a turn has more than
    bfcl-eval's step limit (20) of tool-calling messages (bfcl-eval's force-quit): the reward is
    then scored as bfcl-eval scores a force-terminated entry.

    ## Arguments
    ``BFCLMultiTurnEnv(category="base", *, data_dir=None, task_ids=None, language_hint=True,
    reference=True, step_limit=20, parser="hermes", render_mode=None)``

    - ``category``: ``base``, ``miss_func``, ``miss_param`` or ``long_context``.
    - ``data_dir``: a BFCL data folder (e.g. the v3 files); default ``$GEM_BFCL_DATA_DIR``, else
      the v4 files bfcl-eval ships.
    - ``reference``: attach the ground truth as each task's reference conversation (for
      ``OracleAgent``), built when the task is first reset.

    ## Version History
    - v0: first version (bfcl-eval 2026.3.23; v3 and v4 data).
    """

    def __init__(
        self,
        category: str = "base",
        *,
        data_dir: str | os.PathLike[str] | None = None,
        task_ids: list[str] | None = None,
        language_hint: bool = True,
        reference: bool = True,
        step_limit: int = MAXIMUM_STEP_LIMIT,
        parser: str | None = "hermes",
        render_mode: str | None = None,
        per_turn: bool = True,
    ):
        folder = resolve_data_dir(data_dir)
        entries = load_entries(category, folder)
        if task_ids is not None:
            wanted = set(task_ids)
            entries = [e for e in entries if e.id in wanted]
        self.category = category
        self.data_dir = folder
        self.entries = {e.id: e for e in entries}
        self.step_limit = int(step_limit)
        name = domain_name(category)
        self.reference = reference
        tasks = [entry_to_task(e, name, language_hint=language_hint) for e in entries]
        version = entries[0].version if entries else "v4"
        longest = max((len(e.turns) for e in entries), default=1)
        domain = Domain(
            name=name,
            description=f"BFCL {version} multi-turn, {category} category ({folder})",
            policy="",
            tools=[],
            max_turns=longest * (self.step_limit + 2),
            meta={"bfcl": {"category": category, "version": version, "data_dir": str(folder)}},
        )
        super().__init__(
            domain,
            tasks,
            tools=BFCLToolBackend(self.entries),
            user=BFCLUser(),
            reward=BFCLReward(self.entries, per_turn=per_turn),
            max_turns=domain.max_turns,
            max_tool_calls_per_turn=10**9,
            parser=parser,
            task_ids=task_ids,
            render_mode=render_mode,
        )

    @property
    def version(self) -> str:
        """``v3`` or ``v4``: the BFCL data version in play."""
        return self.domain.meta["bfcl"]["version"]

    def _setup_for(self, task: Task):
        if self.reference and not task.reference:  # built on first use: ~5 ms per task
            task.reference = reference_messages(self.entries[task.id], task, self.step_limit)
        setup, toolset, tools = super()._setup_for(task)
        if not isinstance(toolset, _UncheckedToolSet):
            toolset = _UncheckedToolSet(setup.tools)
            self._setups[task.id] = (setup, toolset, tools)
        return setup, toolset, tools

    def _steps_in_turn(self) -> int:
        """Tool-calling assistant messages since the last user message (bfcl-eval's step count)."""
        n = 0
        for m in reversed(self._messages):
            if m.get("role") == "user":
                break
            if m.get("role") == "assistant" and m.get("tool_calls"):
                n += 1
        return n

    def _conclude(self, start: int, errors: list[dict[str, Any]], turn: UserTurn | None) -> tuple[bool, bool, dict]:
        over = self._steps_in_turn() > self.step_limit  # counted before a new user turn is added
        terminated, truncated, info = super()._conclude(start, errors, turn)
        if over and not (terminated or truncated):
            truncated = True
            info["truncated_by"] = "bfcl_step_limit"
            self._done = True
        return terminated, truncated, info
