"""Train the Trajectory Synthesizer: pairs (instruction + source text -> tools + trajectory) through SFT.

The pairs are built by ``synth.synthesizer.build_pairs`` from a validated corpus; training is
:func:`trainers.sft.train_sft` (same recipe, loss on the assistant reply, i.e. the serialised
tools and trajectory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from .data import iter_corpus_files, iter_rows

__all__ = ["load_texts", "synthesizer_rows", "train_synthesizer"]


def load_texts(path: str | Path | None) -> dict[str, str] | None:
    """Source texts by id from JSONL lines ``{"id", "text"}`` (None: the rows carry their text).

    Raises:
        ConfigError: A line is not JSON, or a row is not an object with an ``id`` and a string ``text``.
    """
    if path is None:
        return None
    out: dict[str, str] = {}
    for f in iter_corpus_files(path):
        for n, rec in enumerate(iter_rows(f)):
            if not isinstance(rec, dict) or rec.get("id") is None or not isinstance(rec.get("text"), str):
                raise ConfigError(f"{f.name} row {n}: expected an object with an 'id' and a string 'text'")
            out[str(rec["id"])] = rec["text"]
    return out


def synthesizer_rows(
    corpus: str | Path | list[dict[str, Any]], texts: str | Path | dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Training rows ``{"messages", "tools": []}`` for the synthesizer, from a validated corpus.

    Raises:
        ConfigError: A file cannot be read, a row is not a trajectory row, or no row has its source text.
    """
    from synth.synthesizer import build_pairs

    if isinstance(corpus, (str, Path)):  # errors name the file and its row
        shards: list[tuple[str, list[Any]]] = [(f.name, list(iter_rows(f))) for f in iter_corpus_files(corpus)]
    else:
        shards = [("corpus", list(corpus))]
    text_map = texts if isinstance(texts, dict) or texts is None else load_texts(texts)
    pairs = [pair for where, rows in shards for pair in build_pairs(rows, text_map, where=where)]
    if not pairs:
        files = " and ".join(str(p) for p in (corpus, texts) if isinstance(p, (str, Path)))
        raise ConfigError(
            f"no synthesizer pair could be built{' from ' + files if files else ''}: rows need their source "
            "text (meta.extra.source_text, or --texts with {id, text} lines)"
        )
    return [{"messages": p["messages"], "tools": []} for p in pairs]


def train_synthesizer(corpus: Any, model: Any, *, texts: Any = None, **sft_kwargs: Any):
    """Build the pairs and fine-tune ``model`` on them (see :func:`trainers.sft.train_sft`)."""
    from .sft import train_sft

    return train_sft(synthesizer_rows(corpus, texts), model, **sft_kwargs)
