"""Exact and near-duplicate removal (MinHash LSH) and decontamination against benchmark texts.

Overlap rule (decontamination): text is lower-cased, every run of non-alphanumerics becomes one
space, and words are taken. A segment is contaminated when it shares any word ``n``-gram
(default n = 13, the GPT-3 rule) with a benchmark text; a benchmark text shorter than ``n`` words
contaminates a segment that contains it whole (as a word sequence) and has at least ``min_words``
words (shorter ones are ignored: "book a flight" alone must not drop every travel text).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from datasketch import MinHash, MinHashLSH

__all__ = ["Decontaminator", "Deduplicator", "load_benchmark_texts", "normalize_words"]

_SKIP_KEYS = frozenset({"role", "id", "name", "type", "tool_call_id"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_words(text: str) -> list[str]:
    """The lower-cased words of ``text``; every run of other characters than a-z and 0-9 splits."""
    return _NON_ALNUM.sub(" ", text.lower()).split()


def _shingles(words: list[str], k: int) -> set[bytes]:
    if len(words) < k:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


class Deduplicator:
    """Streaming dedup: ``check(id, text)`` returns None for a new text, else ``(reason, id_of_original)``.

    Exact: sha256 of the normalised words. Near: MinHash over word ``shingle``-grams, LSH at
    Jaccard ``threshold`` (default 0.8).
    """

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle: int = 5, near: bool = True):
        self.exact: dict[str, str] = {}
        self.near = near
        self.shingle = shingle
        self.num_perm = num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm) if near else None

    def check(self, item_id: str, text: str) -> tuple[str, str] | None:
        """Record ``text`` under ``item_id``; ``(reason, earlier id)`` when it repeats an earlier text.

        Returns:
            ``("exact_duplicate", id)`` for the same words, ``("near_duplicate", id)`` for a MinHash LSH
            match above the threshold (when near-duplicate search is on), else None.
        """
        words = normalize_words(text)
        key = hashlib.sha256(" ".join(words).encode()).hexdigest()
        if key in self.exact:
            return "exact_duplicate", self.exact[key]
        self.exact[key] = item_id
        if self.lsh is None:
            return None
        mh = MinHash(num_perm=self.num_perm)
        mh.update_batch(list(_shingles(words, self.shingle)))
        hits = self.lsh.query(mh)
        if hits:
            return "near_duplicate", min(hits)
        self.lsh.insert(item_id, mh)
        return None


class Decontaminator:
    """``check(text)`` returns the index of a benchmark text it overlaps (see the module's rule), or None."""

    def __init__(self, benchmark_texts: Iterable[str], n: int = 13, min_words: int = 8):
        self.n = n
        self.ngrams: dict[int, int] = {}
        self.short: list[tuple[tuple[str, ...], int]] = []
        self.size = 0
        for i, text in enumerate(benchmark_texts):
            words = normalize_words(text)
            self.size += 1
            if len(words) >= n:
                for j in range(len(words) - n + 1):
                    self.ngrams.setdefault(hash(tuple(words[j : j + n])), i)
            elif len(words) >= min_words:
                self.short.append((tuple(words), i))

    def check(self, text: str) -> int | None:
        """The index of the first benchmark text ``text`` overlaps (a shared n-gram or a short text), or None."""
        words = normalize_words(text)
        n = self.n
        for j in range(len(words) - n + 1):
            hit = self.ngrams.get(hash(tuple(words[j : j + n])))
            if hit is not None:
                return hit
        if self.short:
            joined = " " + " ".join(words) + " "
            for seq, idx in self.short:
                if " " + " ".join(seq) + " " in joined:
                    return idx
        return None


def load_benchmark_texts(
    paths: Iterable[str | Path],
    fields: tuple[str, ...] = (
        "question",
        "content",
        "text",
        "instructions",
        "reason_for_call",
        "task_instructions",
    ),
) -> list[str]:
    """Every string under the named fields (any depth) in JSON / JSONL files, or whole .txt/.md files.

    Covers BFCL question files (JSONL, ``question`` = list of turns of messages with ``content``) and
    tau2 ``tasks.json`` (``user_scenario.instructions.*``).
    """
    import orjson

    out: list[str] = []

    def walk(value: object, take: bool) -> None:
        if isinstance(value, str):
            if take:
                out.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in _SKIP_KEYS:
                    walk(v, take or k in fields)
        elif isinstance(value, list):
            for v in value:
                walk(v, take)

    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.suffix in (".txt", ".md"):
                out.append(f.read_text(encoding="utf-8"))
                continue
            if f.suffix not in (".json", ".jsonl"):
                continue
            raw = f.read_bytes()
            try:
                walk(orjson.loads(raw), False)
            except orjson.JSONDecodeError:
                for line in raw.splitlines():
                    if line.strip():
                        walk(orjson.loads(line), False)
    return out
