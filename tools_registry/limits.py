"""Bounds on untrusted values: what an agent's arguments and a tool's schema may be, checked cheaply.

Agent actions, model replies and tool schemas are data from outside. Before anything parses,
validates, records or serialises them, :func:`json_problem` says whether a value is plain JSON
within the limits below (checked iteratively, so no depth can exhaust the stack), and
:func:`clean_text` makes any text recordable (a lone surrogate cannot be written as UTF-8).
The limits are documented in docs/guarantees.md.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "MAX_ARGUMENT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_PATTERN_CHARS",
    "MAX_SCHEMA_BYTES",
    "MAX_TEXT_CHARS",
    "clean_text",
    "json_problem",
    "read_text_file",
    "safe_repr",
]

#: Nesting depth of arguments (and of any JSON value an action carries); deeper is refused.
MAX_JSON_DEPTH = 64
#: Size of one call's arguments, as JSON text (approximate for dicts: strings and numbers counted).
MAX_ARGUMENT_BYTES = 1 << 20
#: Size of one tool's parameters schema, as JSON text.
MAX_SCHEMA_BYTES = 256 * 1024
#: Length of one ``pattern`` / ``patternProperties`` regex in a tool schema.
MAX_PATTERN_CHARS = 1000
#: Text (an action's content or reasoning) longer than this is cut, with a note, before it is recorded.
MAX_TEXT_CHARS = 1 << 20

_INT64 = (-(1 << 63), (1 << 64) - 1)  # orjson writes int64 and uint64
#: orjson raises on these instead of converting them, so its success means plain JSON (tuples aside).
_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it can be written as UTF-8."""
    if text.isascii() or not _has_surrogate(text):
        return text
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def _where(path: list[Any], what: str) -> str:
    return "'" + ".".join(clean_text(str(p))[:40] for p in path) + "'" if path else what


def json_problem(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_ARGUMENT_BYTES, what: str = "the arguments"
) -> str | None:
    """Why ``value`` is not plain, recordable JSON within the limits, or None when it is.

    Plain JSON: dicts with str keys, lists (and tuples, which orjson writes as lists), str, int
    within 64 bits, floats (NaN and Infinity are written as null), bool, None; no lone surrogates
    in strings or keys; at most ``max_depth`` levels; about ``max_bytes`` of JSON text. Iterative, and it stops at the first problem: a value nested a
    million deep or holding a million keys is answered after looking at what the limits allow.
    ``what`` names the value in the message ("the arguments", "the schema").
    """
    if type(value) is dict and len(value) <= 64 and max_depth > 0 and max_bytes >= 64 * (256 + 4096):
        for k, v in value.items():  # the common case, flat arguments of plain values: no stack at all
            t = type(v)
            if not (
                type(k) is str
                and len(k) <= 256
                and k.isascii()
                and (
                    (t is str and len(v) <= 4096 and v.isascii())
                    or t is bool
                    or v is None
                    or t is float
                    or (t is int and _INT64[0] <= v <= _INT64[1])
                )
            ):
                break
        else:
            return None
    try:  # nested values: orjson writes them (str keys, valid text, 64-bit ints), within size and depth?
        blob = orjson.dumps(value, option=_STRICT)
    except (TypeError, ValueError):
        pass  # the walk below names the problem
    else:
        if len(blob) <= max_bytes and blob.count(b"[") + blob.count(b"{") <= max_depth:
            return None  # at most max_depth brackets: no deeper than that
    size = 0
    stack: list[tuple[Any, int, list[Any]]] = [(value, 0, [])]
    while stack:
        v, depth, path = stack.pop()
        t = type(v)
        if t is str:
            size += len(v) + 2
            if not v.isascii() and _has_surrogate(v):
                return f"{_where(path, what)} holds a lone surrogate (text that is not valid Unicode)"
        elif t is bool or v is None:
            size += 5
        elif t is int:
            if not _INT64[0] <= v <= _INT64[1]:
                return f"{_where(path, what)} is an integer outside the 64-bit range"
            size += 20
        elif t is float:
            size += 24
        elif t is dict or t is list or t is tuple:
            if depth >= max_depth:
                return f"{_where(path, what)} is nested deeper than {max_depth} levels"
            size += 2
            if t is dict:
                for k, item in v.items():
                    if type(k) is not str:
                        return f"{_where(path, what)} has a key that is not a string ({type(k).__name__})"
                    if not k.isascii() and _has_surrogate(k):
                        return f"{_where(path, what)} has a key with a lone surrogate (text that is not valid Unicode)"
                    size += len(k) + 4
                    if size > max_bytes:
                        break
                    stack.append((item, depth + 1, [*path, k] if depth < 8 else path))
            else:
                for i, item in enumerate(v):
                    size += 1
                    if size > max_bytes:
                        break
                    stack.append((item, depth + 1, [*path, i] if depth < 8 else path))
        else:
            return f"{_where(path, what)} is a {t.__name__}, not a JSON value"
        if size > max_bytes:
            return f"{what} {'are' if what.endswith('s') else 'is'} larger than {max_bytes} bytes of JSON"
    return None


class _SafeRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother, self.maxlong = 3, 80, 80, 40
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 8

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"<int of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_REPR = _SafeRepr()


def safe_repr(value: Any, limit: int = 300) -> str:
    """A short, recordable description of any value (bounded in depth, length and time)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__: describe the type only
        text = f"<{type(value).__name__}>"
    return clean_text(text[:limit])


def read_text_file(path: str | Path, what: str, *, max_bytes: int | None = None) -> str:
    """A user's file as UTF-8 text, or a ConfigError that names it (``what``: e.g. "config file").

    Raises:
        ConfigError: The file cannot be read, is over ``max_bytes``, or is not UTF-8 text.
    """
    from .errors import ConfigError

    try:
        with open(path, "rb") as fh:
            raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise ConfigError(f"{what} {path}: over {max_bytes} bytes, not a {what}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None
