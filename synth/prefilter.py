"""Cheap prefilter (no LLM): drop clearly non-procedural text before the Selection stage's LLM call.

A text passes when it shows procedure: enumerated or bulleted steps, sentences that open with an
imperative verb, sequencing words ("first", "then", "once", "after that"), or interface actions
("click", "select", "enter"). The score is a weighted count; the threshold is deliberately low
(recall over precision: the LLM tagger decides the close cases). Benchmarks report recall on
wikiHow articles and the reduction on non-procedural text.
"""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass

__all__ = ["IMPERATIVE_VERBS", "PrefilterResult", "passes_prefilter", "prefilter_score"]

IMPERATIVE_VERBS = frozenset(
    w.strip()
    for w in (Path(__file__).resolve().parent / "data" / "imperative_verbs.txt").read_text().splitlines()
    if w.strip() and not w.startswith("#")
)
_SEQ = re.compile(
    r"\b(first|firstly|second|then|next|after that|afterwards|once|finally|before|until|"
    r"step \d+|lastly|when you|make sure|if you)\b",
    re.IGNORECASE,
)
_UI = re.compile(
    r"\b(click|tap|select|enter|press|navigate|go to|log in|sign in|open the|settings|menu|button)\b",
    re.IGNORECASE,
)
_ENUM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022]|step\s+\d+[:.)]?)\s+\S", re.IGNORECASE | re.MULTILINE)
_DET = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "each",
        "some",
        "all",
        "any",
        "it",
        "them",
        "this",
        "that",
        "these",
        "those",
        "off",
        "out",
        "up",
        "down",
        "away",
        "in",
        "on",
        "into",
        "onto",
        "over",
        "with",
    ]
)
_NOT_VERB = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "my",
        "our",
        "their",
        "his",
        "her",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "it",
        "they",
        "we",
        "you",
        "i",
        "he",
        "she",
        "in",
        "on",
        "at",
        "of",
        "for",
        "with",
        "by",
        "from",
        "to",
        "as",
        "if",
        "when",
        "while",
        "and",
        "or",
        "but",
        "so",
        "because",
        "although",
        "some",
        "many",
        "most",
        "all",
        "each",
        "every",
        "no",
        "not",
        "one",
        "two",
        "three",
        "many",
    ]
)
_HOWTO = re.compile(r"\bhow to\b", re.IGNORECASE)
_SENT = re.compile(r"(?:^|[.!?:]\s+|\n)\s*(?:\d{1,2}[.)]\s*|[-*\u2022]\s*)?([A-Za-z]+)")


@dataclass(frozen=True)
class PrefilterResult:
    score: float
    imperatives: float
    enumerated: int
    sequence_words: int
    ui_words: int
    passed: bool


def prefilter_score(text: str, threshold: float = 3.0) -> PrefilterResult:
    """Score ``text``; ``passed`` when the score reaches ``threshold``."""
    imperatives = 0.0
    for m in _SENT.finditer(text):
        word = m.group(1).lower()
        if word in IMPERATIVE_VERBS:
            imperatives += 1
        elif word not in _NOT_VERB:  # "Whisk the ...": an unknown opener followed by a determiner
            nxt = text[m.end() : m.end() + 12].split()
            if nxt and nxt[0].lower().strip(",.") in _DET:
                imperatives += 0.5
    enumerated = len(_ENUM.findall(text))
    seq = len(_SEQ.findall(text))
    ui = len(_UI.findall(text))
    you = len(re.findall(r"\byour?\b", text, re.IGNORECASE))
    score = (
        1.5 * bool(_HOWTO.search(text[:200]))
        + 1.0 * imperatives
        + 0.75 * min(enumerated, 8)
        + 0.5 * min(seq, 8)
        + 0.25 * min(ui, 8)
        + 0.1 * min(you, 10)
    )
    return PrefilterResult(score, imperatives, enumerated, seq, ui, score >= threshold)


def passes_prefilter(text: str, threshold: float = 3.0) -> bool:
    return prefilter_score(text, threshold).passed
