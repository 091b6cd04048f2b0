"""BFCL multi-turn data: where it lives (v4 in bfcl-eval's package, v3 in a folder you name) and its entries.

A data folder holds ``BFCL_v<N>_multi_turn_<category>.json`` (JSON Lines despite the name),
``possible_answer/`` with the same file names, and optionally ``multi_turn_func_doc/`` (else the
function docs bfcl-eval ships are used). The folder is chosen, first match wins, by: an explicit
``data_dir`` argument, the ``GEM_BFCL_DATA_DIR`` environment variable, then bfcl-eval's own
``data/`` folder (v4). This module reads files only; executing and checking live in ``execution.py``.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError, DomainError
from tools_registry.records import Criteria, Task, UserScenario
from tools_registry.specs import ToolSpec

from ._bfcl import package_data_dir

__all__ = [
    "ADDITIONAL_FUNCTION_PROMPT",
    "CATEGORIES",
    "DATA_DIR_ENV",
    "LANGUAGE_HINT",
    "BFCLEntry",
    "data_version",
    "entry_to_task",
    "load_entries",
    "resolve_data_dir",
]

#: The four multi-turn categories, in the paper's column order.
CATEGORIES = ("base", "miss_func", "miss_param", "long_context")
DATA_DIR_ENV = "GEM_BFCL_DATA_DIR"
#: What bfcl-eval appends to every function description it shows a model (its language hint, Python).
LANGUAGE_HINT = " Note that the provided function is in Python 3 syntax."
#: The user turn bfcl-eval sends to a function-calling model when it reveals held-out functions
#: (``DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC``; a test checks it against the package).
ADDITIONAL_FUNCTION_PROMPT = "I have updated some more functions you can choose from. What about now?"

# bfcl-eval's class -> function-doc file mapping (``MULTI_TURN_FUNC_DOC_FILE_MAPPING``), for the
# classes of the multi-turn categories; a test checks it against the package.
FUNC_DOC_FILES = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}
_FILE = re.compile(r"^BFCL_(v\d+)_multi_turn_(base|miss_func|miss_param|long_context)\.json$")


@dataclass
class BFCLEntry:
    """One BFCL multi-turn entry, with its function docs resolved as bfcl-eval resolves them.

    Attributes:
        id: BFCL id, e.g. ``multi_turn_base_0``.
        category: One of CATEGORIES.
        version: ``v3`` or ``v4`` (from the file name).
        turns: The user turns' messages (``question``); a held-out turn of miss_func is ``[]``.
        initial_config: Class name -> scenario, loaded into bfcl-eval's classes.
        involved_classes: The bfcl-eval classes this entry executes against.
        functions: Function docs visible from the start (held-out ones removed).
        missed_function: Turn index -> function docs revealed at that turn (miss_func only).
        ground_truth: Per turn, the reference calls as Python call strings.
        path: BFCL's annotated reference path (names of the calls), for humans.
    """

    id: str
    category: str
    version: str
    turns: list[list[dict[str, Any]]]
    initial_config: dict[str, Any]
    involved_classes: list[str]
    functions: list[dict[str, Any]]
    missed_function: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    ground_truth: list[list[str]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)

    @property
    def test_entry(self) -> dict[str, Any]:
        """The fields bfcl-eval's checker reads from a test entry (a fresh deep copy)."""
        return {
            "id": self.id,
            "initial_config": copy.deepcopy(self.initial_config),
            "involved_classes": list(self.involved_classes),
        }

    @property
    def all_functions(self) -> list[dict[str, Any]]:
        """Every function doc of the entry, held-out ones included."""
        return [*self.functions, *(d for docs in self.missed_function.values() for d in docs)]

    @property
    def long_context(self) -> bool:
        """bfcl-eval loads long-context scenarios for ids of this category (its own rule)."""
        return "long_context" in self.id.rsplit("_", 1)[0] or "composite" in self.id.rsplit("_", 1)[0]


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder in force: ``data_dir``, else $GEM_BFCL_DATA_DIR, else bfcl-eval's package data (v4)."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    path = Path(chosen).expanduser() if chosen is not None else package_data_dir()
    if not path.is_dir():
        source = "data_dir" if data_dir is not None else (f"${DATA_DIR_ENV}" if chosen else "bfcl-eval")
        raise ConfigError(f"BFCL data folder {path} (from {source}) does not exist")
    return path


def _category_file(folder: Path, category: str) -> tuple[Path, str]:
    if category not in CATEGORIES:
        import difflib

        near = difflib.get_close_matches(category, CATEGORIES, n=1)
        raise ConfigError(
            f"unknown BFCL multi-turn category {category!r}"
            + (f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(CATEGORIES)}")
        )
    found = sorted(
        (m.group(1), p) for p in folder.glob(f"BFCL_v*_multi_turn_{category}.json") if (m := _FILE.match(p.name))
    )
    if not found:
        raise ConfigError(f"{folder}: no BFCL_v*_multi_turn_{category}.json (expected a BFCL data folder)")
    version, path = found[-1]  # the newest version when a folder holds several
    return path, version


def data_version(data_dir: str | os.PathLike[str] | None = None) -> str:
    """``v3`` or ``v4``: the version of the base file in the data folder in force."""
    return _category_file(resolve_data_dir(data_dir), "base")[1]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for lineno, line in enumerate(path.read_bytes().splitlines(), 1):
        if line.strip():
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise DomainError(f"{path}:{lineno}: not valid JSON: {exc}") from None
    return rows


@lru_cache(maxsize=32)
def _func_docs(doc_dir: str, class_name: str) -> tuple[bytes, ...]:
    name = FUNC_DOC_FILES.get(class_name)
    if name is None:
        raise DomainError(f"no BFCL function docs known for class {class_name!r}")
    path = Path(doc_dir) / name
    if not path.is_file():
        path = package_data_dir() / "multi_turn_func_doc" / name
    return tuple(orjson.dumps(d) for d in _jsonl(path))


@lru_cache(maxsize=16)
def _load(folder: str, category: str) -> tuple[BFCLEntry, ...]:
    root = Path(folder)
    prompt_file, version = _category_file(root, category)
    answer_file = root / "possible_answer" / prompt_file.name
    if not answer_file.is_file():
        raise ConfigError(f"{root}: missing possible_answer/{prompt_file.name}")
    prompts, answers = _jsonl(prompt_file), _jsonl(answer_file)
    if len(prompts) != len(answers):
        raise DomainError(f"{prompt_file}: {len(prompts)} entries but {len(answers)} ground-truth entries")
    doc_dir = str(root / "multi_turn_func_doc")
    out = []
    # As bfcl-eval does: ground truth is aligned with the prompts by position.
    for raw, answer in zip(prompts, answers):
        functions = [orjson.loads(d) for cls in raw["involved_classes"] for d in _func_docs(doc_dir, cls)]
        missed: dict[int, list[dict[str, Any]]] = {}
        for turn, names in (raw.get("missed_function") or {}).items():
            docs = []
            for name in names:  # bfcl-eval's rule: move the first doc of that name out of the list
                for i, doc in enumerate(functions):
                    if doc["name"] == name:
                        docs.append(functions.pop(i))
                        break
            missed[int(turn)] = docs
        out.append(
            BFCLEntry(
                id=raw["id"],
                category=category,
                version=version,
                turns=raw["question"],
                initial_config=raw.get("initial_config", {}),
                involved_classes=list(raw["involved_classes"]),
                functions=functions,
                missed_function=missed,
                ground_truth=answer["ground_truth"],
                path=list(raw.get("path", [])),
            )
        )
    return tuple(out)


def load_entries(category: str, data_dir: str | os.PathLike[str] | None = None) -> list[BFCLEntry]:
    """The entries of one category from the data folder in force (deep copies: safe to modify)."""
    folder = resolve_data_dir(data_dir)
    return copy.deepcopy(list(_load(str(folder.resolve()), category)))


def _tools(docs: list[dict[str, Any]], language_hint: bool) -> list[ToolSpec]:
    specs = []
    for doc in docs:
        spec = ToolSpec.from_bfcl(doc)
        if language_hint:
            spec.description = spec.description + LANGUAGE_HINT
        specs.append(spec)
    return specs


def _turn_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("content", "")) for m in messages) if messages else ADDITIONAL_FUNCTION_PROMPT


def entry_to_task(entry: BFCLEntry, domain: str, *, language_hint: bool = True) -> Task:
    """A gem Task for one entry: the visible tools, scripted user turns, and BFCL's data in ``meta["bfcl"]``.

    ``meta["bfcl"]["reveal"]`` maps a turn index (as a string) to the tools revealed at that turn
    (OpenAI format); its turn text is bfcl-eval's "I have updated some more functions" prompt.
    """
    turns = [_turn_text(t) for t in entry.turns]
    return Task(
        id=entry.id,
        domain=domain,
        description=f"BFCL {entry.version} multi-turn {entry.category} entry {entry.id}",
        system_prompt="",
        tools=_tools(entry.functions, language_hint),
        initial_state=copy.deepcopy(entry.initial_config),
        user=UserScenario(instruction=turns[0] if turns else "", turns=turns),
        criteria=Criteria(reward_basis=[]),
        meta={
            "bfcl": {
                "id": entry.id,
                "category": entry.category,
                "version": entry.version,
                "involved_classes": list(entry.involved_classes),
                "reveal": {
                    str(t): [s.to_openai() for s in _tools(docs, language_hint)]
                    for t, docs in entry.missed_function.items()
                },
                "ground_truth": entry.ground_truth,
                "path": entry.path,
            }
        },
    )
