"""Corpus input: JSONL, Parquet, plain-text folders or any HF ``datasets`` dataset; long texts segmented.

``read_corpus(source)`` yields Segments lazily. It leaves dedup and decontamination to ``dedup.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError
from tools_registry.limits import read_text_file

from .records import Segment

__all__ = ["DEFAULT_MAX_CHARS", "read_corpus", "read_rows", "segment_text"]

DEFAULT_MAX_CHARS = 6000
_PARA = re.compile(r"\n\s*\n")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def segment_text(text: str, max_chars: int = DEFAULT_MAX_CHARS, min_chars: int = 0) -> list[str]:
    """Split ``text`` at paragraph breaks into pieces of at most ``max_chars``.

    A longer paragraph is cut at sentence ends, then hard. Short texts come back whole.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if len(text) >= min_chars and text else []
    pieces: list[str] = []
    for para in _PARA.split(text):
        para = para.strip()
        while len(para) > max_chars:
            cut = para.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 2 else max_chars
            pieces.append(para[:cut].strip())
            para = para[cut:].strip()
        if para:
            pieces.append(para)
    out: list[str] = []
    for p in pieces:
        if out and len(out[-1]) + 2 + len(p) <= max_chars:
            out[-1] = out[-1] + "\n\n" + p
        else:
            out.append(p)
    return [o for o in out if len(o) >= min_chars]


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".json":
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
        if head.startswith(b"["):  # one JSON array of rows
            try:
                rows = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise ConfigError(f"{path}: not a valid JSON array of rows: {exc}") from None
            yield from (r for r in rows if isinstance(r, dict))
            return
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{lineno}: not valid JSON: {exc}") from None
            if not isinstance(row, dict):
                raise ConfigError(f"{path}:{lineno}: expected a JSON object per line")
            yield row


def _parquet(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(f"{path}: reading Parquet needs `pip install pyarrow`") from exc

    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        yield from batch.to_pylist()


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".jsonl", ".json", ".parquet", ".txt", ".md"):
            yield p


def read_rows(
    source: str | Path, *, split: str = "train", dataset_config: str | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(source_name, row)`` from a file, a folder, a saved dataset or a Hugging Face dataset.

    ``source`` is a file, a folder of files, a folder written by ``datasets``' ``save_to_disk``, or
    a Hugging Face dataset name (streamed).
    """
    path = Path(source)
    if path.is_dir() and ((path / "state.json").is_file() or (path / "dataset_dict.json").is_file()):
        import datasets  # a dataset saved with Dataset.save_to_disk / DatasetDict.save_to_disk

        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            if split not in ds:
                raise ConfigError(f"{path}: no split {split!r} (has {', '.join(ds)}); pick one with --split")
            ds = ds[split]
        for row in ds:
            yield str(path), dict(row)
        return
    if path.exists():
        for f in _files(path):
            if f.suffix in (".jsonl", ".json"):
                rows: Iterable[dict[str, Any]] = _jsonl(f)
            elif f.suffix == ".parquet":
                rows = _parquet(f)
            else:
                rows = [
                    {
                        "id": str(f.relative_to(path) if path.is_dir() else f.name),
                        "text": read_text_file(f, "corpus file"),
                    }
                ]
            for row in rows:
                yield str(f), row
        return
    if str(source).startswith(("./", "/", "../")) or str(source).endswith((".jsonl", ".parquet", ".txt")):
        raise ConfigError(f"no such corpus file or folder: {source}")
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is in the train extra
        raise ConfigError("reading a Hugging Face dataset needs `pip install datasets`") from exc
    ds = datasets.load_dataset(str(source), dataset_config, split=split, streaming=True)
    for row in ds:
        yield str(source), dict(row)


def read_corpus(
    source: str | Path | Iterable[dict[str, Any]],
    *,
    text_field: str = "text",
    id_field: str = "id",
    max_chars: int = DEFAULT_MAX_CHARS,
    min_chars: int = 40,
    split: str = "train",
    dataset_config: str | None = None,
) -> Iterator[Segment]:
    """Segments of a corpus. Rows without ``text_field`` raise ConfigError naming the fields they have.

    A row's id is ``id_field`` when present, else ``<file>:<n>``; the n-th segment of a long text gets
    ``#<n>`` appended (the first keeps the plain id when the text is one segment).
    """
    if isinstance(source, (str, Path)):
        rows: Iterable[tuple[str, dict[str, Any]]] = read_rows(source, split=split, dataset_config=dataset_config)
    else:
        rows = (("<memory>", r) for r in source)
    fields = text_field.split("+")
    for n, (name, row) in enumerate(rows):
        if len(fields) > 1:  # "title+steps": fields joined by newlines (lists item by item)
            missing = [f for f in fields if f not in row]
            if missing:
                raise ConfigError(f"{name}: row {n} has no {missing[0]!r} field (fields: {', '.join(map(str, row))})")
            parts = [row[f] for f in fields]
            row = {
                **row,
                text_field: "\n".join("\n".join(map(str, p)) if isinstance(p, list) else str(p) for p in parts),
            }
        if text_field not in row:
            raise ConfigError(
                f"{name}: row {n} has no {text_field!r} field (fields: {', '.join(map(str, row))}); "
                f"pick one with --text-field"
            )
        text = row[text_field]
        if not isinstance(text, str):
            continue
        rid = str(row.get(id_field) if row.get(id_field) not in (None, "") else f"{Path(name).name}:{n}")
        pieces = segment_text(text, max_chars, min_chars)
        for i, piece in enumerate(pieces):
            sid = rid if len(pieces) == 1 else f"{rid}#{i}"
            yield Segment(id=sid, text=piece, source=name, hash=_hash(piece))
