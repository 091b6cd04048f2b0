"""Make the output usable: a domain folder per kept trajectory, OpenAI fine-tuning JSONL, LLaMA-Factory ShareGPT.

Domains: ``OUT/domains/<name>/`` with domain.json (tools, policy = system prompt, state_schema,
initial_state from refinement) and tasks.jsonl (one task: the user's lines as scripted turns, the
reference conversation, the successful write calls as gold actions (the reward basis), a judge
rubric for runs that pass a judge model; the expected final state is unknown, so ``final_state``
is None). Registered by gem_env, each is
``gym.make("gem/<name>-v0")`` with the replay or simulated tool backend. A row whose tools compiled
(``SynthMeta.compile``) also gets its programs and certificate in domain.json and its expected
final state in the task, with the state match in the reward basis (``synth.compile``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from tools_registry.domains import check_name, save_domain
from tools_registry.errors import ConfigError
from tools_registry.records import Criteria, Domain, GoldAction, Task, Trajectory, UserScenario

from .convert import load_trajectory
from .item import SynthMeta

__all__ = [
    "SHAREGPT_INFO",
    "domain_name",
    "export_domains",
    "export_openai",
    "export_sharegpt",
    "to_openai_rows",
    "to_sharegpt_row",
    "trajectory_to_domain",
]

_DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")

SHAREGPT_INFO = {
    "formatting": "sharegpt",
    "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
}


def domain_name(traj: Trajectory, prefix: str = "synth") -> str:
    """``<prefix>-<task label>-<8 hex of the source id>``, a valid domain name."""
    tags = SynthMeta.of(traj).tags
    label = re.sub(r"[^a-z0-9]+", "-", str(tags.task or tags.domain or "task").lower()).strip("-")
    sid = traj.meta.provenance.source_id or traj.meta.provenance.source_hash or orjson.dumps(traj.to_row()).decode()
    h = hashlib.sha256(sid.encode()).hexdigest()[:8]
    return check_name(f"{prefix}-{label}"[:54] + f"-{h}")


def _is_success(content: str | None) -> bool:
    s = (content or "").lstrip()
    return s[:1] in "{[" and not s.lower().startswith('{"error')


def trajectory_to_domain(traj: Trajectory, name: str | None = None) -> tuple[Domain, list[Task]]:
    """The Domain and its one Task for a kept trajectory."""
    name = name or domain_name(traj)
    msgs = list(traj.messages)
    system = msgs[0].content if msgs and msgs[0].role == "system" else ""
    body = msgs[1:] if system else msgs
    meta = SynthMeta.of(traj)
    schema = meta.env.state_schema if meta.env is not None else {"type": "object"}
    state = meta.env.initial_state if meta.env is not None else {}
    tags = meta.tags.model_dump()
    mutating = {t.name for t in traj.tools if t.mutates}
    outputs = {m.tool_call_id: m.content for m in body if m.role == "tool"}
    gold = [
        GoldAction(name=c.function.name, arguments=dict(c.function.arguments))
        for m in body
        for c in (m.tool_calls or [])
        if c.function.name in mutating and _is_success(outputs.get(c.id))
    ]
    turns = [m.content or "" for m in body if m.role == "user"]
    summary = meta.tags.summary or "the task"
    rubric = [
        f"The assistant helps the user with: {summary}.",
        "The assistant follows every rule of the system prompt and confirms before irreversible writes.",
        "The assistant never invents argument values and states what it cannot do.",
    ]
    # The basis needs no model: gold write actions. The rubric is there for TaskReward(judge=...,
    # basis=["actions", "judge"]) when a judge model is at hand.
    criteria = Criteria(actions=gold, final_state=None, rubric=rubric, reward_basis=["actions"])
    task = Task(
        id="t0",
        domain=name,
        description=summary,
        user=UserScenario(
            instruction="You want help with: " + summary + ". Say, in order: " + " | ".join(turns),
            turns=turns,
        ),
        reference=body,
        criteria=criteria,
        meta={"source_id": traj.meta.provenance.source_id, "tags": tags},
    )
    n_assistant = sum(1 for m in body if m.role == "assistant")
    domain = Domain(
        name=name,
        description=summary,
        policy=system or "",
        tools=list(traj.tools),
        state_schema=schema,
        initial_state=state,
        max_turns=max(30, n_assistant + 10),
        meta={
            "source_id": traj.meta.provenance.source_id,
            "source_hash": traj.meta.provenance.source_hash,
            "tags": tags,
            "pipeline": traj.meta.provenance.pipeline,
            "synthesized": True,
        },
    )
    from .compile.apply import apply_compiled

    return apply_compiled(domain, [task], meta.compile)


def export_domains(
    rows: Iterable[dict[str, Any]], folder: str | Path, prefix: str = "synth", *, skip_existing: bool = False
) -> list[str]:
    """Write a domain folder per row under ``folder``; returns the names.

    A folder's content is a function of its row, so ``skip_existing`` (what a resumed run uses)
    only skips rewriting it.
    """
    names = []
    for row in rows:
        traj = load_trajectory(row)
        name = domain_name(traj, prefix)
        names.append(name)
        if skip_existing and (Path(folder) / name / "tasks.jsonl").is_file():
            continue
        domain, tasks = trajectory_to_domain(traj, name)
        save_domain(domain, tasks, Path(folder) / name)
    return names


def to_openai_rows(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Each corpus row in OpenAI's chat fine-tuning format."""
    for row in rows:
        yield load_trajectory(row).to_openai_finetune()


def to_sharegpt_row(row: dict[str, Any]) -> dict[str, Any]:
    """LLaMA-Factory ShareGPT: human/gpt/function_call/observation turns, system and tools (JSON string).

    An assistant turn with a call becomes one ``function_call`` (several calls: a JSON list); its text
    is not kept (the format has no place for it). Consecutive tool results merge into one observation.
    """
    traj = load_trajectory(row)
    system = ""
    conv: list[dict[str, str]] = []
    for m in traj.messages:
        if m.role == "system":
            system = m.content or ""
        elif m.role == "user":
            conv.append({"from": "human", "value": m.content or ""})
        elif m.role == "assistant" and m.tool_calls:
            calls = [{"name": c.function.name, "arguments": c.function.arguments} for c in m.tool_calls]
            conv.append(
                {
                    "from": "function_call",
                    "value": orjson.dumps(calls[0] if len(calls) == 1 else calls).decode(),
                }
            )
        elif m.role == "assistant":
            conv.append({"from": "gpt", "value": m.content or ""})
        elif m.role == "tool":
            if conv and conv[-1]["from"] == "observation":
                prev = conv[-1]["value"]
                items = orjson.loads(prev) if prev.startswith("[") and conv[-1].get("_merged") else [prev]
                conv[-1] = {
                    "from": "observation",
                    "value": orjson.dumps(items + [m.content or ""]).decode(),
                    "_merged": "1",
                }
            else:
                conv.append({"from": "observation", "value": m.content or ""})
    for c in conv:
        c.pop("_merged", None)
    tools = [t.to_openai()["function"] for t in traj.tools]
    return {"conversations": conv, "system": system, "tools": orjson.dumps(tools).decode()}


def export_openai(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write ``rows`` to ``path`` as OpenAI fine-tuning JSONL; returns the number of rows written."""
    n = 0
    with open(path, "wb") as fh:
        for r in to_openai_rows(rows):
            fh.write(orjson.dumps(r) + b"\n")
            n += 1
    return n


def export_sharegpt(rows: Iterable[dict[str, Any]], folder: str | Path, name: str = "gem_synth") -> Path:
    """Write ``<folder>/<name>.json`` (a JSON list) and ``<folder>/dataset_info.json`` (merged if present).

    ``name`` is a plain file name (letters, digits, ``_``, ``-``, ``.``): nothing is written outside ``folder``.
    """
    if not isinstance(name, str) or not _DATASET_NAME.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"invalid dataset name {str(name)[:80]!r}: use letters, digits, '_', '-' and '.' "
            "(a file name inside the export folder, at most 128 characters)"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = [to_sharegpt_row(r) for r in rows]
    (folder / f"{name}.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    info_path = folder / "dataset_info.json"
    info = orjson.loads(info_path.read_bytes()) if info_path.is_file() else {}
    info[name] = {"file_name": f"{name}.json", **SHAREGPT_INFO}
    info_path.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return folder / f"{name}.json"
