"""Domains on disk: load, save and discover domain folders.

A domain folder holds ``domain.json`` (a Domain record), ``tasks.jsonl`` (one Task per line) and,
optionally, ``tools.py`` (a Toolkit subclass with Python implementations over the state). Domains
are found in the bundled folder (``tools_registry/bundled``), in folders named by the
``GEM_DOMAINS_PATH`` environment variable (os.pathsep-separated), and at explicit paths.
``tools.py`` is code: it is imported only from the bundled folder or a folder the user named.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator, Sequence

import orjson
from pydantic import ValidationError

from .errors import ConfigError, DomainError
from .pytools import Toolkit
from .records import Domain, Task

__all__ = [
    "LoadedDomain",
    "load_toolkit",
    "load_domain",
    "save_domain",
    "discover_domains",
    "find_domain",
    "bundled_dir",
    "domain_search_path",
    "check_name",
    "DOMAINS_ENV",
]

DOMAINS_ENV = "GEM_DOMAINS_PATH"
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")  # fullmatch: "$" would let a trailing newline through


def check_name(name: str, what: str = "domain name") -> str:
    """Names become env ids and folder names: lowercase letters, digits, '-', '_' (max 64)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"invalid {what} {str(name)[:80]!r}: use lowercase letters, digits, '-' and '_' (max 64 chars)"
        )
    return name


def _pydantic_problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


@dataclass
class LoadedDomain:
    """A domain read from disk: its record, its tasks, and its Toolkit class when it has ``tools.py``."""

    domain: Domain
    tasks: list[Task]
    path: Path | None = None
    toolkit: type[Toolkit] | None = None
    _by_id: dict[str, Task] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in self.tasks}

    @property
    def name(self) -> str:
        """The domain's name."""
        return self.domain.name

    def task(self, task_id: str) -> Task:
        """The task with id ``task_id``.

        Raises:
            ConfigError: The domain has no such task (similar ids are suggested).
        """
        try:
            return self._by_id[task_id]
        except KeyError:
            near = [t for t in self._by_id if task_id in t or t in task_id][:5]
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise ConfigError(f"domain '{self.name}' has no task '{task_id}'{hint}") from None

    def task_ids(self) -> list[str]:
        """The ids of the domain's tasks, in order."""
        return [t.id for t in self.tasks]


def load_toolkit(path: str | os.PathLike[str], domain_name: str = "domain") -> type[Toolkit]:
    """Import a domain's tools.py by path and return its one Toolkit subclass."""
    path = Path(path).resolve()
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise DomainError(f"{path}: cannot read: {exc}") from None
    digest = hashlib.sha1(str(path).encode() + b"\0" + source).hexdigest()[:12]
    module_name = f"gem_domain_tools_{domain_name.replace('-', '_')}_{digest}"
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise DomainError(f"{path}: cannot import")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise DomainError(f"{path}: importing tools.py failed: {type(exc).__name__}: {exc}") from exc
    kits = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Toolkit)
        and obj is not Toolkit
        and obj.__module__ == module.__name__
    ]
    if len(kits) != 1:
        raise DomainError(f"{path}: expected exactly one Toolkit subclass, found {len(kits)}")
    return kits[0]


def load_domain(path: str | os.PathLike[str], *, load_tools: bool = True) -> LoadedDomain:
    """Load a domain folder. Raises DomainError/ConfigError with one clear message on any problem."""
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"no such domain folder: {root}")
    if not root.is_dir():
        raise ConfigError(f"not a folder: {root} (a domain is a folder with domain.json)")
    dj = root / "domain.json"
    if not dj.is_file():
        raise DomainError(f"{root}: missing domain.json")
    try:
        raw = orjson.loads(dj.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise DomainError(f"{dj}: not valid JSON: {exc}") from None
    try:
        domain = Domain.model_validate(raw)
    except ValidationError as exc:
        raise DomainError(f"{dj}: {_pydantic_problems(exc)}") from None
    check_name(domain.name)
    tasks: list[Task] = []
    tj = root / "tasks.jsonl"
    if tj.is_file():
        seen: set[str] = set()
        for lineno, line in enumerate(tj.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                task = Task.model_validate(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise DomainError(f"{tj}:{lineno}: not valid JSON: {exc}") from None
            except ValidationError as exc:
                raise DomainError(f"{tj}:{lineno}: {_pydantic_problems(exc)}") from None
            if task.domain != domain.name:
                raise DomainError(f"{tj}:{lineno}: task '{task.id}' names domain '{task.domain}', not '{domain.name}'")
            if task.id in seen:
                raise DomainError(f"{tj}:{lineno}: duplicate task id '{task.id}'")
            seen.add(task.id)
            tasks.append(task)
    toolkit = None
    tp = root / "tools.py"
    if load_tools and tp.is_file():
        toolkit = load_toolkit(tp, domain.name)
    return LoadedDomain(domain=domain, tasks=tasks, path=root, toolkit=toolkit)


def save_domain(
    domain: Domain, tasks: list[Task], path: str | os.PathLike[str], *, tools_py: str | None = None
) -> Path:
    """Write a domain folder (domain.json, tasks.jsonl, optional tools.py). Returns the folder."""
    check_name(domain.name)
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    opts = orjson.OPT_INDENT_2
    data = domain.model_dump(mode="json", exclude_defaults=False)
    for key in ("programs", "certificate"):  # written only when the domain has them
        if data.get(key) is None:
            data.pop(key, None)
    (root / "domain.json").write_bytes(orjson.dumps(data, option=opts) + b"\n")
    with open(root / "tasks.jsonl", "wb") as fh:
        for task in tasks:
            fh.write(orjson.dumps(task.model_dump(mode="json", exclude_none=True)) + b"\n")
    if tools_py is not None:
        (root / "tools.py").write_text(tools_py)
    return root


def bundled_dir() -> Path:
    """The folder of the domains shipped with the package."""
    return Path(__file__).resolve().parent / "bundled"


def domain_search_path(extra: Sequence[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Folders searched for domains, in order: explicit ones, GEM_DOMAINS_PATH, the bundled folder."""
    out = [Path(p) for p in (extra or [])]
    env = os.environ.get(DOMAINS_ENV, "")
    out += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    out.append(bundled_dir())
    return out


def _candidates(folder: Path) -> Iterator[Path]:
    if (folder / "domain.json").is_file():
        yield folder
        return
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if (child / "domain.json").is_file():
                yield child


def discover_domains(extra: Sequence[str | os.PathLike[str]] | None = None) -> dict[str, Path]:
    """Map domain name -> folder over the search path. Earlier folders win on name clashes.

    Reads only each domain.json's name (cheap); nothing is imported.
    """
    found: dict[str, Path] = {}
    for folder in domain_search_path(extra):
        for cand in _candidates(folder):
            try:
                name = orjson.loads((cand / "domain.json").read_bytes()).get("name")
            except (orjson.JSONDecodeError, OSError, AttributeError):
                continue
            if isinstance(name, str) and _NAME.fullmatch(name) and name not in found:
                found[name] = cand
    return found


def find_domain(name: str, extra: Sequence[str | os.PathLike[str]] | None = None) -> Path:
    """Folder of the named domain, or a ConfigError with close matches."""
    check_name(name)
    found = discover_domains(extra)
    if name in found:
        return found[name]
    import difflib

    near = difflib.get_close_matches(name, list(found), n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(sorted(found)) or 'none'}"
    raise ConfigError(f"unknown domain '{name}'{hint}")
