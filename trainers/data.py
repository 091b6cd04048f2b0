"""Corpus loading for training: rows of ``{"messages", "tools"}`` into an HF dataset that keeps them exact.

HF ``datasets`` infers Arrow structs from JSON and unions the keys of every row: a tool call's
``arguments`` in one row gains the other rows' argument names filled with ``None``, and so do tool
parameter schemas and message fields. Rendered through a chat template that is a different (wrong)
conversation. Here ``messages`` and ``tools`` are stored with the ``Json`` feature (one JSON value per
message / tool), so each row decodes back to exactly the Python dicts it was built from.
Rendering and tokenization are TRL's (``SFTTrainer`` reads ``messages`` and ``tools``).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError, GemError, ParseError
from tools_registry.records import parse_arguments
from tools_registry.specs import ToolSpec

__all__ = [
    "corpus_dataset",
    "corpus_features",
    "iter_corpus_files",
    "iter_rows",
    "load_corpus",
    "normalize_row",
    "render_row",
]

_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")


def iter_corpus_files(path: str | Path) -> list[Path]:
    """The JSONL/JSON/Parquet files a corpus path names: one file, or every shard under a folder (sorted)."""
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise ConfigError(f"corpus path {p} does not exist")
    if (p / "state.json").is_file() and (p / "dataset_info.json").is_file():  # a `save_to_disk` folder
        return [p]
    files = sorted(
        f for f in p.rglob("*") if f.is_file() and (f.name.endswith(_JSONL_SUFFIXES) or f.suffix == ".parquet")
    )
    if not files:
        raise ConfigError(f"corpus folder {p} holds no .jsonl, .json or .parquet files")
    return files


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(1)
        fh.seek(0)
        if head == b"[":  # a JSON array file
            try:
                data = orjson.loads(fh.read())
            except orjson.JSONDecodeError as exc:
                raise ConfigError(f"{path}: not a valid JSON array of rows: {exc}") from None
            yield from data
            return
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{lineno}: not valid JSON: {exc}") from None


def _decode_json_column(value: Any) -> Any:
    """A column stored as JSON text (whole, or one string per element) back to Python values."""
    if isinstance(value, (str, bytes)):
        return orjson.loads(value)
    if isinstance(value, list):
        return [orjson.loads(v) if isinstance(v, (str, bytes)) else v for v in value]
    return value


def _read_arrow_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Parquet files or ``save_to_disk`` folders, accepted only when messages/tools are JSON (not inferred structs)."""
    import datasets

    ds = datasets.load_from_disk(str(path)) if path.is_dir() else datasets.Dataset.from_parquet(str(path))
    if isinstance(ds, datasets.DatasetDict):
        ds = ds["train"] if "train" in ds else next(iter(ds.values()))
    for col in ("messages", "tools"):
        if col not in ds.features:
            continue
        feat = ds.features[col]
        inner = getattr(feat, "feature", feat)
        ok = isinstance(feat, (datasets.Json, datasets.Value)) or isinstance(inner, (datasets.Json, datasets.Value))
        if not ok:
            raise ConfigError(
                f"{path}: column {col!r} is stored as an inferred Arrow struct ({feat}); struct inference fills "
                "missing keys (tool arguments, schema properties) with None and changes the rendered "
                "conversation. Store it with datasets.Json() or as JSON strings, or use the JSONL corpus."
            )
    for row in ds:
        yield {k: (_decode_json_column(v) if k in ("messages", "tools") else v) for k, v in row.items()}


def normalize_row(row: dict[str, Any], *, where: str = "row") -> dict[str, Any]:
    """Check a corpus row and bring it to training form: ``{"messages", "tools"}`` (+ ``chat_template_kwargs``).

    Tool-call arguments given as JSON strings become dicts and bare tool specs are wrapped in OpenAI's
    ``{"type": "function", ...}``; every other key and value is kept as is.

    Raises:
        ConfigError: Not an object, no ``messages`` list, a message without a role, a tool call
            without a function, unparseable arguments, or tools that are not tool specs.
    """
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(row).__name__}")
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ConfigError(f"{where}: expected a non-empty 'messages' list")
    out_msgs = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            raise ConfigError(f"{where}: message {i} has no role")
        if m.get("tool_calls"):
            m = dict(m)
            if not isinstance(m["tool_calls"], list):
                raise ConfigError(f"{where}: message {i}: tool_calls must be a list")
            calls = []
            for j, c in enumerate(m["tool_calls"]):
                fn = c.get("function") if isinstance(c, dict) else None
                if not isinstance(fn, dict):
                    raise ConfigError(f"{where}: message {i}: tool call {j} has no 'function' object")
                if isinstance(fn.get("arguments"), (str, bytes)) or fn.get("arguments") is None:
                    try:
                        args = parse_arguments(fn.get("arguments"))
                    except ParseError as exc:
                        raise ConfigError(f"{where}: message {i}: {exc}") from None
                    c = {**c, "function": {**fn, "arguments": args}}
                calls.append(c)
            m["tool_calls"] = calls
        out_msgs.append(m)
    tools = row.get("tools") or []
    if isinstance(tools, (str, bytes)):
        try:
            tools = orjson.loads(tools)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{where}: 'tools' is not JSON: {exc}") from None
    if not isinstance(tools, list):
        raise ConfigError(f"{where}: 'tools' must be a list of tool specs, got {type(tools).__name__}")
    out_tools = []
    for j, t in enumerate(tools):
        if isinstance(t, dict) and t.get("type") == "function":
            out_tools.append(t)
            continue
        try:
            out_tools.append(ToolSpec.from_openai(t).to_openai())
        except (GemError, ValueError) as exc:  # ValueError: pydantic's ValidationError
            raise ConfigError(f"{where}: tool {j} is not a tool spec: {str(exc)[:200]}") from None
    out: dict[str, Any] = {"messages": out_msgs, "tools": out_tools}
    if isinstance(row.get("chat_template_kwargs"), dict):
        out["chat_template_kwargs"] = row["chat_template_kwargs"]
    return out


def iter_rows(file: Path) -> Iterator[Any]:
    """The rows of one corpus file (JSONL, JSON array, Parquet, a ``save_to_disk`` folder), as stored.

    Raises:
        ConfigError: A line or the array is not JSON.
    """
    return _read_arrow_rows(file) if (file.is_dir() or file.suffix == ".parquet") else _read_jsonl(file)


def load_corpus(path: str | Path, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Load training rows from a corpus file or folder (JSONL shards, JSON, Parquet, ``save_to_disk``).

    Rows are normalised with :func:`normalize_row`; provenance (``meta``) is not carried into training.

    Raises:
        ConfigError: The path holds no rows, or a row is malformed.
    """
    rows: list[dict[str, Any]] = []
    for f in iter_corpus_files(path):
        for n, row in enumerate(iter_rows(f)):
            rows.append(normalize_row(row, where=f"{f.name} row {n}"))
            if limit is not None and len(rows) >= limit:
                return rows
    if not rows:
        raise ConfigError(f"corpus {path} holds no rows")
    return rows


def corpus_features(with_kwargs: bool = False):
    """``datasets.Features`` storing each message and each tool as one ``Json`` value."""
    from datasets import Features, Json, List

    feats = {"messages": List(Json()), "tools": List(Json())}
    if with_kwargs:
        feats["chat_template_kwargs"] = Json()
    return Features(feats)


def corpus_dataset(rows: Iterable[dict[str, Any]]):
    """A ``datasets.Dataset`` whose rows decode to exactly the given ``{"messages", "tools"}`` dicts."""
    import datasets

    rows = [normalize_row(r, where=f"row {i}") for i, r in enumerate(rows)]
    with_kwargs = any("chat_template_kwargs" in r for r in rows)
    if with_kwargs:
        rows = [{**r, "chat_template_kwargs": r.get("chat_template_kwargs", {})} for r in rows]
    return datasets.Dataset.from_list(rows, features=corpus_features(with_kwargs))


def render_row(row: dict[str, Any], tokenizer: Any, *, chat_template: str | None = None) -> str:
    """The text the chat template renders for a row (its tools included), as training sees it."""
    kwargs = dict(row.get("chat_template_kwargs") or {})
    return tokenizer.apply_chat_template(
        row["messages"], tools=row.get("tools") or None, tokenize=False, chat_template=chat_template, **kwargs
    )
