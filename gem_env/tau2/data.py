"""tau2 tasks loaded and turned into gem ``Task`` records, and the per-domain store.

A domain's tasks (a split, or another file in tau2's task format) are loaded and each turned
into a gem ``Task`` record; the per-domain store parses a DB once.

The tau2 ``Task`` objects stay the source of truth (the user simulator, the initial state and the
evaluator read them); the gem records carry what the generic environment shows and exports.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError
from tools_registry.records import Criteria, GoldAction, Task, UserScenario

from ._tau2 import domain_module, require_tau2
from .db import db_signature, private_copy

__all__ = ["DOMAINS", "DomainStore", "domain_store", "load_tasks", "to_gem_task"]

#: tau2 domains served as gem environments (mock is tau2's small test domain).
DOMAINS = ("airline", "retail", "telecom", "mock")


def _split_of(tasks: list[Any], split: str | None, splits: dict[str, list[str]] | None, source: str) -> list[Any]:
    if split is None:
        return tasks
    if not splits:
        raise ConfigError(
            f"{source} has no split file, so task_split={split!r} cannot be applied; pass task_split=None"
        )
    if split not in splits:
        raise ConfigError(f"unknown task_split {split!r} for {source}; known: {', '.join(sorted(splits))}")
    wanted = {str(t) for t in splits[split]}
    return [t for t in tasks if str(t.id) in wanted]


def _read_task_file(path: Path) -> list[Any]:
    t2 = require_tau2()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read tau2 tasks from {path}: {exc}") from exc
    if isinstance(raw, dict) and "tasks" in raw:
        raw = raw["tasks"]
    if not isinstance(raw, list):
        raise ConfigError(
            f"{path}: expected a JSON list of tau2 tasks (or {{'tasks': [...]}}), got {type(raw).__name__}"
        )
    out = []
    for i, rec in enumerate(raw):
        try:
            out.append(t2.Task.model_validate(rec))
        except Exception as exc:  # pydantic's ValidationError: name the first bad record and stop
            rid = rec.get("id") if isinstance(rec, dict) else None
            first = str(exc).splitlines()
            raise ConfigError(
                f"{path}: task record {i} (id {rid!r}) is not a valid tau2 task: {' '.join(first[:3])}"
            ) from exc
    ids = [str(t.id) for t in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate task ids {dupes[:5]}")
    return out


_TASKS: dict[tuple[Any, ...], list[Any]] = {}


def load_tasks(
    domain: str, task_split: str | None = "base", tasks_path: str | os.PathLike[str] | None = None
) -> list[Any]:
    """tau2 ``Task`` objects of a domain.

    Its split ``task_split`` (``train``/``test``/``base``..., None = every task), or the tasks of
    ``tasks_path`` (its ``split_<stem>.json`` beside it, if any).

    Loaded once per process and arguments (a file is reloaded when it changes); share them read-only.
    """
    stamp = None
    if tasks_path is not None:
        try:
            stamp = Path(tasks_path).stat().st_mtime
        except OSError as exc:
            raise ConfigError(f"cannot read tau2 tasks from {tasks_path}: {exc}") from exc
    key = (domain, task_split, str(tasks_path) if tasks_path is not None else None, stamp)
    hit = _TASKS.get(key)
    if hit is None:
        hit = _TASKS[key] = _load_tasks(domain, task_split, tasks_path)
    return list(hit)


def _load_tasks(domain: str, task_split: str | None, tasks_path: str | os.PathLike[str] | None) -> list[Any]:
    mod = domain_module(domain)
    if tasks_path is not None:
        path = Path(tasks_path)
        tasks = _read_task_file(path)
        split_file = path.parent / f"split_{path.stem}.json"
        splits = json.loads(split_file.read_text()) if split_file.exists() else None
        return _split_of(tasks, task_split, splits, str(path))
    tasks = mod.env.get_tasks(None)
    splits = mod.env.get_tasks_split() if hasattr(mod.env, "get_tasks_split") else None
    return _split_of(tasks, task_split, splits, f"tau2's {domain} tasks")


def _instructions(task: Any) -> tuple[str, str | None, str | None]:
    ins = task.user_scenario.instructions
    if isinstance(ins, str):
        return ins, None, None
    text = f"{ins.reason_for_call}\n\n{ins.task_instructions}".strip()
    return text, ins.known_info, ins.unknown_info


def to_gem_task(task: Any, domain: str) -> Task:
    """A gem ``Task`` record for a tau2 task (criteria shown for reference; the reward is tau2's)."""
    instruction, known, unknown = _instructions(task)
    crit = task.evaluation_criteria
    actions = (
        [
            GoldAction(name=a.name, arguments=dict(a.arguments), compare_args=a.compare_args)
            for a in (crit.actions or [])
        ]
        if crit is not None
        else []
    )
    criteria = Criteria(
        actions=actions,
        communicate=list(crit.communicate_info or []) if crit is not None else [],
        rubric=list(crit.nl_assertions or []) if crit is not None else [],
    )
    purpose = task.description.purpose if task.description is not None else None
    return Task(
        id=str(task.id),
        domain=f"tau2-{domain}",
        description=purpose,
        user=UserScenario(
            instruction=instruction or "(no instruction)",
            persona=task.user_scenario.persona,
            known_info=known,
            unknown_info=unknown,
        ),
        criteria=criteria,
        meta={
            "tau2": {
                "domain": domain,
                "reward_basis": [str(getattr(b, "value", b)) for b in crit.reward_basis] if crit else [],
            }
        },
    )


@dataclass
class DomainStore:
    """One tau2 domain, parsed once per process: its DBs, policy and tool schemas.

    :meth:`new_environment` builds tau2's own environment class (through the domain's
    ``get_environment``) on a private copy of the parsed DBs (see :mod:`gem_env.tau2.db`).
    """

    domain: str
    db: Any
    user_db: Any = None
    _proto: Any = field(default=None, repr=False)

    def new_environment(self, solo_mode: bool = False, *, db: Any = None, user_db: Any = None) -> Any:
        """A tau2 environment of the domain on a private copy of the DB (or of ``db``/``user_db``)."""
        mod = domain_module(self.domain)
        kwargs: dict[str, Any] = {"db": private_copy(db if db is not None else self.db)}
        if self.domain == "telecom":
            kwargs["user_db"] = private_copy(user_db if user_db is not None else self.user_db)
        if solo_mode:
            kwargs["solo_mode"] = True
        env = mod.env.get_environment(**kwargs)
        for kit in (env.tools, env.user_tools):
            if kit is not None:  # equal exactly when tau2's hashes are equal (see db.db_signature)
                kit.get_db_hash = _hasher(kit)
        return env

    def policy(self, policy_type: str | None = None) -> str:
        """The domain's policy; telecom's ``policy_type="workflow"`` is tau2's ``telecom-workflow`` domain.

        tau2 26.3 registers ``telecom-workflow``: the same tools, DB and tasks as ``telecom`` with the
        tech-support part of the policy as a workflow (``tech_support_workflow.md``) instead of the
        manual (``tech_support_manual.md``).
        """
        if policy_type in (None, "manual"):
            return str(self.prototype.get_policy())
        if self.domain != "telecom" or policy_type != "workflow":
            raise ConfigError(
                f"tau2 {self.domain}: unknown policy_type {policy_type!r}; telecom has 'manual' and "
                "'workflow', the other domains only their one policy"
            )
        mod = domain_module(self.domain)
        env = mod.env.get_environment(
            db=private_copy(self.db), user_db=private_copy(self.user_db), policy_type="workflow"
        )
        return str(env.get_policy())

    @property
    def prototype(self) -> Any:
        """An environment used only to read the policy and tool schemas (never called)."""
        if self._proto is None:
            self._proto = self.new_environment()
        return self._proto


def _hasher(kit: Any) -> Any:
    def get_db_hash() -> str:
        return db_signature(kit.db)

    return get_db_hash


_STORES: dict[str, DomainStore] = {}


def domain_store(domain: str) -> DomainStore:
    """The process-wide store of a domain (its DB file is parsed on first use only)."""
    hit = _STORES.get(domain)
    if hit is None:
        mod = domain_module(domain)
        user_db = None
        if domain == "telecom":
            from tau2.domains.telecom.user_data_model import TelecomUserDB
            from tau2.domains.telecom.utils import TELECOM_USER_DB_PATH

            user_db = TelecomUserDB.load(TELECOM_USER_DB_PATH)
        hit = _STORES[domain] = DomainStore(domain, mod.db_class.load(mod.db_path), user_db)
        _out_of_gc_reach()
        name = registry_name(domain)
        reg = require_tau2().registry
        if name not in reg.get_domains():
            reg.register_domain(hit.new_environment, name)
    return hit


def _out_of_gc_reach() -> None:
    """Move every object alive now (the parsed DB among them) out of the cyclic collector's reach.

    The shared DB lives as long as the process (airline: about 500,000 objects), and every full
    collection walks all of it: about 0.5 s each, several per hundred episodes, since tools and the
    evaluator allocate many pydantic objects. ``gc.freeze`` after a collection puts what is alive
    into the permanent generation, which collections skip; what is collected later is unchanged.
    """
    import gc

    gc.collect()
    gc.freeze()


def registry_name(domain: str) -> str:
    """The name under which the cheap-copy constructor is registered in tau2's registry (for its evaluator)."""
    return f"gem-{domain}"
