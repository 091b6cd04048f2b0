"""Whole-domain validation: everything ``gem domains validate`` reports, all problems at once.

Checks the tools (Stage-2 rules), the state schema and initial state, every task (tool overrides,
initial state, reference calls against the tools, gold actions, the final-state patch) and, when
the domain has ``tools.py``, that domain.json matches the code and every reference replays.
"""

from __future__ import annotations

import jsonpatch
import jsonschema

from .domains import LoadedDomain
from .errors import ToolError
from .reference import check_task_reference
from .validation import ToolSet, tool_problems

__all__ = ["domain_problems"]


def _schema_problems(schema: dict, label: str) -> list[str]:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return [f"{label}: {e.message}" for e in cls(cls.META_SCHEMA).iter_errors(schema)]


def _state_problems(schema: dict, state: dict, label: str) -> list[str]:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator = cls(schema)
        return [
            f"{label}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(state)
        ][:10]
    except jsonschema.SchemaError:
        return []  # reported by _schema_problems


def domain_problems(loaded: LoadedDomain, *, replay: bool = True) -> list[str]:
    """Every problem found in a loaded domain, each line naming where it is."""
    d = loaded.domain
    out: list[str] = [f"domain.json tools: {p}" for p in tool_problems(d.tools)]
    schema_bad = _schema_problems(d.state_schema, "domain.json state_schema")
    out += schema_bad
    if not schema_bad:
        out += _state_problems(d.state_schema, d.initial_state, "domain.json initial_state")
    try:
        domain_tools = ToolSet(d.tools)
    except Exception as exc:  # an uncompilable schema was already reported above
        out.append(f"domain.json tools: cannot compile: {exc}")
        return out
    if loaded.toolkit is not None:
        code = {s.name: s for s in loaded.toolkit.tool_specs()}
        disk = {s.name: s for s in d.tools}
        for name in sorted(set(code) ^ set(disk)):
            where = "tools.py" if name in code else "domain.json"
            out.append(f"tool '{name}' is only in {where}: rebuild domain.json from tools.py")
        for name in sorted(set(code) & set(disk)):
            if code[name].parameters != disk[name].parameters or code[name].mutates != disk[name].mutates:
                out.append(f"tool '{name}': domain.json differs from tools.py: rebuild domain.json")
        try:
            loaded.toolkit(loaded.domain.initial_state)
        except Exception as exc:  # pydantic ValidationError or the State's own checks
            out.append(f"domain.json initial_state does not load into tools.py's State: {exc}")
            replay = False
    if not loaded.tasks:
        out.append("tasks.jsonl: no tasks")
    for task in loaded.tasks:
        label = f"task '{task.id}'"
        tools = domain_tools
        if task.tools is not None:
            out += [f"{label} tools: {p}" for p in tool_problems(task.tools)]
            try:
                tools = ToolSet(task.tools)
            except Exception as exc:
                out.append(f"{label} tools: cannot compile: {exc}")
                continue
        state = task.initial_state if task.initial_state is not None else d.initial_state
        if task.initial_state is not None and not schema_bad:
            out += _state_problems(d.state_schema, state, f"{label} initial_state")
        answered: set[str] = set()
        pending: set[str] = set()
        for i, msg in enumerate(task.reference):
            if msg.role == "system":
                out.append(
                    f"{label} reference[{i}]: no system message in a reference (the policy is the system prompt)"
                )
            for call in msg.tool_calls or []:
                pending.add(call.id)
                try:
                    tools.check_call(call.function.name, call.function.arguments)
                except ToolError as exc:
                    out.append(f"{label} reference[{i}]: {exc}")
            if msg.role == "tool":
                if msg.tool_call_id not in pending:
                    out.append(f"{label} reference[{i}]: tool message answers unknown call '{msg.tool_call_id}'")
                answered.add(msg.tool_call_id or "")
        for cid in sorted(pending - answered):
            out.append(f"{label}: call '{cid}' is never answered")
        for gold in task.criteria.actions:
            if gold.name not in tools:
                out.append(f"{label} criteria.actions: unknown tool '{gold.name}'")
            elif not tools.specs[gold.name].mutates:
                out.append(f"{label} criteria.actions: '{gold.name}' is a read-only tool; gold actions are writes")
        if task.criteria.final_state is not None:
            try:
                jsonpatch.apply_patch(state, task.criteria.final_state, in_place=False)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                out.append(f"{label} criteria.final_state: patch does not apply: {exc}")
        said = " ".join((m.content or "") for m in task.reference if m.role == "assistant").lower()
        for fact in task.criteria.communicate:
            if task.reference and fact.lower() not in said:
                out.append(f"{label} criteria.communicate: '{fact}' is never said in the reference")
        if replay and loaded.toolkit is not None and task.tools is None:
            out += check_task_reference(loaded.toolkit, d.initial_state, task)
    return out
