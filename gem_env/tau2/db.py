"""Per-episode private copies of a tau2 domain database, without re-parsing it.

tau2 builds each episode's environment by loading its DB file again (airline: 7 MB of JSON,
parsed and validated by pydantic). Here the file is parsed once per domain and process; each
episode gets a copy-on-access view: every ``dict[str, Model]`` table of the DB becomes a
:class:`CopyOnAccessDict` that starts as a shallow copy of the shared table and replaces an entry
with a private deep copy the first time Python code reads it by key (``[]``, ``get``, ``pop``,
``setdefault``), so a tool that changes an entry it looked up changes a private copy and the
shared tables stay pristine. Iteration (``values()``, ``items()``) yields the stored entries
without copying them: in tau2 26.3 every loop over a table only reads (flight search, user lookup
by name and zip, product listing), and copying a whole table for each search would cost as much
as loading the DB; ``tests/tau2/test_tau2_env.py`` runs every such tool and checks that the shared DB's
hash does not move. pydantic's serializer walks the dict at C
level and sees the stored values (private copies where touched, shared originals elsewhere), so
``model_dump`` and tau2's DB hash give exactly what a fully deep-copied DB would.
Every other field (lists, scalars) is deep-copied per episode.

:func:`db_hash` computes tau2's DB hash (sha256 of ``json.dumps(db.model_dump(), sort_keys=True,
default=str)``) byte for byte, from per-entry JSON fragments: the fragments of shared, untouched
entries are computed once per process, so hashing a 7 MB DB costs a join instead of a full dump.
:func:`db_signature` is what the episode environments use as their DB hash: a hash of only what
differs from the shared DB (entries changed, added or deleted, in JSON; plus every non-table
field). Two copies of the same shared DB get equal signatures exactly when tau2's hashes are
equal (entries compared as orjson's sorted-key JSON, which is equal exactly when tau2's
``json.dumps`` text is: :func:`_sig_dumps`), and that comparison (gold DB vs the agent's DB, both
copies of one shared DB) is the only use tau2's evaluator makes of the hash; a signature costs a
few entries' dumps instead of 7 MB.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import orjson

__all__ = ["CopyOnAccessDict", "db_hash", "db_signature", "private_copy", "tree_copy"]

_MISSING = object()
_ATOMS = frozenset({str, int, float, bool, type(None)})


def tree_copy(value: Any) -> Any:
    """A private copy of a DB entry (pydantic models, dicts, lists, scalars).

    Made as pydantic's ``__deepcopy__`` makes it but without its generic ``copy.deepcopy``
    machinery (entries parsed from JSON are trees: no object appears twice, so no memo is needed).
    A dict of models inside an entry (a flight's dates) becomes a :class:`CopyOnAccessDict` in
    turn, so a copied flight copies only the dates a tool looks up. Other types go to deepcopy.
    """
    t = type(value)
    if t in _ATOMS:
        return value
    if t is dict:
        if value and all(isinstance(v, _base_model()) for v in value.values()):
            return CopyOnAccessDict(value)
        return {k: tree_copy(v) for k, v in value.items()}
    if t is CopyOnAccessDict:
        return value.fork()
    if t is list:
        return [tree_copy(v) for v in value]
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        new = type(value).__new__(type(value))
        object.__setattr__(new, "__dict__", {k: tree_copy(v) for k, v in value.__dict__.items()})
        extra = value.__pydantic_extra__
        object.__setattr__(new, "__pydantic_extra__", tree_copy(extra) if extra is not None else None)
        object.__setattr__(new, "__pydantic_fields_set__", set(value.__pydantic_fields_set__))
        private = getattr(value, "__pydantic_private__", None)
        object.__setattr__(new, "__pydantic_private__", copy.deepcopy(private) if private is not None else None)
        return new
    return copy.deepcopy(value)


@lru_cache(maxsize=1)
def _base_model() -> type:
    from pydantic import BaseModel

    return BaseModel


class CopyOnAccessDict(dict):
    """A dict whose values are deep-copied on first read through Python (see the module doc).

    Args:
        shared: The shared table; neither it nor its values are ever modified through this view.
    """

    __slots__ = ("_base", "_dirty", "_own")

    def __init__(self, shared: dict[Any, Any], base: dict[Any, Any] | None = None, dirty: set[Any] | None = None):
        super().__init__(shared)
        self._own: set[Any] = set()  # keys whose stored value is this view's private copy
        self._dirty: set[Any] = set(dirty or ())  # keys that may differ from the base (changed, added, removed)
        self._base = shared if base is None else base

    def _mine(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        if key not in self._own:
            value = tree_copy(value)
            dict.__setitem__(self, key, value)
            self._own.add(key)
            self._dirty.add(key)
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._mine(key)

    def get(self, key: Any, default: Any = None) -> Any:
        """``dict.get`` returning a private copy of the entry."""
        return self._mine(key) if dict.__contains__(self, key) else default

    def __setitem__(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._own.add(key)
        self._dirty.add(key)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, key)
        self._dirty.add(key)

    def clear(self) -> None:
        """``dict.clear``, marking every key dirty."""
        self._dirty.update(dict.keys(self))
        dict.clear(self)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """``dict.setdefault`` returning a private copy of the entry."""
        if dict.__contains__(self, key):
            return self._mine(key)
        self[key] = default
        return default

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """``dict.pop`` returning a private copy of the entry."""
        if dict.__contains__(self, key):
            value = self._mine(key)
            del self[key]
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[Any, Any]:
        """``dict.popitem``: remove and return the last entry."""
        key = next(reversed(self.keys()))
        return key, self.pop(key)

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        """The stored entries, not copied (read-only iteration: see the module doc)."""
        return iter(list(dict.values(self)))

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        """The stored entries with their keys, not copied (read-only iteration: see the module doc)."""
        return iter(list(dict.items(self)))

    def copy(self) -> dict[Any, Any]:
        """A plain dict of private copies of the entries."""
        return {k: self._mine(k) for k in list(dict.keys(self))}

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update`` through ``__setitem__``."""
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def __iter__(self) -> Iterator[Any]:
        return iter(list(dict.keys(self)))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (dict, (self.copy(),))

    def fork(self) -> CopyOnAccessDict:
        """A new view sharing the untouched entries; entries this view owns are deep-copied now."""
        stored = dict(dict.items(self))
        for k in self._own:
            stored[k] = tree_copy(stored[k])
        return CopyOnAccessDict(stored, self._base, self._dirty)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.copy().items()}


_TABLES: dict[int, tuple[Any, bool]] = {}  # id(shared dict) -> (dict, is a table): checked once per process


def _is_table(value: Any) -> bool:
    from pydantic import BaseModel

    if type(value) is not dict or not value:
        return False
    hit = _TABLES.get(id(value))
    if hit is None or hit[0] is not value:
        if len(_TABLES) > 256:
            _TABLES.clear()
        hit = _TABLES[id(value)] = (value, all(isinstance(v, BaseModel) for v in value.values()))
    return hit[1]


def private_copy(db: Any) -> Any:
    """A private copy of a parsed tau2 DB (a pydantic model), cheap for ``dict[str, Model]`` tables.

    The result is an instance of the same class with the same field values; changing it never
    changes ``db``.
    """
    fields = {}
    for name in type(db).model_fields:
        value = getattr(db, name)
        if isinstance(value, CopyOnAccessDict):
            fields[name] = value.fork()
        else:
            fields[name] = CopyOnAccessDict(value) if _is_table(value) else copy.deepcopy(value)
    return type(db).model_construct(_fields_set=set(db.model_fields_set), **fields)


_FRAGMENTS: dict[int, tuple[Any, str]] = {}  # id(shared entry) -> (entry, its JSON), kept alive by the entry


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _fragment(entry: Any, shared: bool) -> str:
    if not shared:
        return _dumps(entry.model_dump())
    hit = _FRAGMENTS.get(id(entry))
    if hit is None or hit[0] is not entry:
        hit = _FRAGMENTS[id(entry)] = (entry, _dumps(entry.model_dump()))
    return hit[1]


def _table_json(table: CopyOnAccessDict) -> str:
    own = table._own
    parts = [f"{_dumps(k)}: {_fragment(dict.__getitem__(table, k), k not in own)}" for k in sorted(dict.keys(table))]
    return "{" + ", ".join(parts) + "}"


def db_hash(db: Any) -> str:
    """tau2's hash of a DB (``get_dict_hash(db.model_dump())``), fast for copy-on-access tables."""
    from pydantic import BaseModel

    if not any(isinstance(getattr(db, n), CopyOnAccessDict) for n in type(db).model_fields):
        return hashlib.sha256(_dumps(db.model_dump()).encode()).hexdigest()
    parts = []
    for name in sorted(type(db).model_fields):
        value = getattr(db, name)
        if isinstance(value, CopyOnAccessDict) and all(isinstance(v, BaseModel) for v in dict.values(value)):
            text = _table_json(value)
        else:
            text = _dumps(db.model_dump(include={name})[name])
        parts.append(f"{_dumps(name)}: {text}")
    return hashlib.sha256(("{" + ", ".join(parts) + "}").encode()).hexdigest()


_SIG_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _sig_dumps(value: Any) -> str:
    """JSON text that is equal for two values exactly when ``_dumps`` (tau2's) text is.

    orjson with sorted keys; what orjson cannot or would not write as ``json.dumps(default=str)``
    does (datetimes, dataclasses, integers past 64 bits, lone surrogates) goes through ``str`` or
    ``_dumps`` itself, marked so that the two kinds never compare equal. tau2's enums are ``str``
    enums, written as their value by both. NaN and the infinities are the exception: orjson writes
    them as null (json as NaN, Infinity); no tau2 DB or tool produces them.
    """
    try:
        return orjson.dumps(value, default=str, option=_SIG_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return "\0" + _dumps(value)


_SIG_FRAGMENTS: dict[int, tuple[Any, str]] = {}  # id(shared entry) -> (entry, its _sig_dumps), kept alive by the entry


def _sig_fragment(entry: Any) -> str:
    hit = _SIG_FRAGMENTS.get(id(entry))
    if hit is None or hit[0] is not entry:
        hit = _SIG_FRAGMENTS[id(entry)] = (entry, _sig_dumps(entry.model_dump()))
    return hit[1]


_PLAIN: dict[type, bool] = {}


def _plain_model(cls: type) -> bool:
    """Whether ``model_dump`` of ``cls`` is its fields' values as stored (no custom serializers)."""
    hit = _PLAIN.get(cls)
    if hit is None:
        decorators = getattr(cls, "__pydantic_decorators__", None)
        hit = _PLAIN[cls] = bool(
            decorators is not None and not decorators.field_serializers and not decorators.model_serializers
        )
    return hit


def _same(v: Any, b: Any) -> bool:
    """True only when ``v`` (a private copy) holds exactly what ``b`` (its shared original) holds.

    Same types and equal values all the way down, shared atoms recognised by identity and nested
    copy-on-access tables by their touched keys only; then their dumps are equal too. False means
    "not proven": the caller compares dumps.
    """
    if v is b:
        return True
    t = type(v)
    if t is not type(b):
        return False
    if t in _ATOMS:
        return v == b and (t is not float or str(v) == str(b))  # 0.0 and -0.0 are == but dump apart
    if t is list:
        return len(v) == len(b) and all(_same(x, y) for x, y in zip(v, b))
    if t is dict:
        return v.keys() == b.keys() and all(_same(x, b[k]) for k, x in v.items())
    if t is CopyOnAccessDict:
        return False  # a table inside a shared entry is a plain dict; a view here is not proven equal
    if not _plain_model(t) or v.__pydantic_extra__ != b.__pydantic_extra__:
        return False
    theirs = b.__dict__
    mine = v.__dict__
    if mine.keys() != theirs.keys():
        return False
    for name, x in mine.items():
        y = theirs[name]
        if x is y:
            continue
        if type(x) is CopyOnAccessDict and x._base is y:
            if dict.__len__(x) != len(y):
                return False
            for k in x._dirty:
                xk, yk = dict.get(x, k, _MISSING), y.get(k, _MISSING)
                if (xk is _MISSING) != (yk is _MISSING) or (xk is not _MISSING and not _same(xk, yk)):
                    return False
            continue
        if not _same(x, y):
            return False
    return True


def _changes(table: CopyOnAccessDict) -> dict[str, Any]:
    """What differs from the base: only keys the view touched can differ (reads copy, writes mark)."""
    base = table._base
    changed, deleted = {}, []
    for k in table._dirty:
        v = dict.get(table, k, _MISSING)
        b = base.get(k, _MISSING)
        if v is b:
            continue
        if v is _MISSING:
            deleted.append(str(k))
            continue
        if b is not _MISSING and _same(v, b):  # a copy that was only read: no dump needed
            continue
        frag = _sig_dumps(v.model_dump())
        if b is _MISSING or frag != _sig_fragment(b):
            changed[str(k)] = frag
    return {"base": id(base), "changed": dict(sorted(changed.items())), "deleted": sorted(deleted)}


def db_signature(db: Any) -> str:
    """A hash of how ``db`` differs from the shared DB it was copied from (see the module doc)."""
    parts: dict[str, Any] = {}
    for name in sorted(type(db).model_fields):
        value = getattr(db, name)
        if isinstance(value, CopyOnAccessDict):  # only tables of models are ever wrapped
            parts[name] = _changes(value)
        else:
            parts[name] = db.model_dump(include={name})[name]
    return "sig:" + hashlib.sha256(_sig_dumps(parts).encode()).hexdigest()
