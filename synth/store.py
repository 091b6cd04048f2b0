"""The output folder: sharded JSONL of kept rows and drops, appended a whole line at a time, resumable.

Layout of OUT:
    corpus/part-<run>-<shard>.jsonl   kept rows {"messages", "tools", "meta"} (load_dataset("json"))
    drops/part-<run>-<shard>.jsonl    one Drop per removed item
    (a Ray run names them part-<run>-<tag>-<shard>.jsonl, one tag per worker: no file has two writers)
    cache.sqlite                      the LLM reply cache (every finished call, replayed on resume)
    runs.jsonl                        one line per run: config, counts, usage
    domains/<name>/                   a domain folder per kept trajectory (gym.make("gem/<name>-v0"))
An item is finished when its row is in corpus/ or drops/. Each row is one ``os.write`` of a whole
line on an O_APPEND descriptor; a run killed mid-write leaves at most a torn last line, which
``repair`` cuts off before a resume reads anything. Any other damaged line is a ConfigError naming the file
and line; a row without a readable id does not count as finished.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tools_registry.errors import ConfigError

__all__ = ["ShardWriter", "finished_ids", "iter_rows", "next_run_number", "repair"]


class ShardWriter:
    """Append-only JSONL shards ``<dir>/part-<run:03d>[-<tag>]-<n:05d>.jsonl`` of at most ``max_rows`` rows.

    ``tag`` tells concurrent writers of one run apart (a Ray worker's ``w003``).
    """

    def __init__(self, directory: str | Path, run: int, max_rows: int = 5000, *, tag: str | None = None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.run = run
        self.prefix = f"part-{run:03d}-{tag}-" if tag else f"part-{run:03d}-"
        self.max_rows = max_rows
        self.shard = -1
        self.rows = 0
        self.fd: int | None = None

    def _open(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        self.shard += 1
        self.rows = 0
        path = self.dir / f"{self.prefix}{self.shard:05d}.jsonl"
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, row: dict[str, Any]) -> None:
        """Append ``row`` as one JSON line, opening a new shard when none is open or the current one is full."""
        if self.fd is None or self.rows >= self.max_rows:
            self._open()
        data = orjson.dumps(row) + b"\n"
        written = os.write(self.fd, data)  # type: ignore[arg-type]
        while written < len(data):  # a short write: finish it (rare, large rows)
            written += os.write(self.fd, data[written:])  # type: ignore[arg-type]
        self.rows += 1

    def close(self) -> None:
        """Close the open shard, if any (a later write opens a new one)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def repair(directory: str | Path) -> int:
    """Cut torn last lines off every shard in ``directory``; return how many files were repaired."""
    fixed = 0
    for path in sorted(Path(directory).glob("part-*.jsonl")):
        data = path.read_bytes()
        if not data or data.endswith(b"\n"):
            continue
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as fh:
            fh.truncate(cut)
        fixed += 1
    return fixed


def iter_rows(directory: str | Path) -> Iterator[dict[str, Any]]:
    """Every complete row of every shard in ``directory``, in file order."""
    for path in sorted(Path(directory).glob("part-*.jsonl")):
        with open(path, "rb") as fh:
            for n, line in enumerate(fh, 1):
                if line.endswith(b"\n") and line.strip():
                    try:
                        row = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise ConfigError(f"{path} line {n}: not JSON ({exc})") from None
                    if not isinstance(row, dict):
                        raise ConfigError(f"{path} line {n}: expected a JSON object, got {type(row).__name__}")
                    yield row


def finished_ids(out: str | Path) -> set[str]:
    """Ids of items with a row in corpus/ or drops/ (after repairing torn lines)."""
    out = Path(out)
    done: set[str] = set()
    for sub in ("corpus", "drops"):
        if (out / sub).is_dir():
            repair(out / sub)
    for row in iter_rows(out / "corpus"):
        meta = row.get("meta")
        provenance = meta.get("provenance") if isinstance(meta, dict) else None
        sid = provenance.get("source_id") if isinstance(provenance, dict) else None
        if isinstance(sid, str):
            done.add(sid)
    for row in iter_rows(out / "drops"):
        if isinstance(row.get("id"), str):
            done.add(row["id"])
    return done


def next_run_number(out: str | Path) -> int:
    """The number of runs recorded in ``out/runs.jsonl`` (the next run's number); 0 when none."""
    runs = Path(out) / "runs.jsonl"
    if not runs.is_file():
        return 0
    return sum(1 for line in runs.read_bytes().splitlines() if line.strip())
