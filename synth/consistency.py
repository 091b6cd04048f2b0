"""State consistency: replay a trajectory's tool calls on its initial state and flag contradictions.

What the paper does not check. Two layers:
- ``state_problems`` (deterministic, always on): every record a tool output shows (a dict with an
  id-like field whose value keys a record of the initial state) must agree with that record on
  their shared scalar fields, unless an earlier successful write named the record; a failed call
  that says "not found" for an existing, untouched record is a contradiction; a record of a known
  collection that is neither in the state nor created by an earlier write is flagged.
- ``replay_problems`` (optional, async): an ``oracle(spec, arguments, state, history) -> (output,
  patch)`` plays each tool on the evolving state (gem_env's simulated tool backend, or Python
  tools); recorded outputs that disagree with the oracle's (success vs failure, or a differing
  scalar at the same path) are contradictions. The oracle's patches are applied as it goes.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import jsonpatch
import orjson

from tools_registry.records import Trajectory
from tools_registry.specs import ToolSpec

__all__ = ["Oracle", "index_records", "replay_problems", "replay_state", "simulated_oracle", "state_problems"]

Oracle = Callable[
    [ToolSpec, dict[str, Any], dict[str, Any], list[dict[str, Any]]],
    Awaitable[tuple["str | None", list[dict[str, Any]]]],
]
_NOT_FOUND = ("not found", "does not exist", "no such", "unknown ")


def _id_field(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "Id"))


def index_records(state: Any) -> tuple[dict[tuple[str, str], dict[str, Any]], set[str]]:
    """``{(id_field, value): record}`` for records in the state, and the id field names seen.

    A record is a dict inside a list (its id fields index it) or a dict-valued entry of a mapping
    keyed by id (the key indexes it under the record's own id fields, or under 'id').
    """
    index: dict[tuple[str, str], dict[str, Any]] = {}
    fields: set[str] = set()

    def walk(value: Any, key_of_parent: str | None) -> None:
        if isinstance(value, dict):
            ids = [
                (k, v)
                for k, v in value.items()
                if _id_field(k) and isinstance(v, (str, int)) and not isinstance(v, bool)
            ]
            if ids:
                k, v = ids[0]  # the record's own key is its first id field
                index.setdefault((k, str(v)), value)
                fields.add(k)
            for k, v in value.items():
                walk(v, k)
            if value and all(isinstance(v, dict) for v in value.values()):
                for k, v in value.items():
                    own = [f for f in v if _id_field(f)]
                    if not own:
                        index.setdefault(("id", str(k)), v)
                        fields.add("id")
        elif isinstance(value, list):
            for v in value:
                walk(v, key_of_parent)

    walk(state, None)
    return index, fields


def _records_in(
    value: Any, fields: set[str], index: dict[tuple[str, str], dict[str, Any]]
) -> list[tuple[tuple[str, str], dict[str, Any] | None, dict[str, Any]]]:
    """``(key, state_record or None, shown_dict)`` for every dict in an output that names a record.

    Among a dict's id fields, the one keying the state record that shares most field names wins
    (an order shown with its user_id is matched to the order, not the user).
    """
    out: list[tuple[tuple[str, str], dict[str, Any] | None, dict[str, Any]]] = []
    if isinstance(value, dict):
        cands = [
            (k, str(v))
            for k, v in value.items()
            if k in fields and isinstance(v, (str, int)) and not isinstance(v, bool)
        ]
        known = [(key, index[key]) for key in cands if key in index]
        if known:
            key, rec = max(known, key=lambda kr: len(kr[1].keys() & value.keys()))
            out.append((key, rec, value))
        elif cands:
            out.append((cands[0], None, value))
        for v in value.values():
            out += _records_in(v, fields, index)
    elif isinstance(value, list):
        for v in value:
            out += _records_in(v, fields, index)
    return out


def _strings(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return {str(value)} if isinstance(value, (str, int)) and not isinstance(value, bool) else set()


def _parse(text: str | None) -> Any:
    if not text or text.lstrip()[:1] not in "{[":
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def state_problems(traj: Trajectory, initial_state: dict[str, Any]) -> list[str]:
    """Contradictions between recorded tool outputs and the initial state (see the module doc)."""
    index, fields = index_records(initial_state)
    if not index:
        return []
    mutating = {t.name for t in traj.tools if t.mutates}
    known_tools = {t.name for t in traj.tools}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    touched: set[str] = set()
    problems: list[str] = []
    for i, m in enumerate(traj.messages):
        for c in m.tool_calls or []:
            calls[c.id] = (c.function.name, c.function.arguments)
        if m.role != "tool" or m.tool_call_id not in calls:
            continue
        name, args = calls[m.tool_call_id]
        out = _parse(m.content)
        is_write = name in mutating or name not in known_tools
        if out is None:
            low = (m.content or "").lower()
            if any(p in low for p in _NOT_FOUND):
                for v in _strings(args):
                    if any((f, v) in index for f in fields) and v not in touched:
                        problems.append(f"[state] message #{i}: {name} says not found, but '{v}' is in the state")
            continue
        if is_write:  # a write's output shows the new state: it names the records it changed
            touched |= _strings(args) | _strings(out)
            continue
        for key, rec, shown in _records_in(out, fields, index):
            if key[1] in touched:
                continue
            if rec is None:
                problems.append(
                    f"[state] message #{i}: {name} shows {key[0]}={key[1]!r}, which is not in the state "
                    f"and no earlier write created it"
                )
                continue
            for f, v in shown.items():
                if (
                    f in rec
                    and not isinstance(v, (dict, list))
                    and not isinstance(rec[f], (dict, list))
                    and rec[f] != v
                ):
                    if isinstance(v, (int, float)) and isinstance(rec[f], (int, float)) and float(v) == float(rec[f]):
                        continue
                    problems.append(
                        f"[state] message #{i}: {name} shows {key[0]}={key[1]!r} with {f}={v!r}, "
                        f"the state has {rec[f]!r}"
                    )
    return problems


def _diff_scalars(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() & b.keys() for d in _diff_scalars(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff_scalars(x, y, f"{path}/{i}")]
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return []
    return [] if a == b else [f"{path or '/'}: recorded {a!r}, replay {b!r}"]


async def replay_problems(traj: Trajectory, initial_state: dict[str, Any], oracle: Oracle) -> list[str]:
    """Replay every call through ``oracle`` on the evolving state; report outputs that disagree."""
    return (await replay_state(traj, initial_state, oracle))[0]


async def replay_state(
    traj: Trajectory, initial_state: dict[str, Any], oracle: Oracle
) -> tuple[list[str], dict[str, Any]]:
    """:func:`replay_problems` and the replay's final state (what the compile step verifies against)."""
    state = copy.deepcopy(initial_state)
    specs = {t.name: t for t in traj.tools}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    history: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, m in enumerate(traj.messages):
        history.append(m.to_dict())
        for c in m.tool_calls or []:
            calls[c.id] = (c.function.name, c.function.arguments)
        if m.role != "tool" or m.tool_call_id not in calls:
            continue
        name, args = calls[m.tool_call_id]
        if name not in specs:
            continue
        output, patch = await oracle(specs[name], copy.deepcopy(args), copy.deepcopy(state), history[:-1])
        if output is None:  # the oracle could not answer: nothing to compare
            continue
        if patch:
            try:
                state = jsonpatch.apply_patch(state, patch, in_place=False)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                problems.append(f"[replay] message #{i}: {name}: the replayed patch does not apply ({exc})")
        rec, rep = _parse(m.content), _parse(output)
        if (rec is None) != (rep is None):
            problems.append(
                f"[replay] message #{i}: {name} recorded {'an error' if rec is None else 'a success'}, "
                f"the replay gives {'an error' if rep is None else 'a success'}: {output[:120]!r}"
            )
        elif rec is not None:
            diffs = _diff_scalars(rec, rep)
            if diffs:
                problems.append(
                    f"[replay] message #{i}: {name} output disagrees with the state: {'; '.join(diffs[:3])}"
                )
    return problems, state


def simulated_oracle(
    llm: Any, traj: Trajectory, state_schema: dict[str, Any], initial_state: dict[str, Any], **options: Any
) -> Oracle:
    """An Oracle backed by gem_env's SimulatedToolBackend (an LLM plays each tool over the state).

    The backend keeps its own copy of the state and applies its patches; a simulator that gives
    no usable answer yields ``(None, [])`` (that call is not compared).
    """
    from gem_env.simulated import SimulatedToolBackend
    from gem_env.tool_backends import EpisodeSetup
    from tools_registry.errors import SimulatorError, ToolError
    from tools_registry.records import Domain, Task, UserScenario

    system = traj.messages[0].content if traj.messages and traj.messages[0].role == "system" else ""
    domain = Domain(
        name="synth-check",
        policy=system or "",
        tools=list(traj.tools),
        state_schema=state_schema,
        initial_state=initial_state,
    )
    task = Task(id="check", domain="synth-check", user=UserScenario(instruction="replay"))
    backend = SimulatedToolBackend(llm, **options)
    backend.reset(
        EpisodeSetup(
            task=task,
            domain=domain,
            tools=list(traj.tools),
            policy=system or "",
            initial_state=initial_state,
            initial_state_json=orjson.dumps(initial_state),
        )
    )

    async def oracle(
        spec: ToolSpec, arguments: dict[str, Any], state: dict[str, Any], history: list[dict[str, Any]]
    ) -> tuple[str | None, list[dict[str, Any]]]:
        try:
            out = await backend.acall(spec.name, arguments, history)
        except ToolError as exc:
            return f"Error: {exc}", []
        except SimulatorError:
            return None, []
        calls = backend.recording().calls
        return out, list(calls[-1].patch or []) if calls else []

    return oracle
