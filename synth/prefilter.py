"""Cheap prefilter (no LLM): drop clearly non-procedural text before the Selection stage's LLM call.

A text passes when it shows procedure: enumerated or bulleted steps, sentences that open with an
imperative verb, sequencing words ("first", "then", "once", "after that"), or interface actions
("click", "select", "enter"). The score is a weighted count; the threshold is deliberately low
(recall over precision: the LLM tagger decides the close cases). A short text passes too when most
of its clauses are commands ("Check the tire pressure. Inflate to the listed value. Replace the
valve cap."; "open the glove box, release the stops, pull out the filter"), however few they are.
``benchmarks/bench_prefilter.py`` reports recall and reduction on a labelled set written for this
(``tests/data/prefilter/labelled.jsonl``) and on wikiHow.
"""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass

__all__ = [
    "COMMAND_VERBS",
    "IMPERATIVE_VERBS",
    "PrefilterResult",
    "command_clauses",
    "passes_prefilter",
    "prefilter_score",
]


def _words(name: str) -> frozenset[str]:
    text = (Path(__file__).resolve().parent / "data" / name).read_text()
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


#: Verbs whose use at a sentence start counts toward the score.
IMPERATIVE_VERBS = _words("imperative_verbs.txt")
#: Verbs that open a command clause (the clause rule checks the next word and the share of commands).
COMMAND_VERBS = IMPERATIVE_VERBS | _words("command_verbs.txt")
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
# Clause bounds: sentence ends, line breaks, colons, UI paths ("Menu > Downloads") and commas; a part
# after and/then/or/but counts only when it is a command ("hold the power and volume-down buttons").
_CLAUSE = re.compile(r"[.!?;:\n>]+|,\s*")
_JOIN = re.compile(r"\s+(?:and|then|or|but)\s+", re.IGNORECASE)
_CONDITION = frozenset("if when once whenever unless should after before".split())
_SECTION = re.compile(r"^\s*(?:method|directions|instructions|steps|procedure)\s*:", re.IGNORECASE | re.MULTILINE)
_LEAD = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022]|step\s+\w+\s*[:.)-]?)?\s*", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z']+")
# Words that may stand before the verb of a command ("Then add", "Please fill", "Gently lift").
_CLAUSE_SKIP = frozenset(
    "then and first firstly next finally now also please gently carefully slowly simply quickly lightly "
    "firmly just always afterwards later again immediately lastly so or but".split()
)
# A verb-like first word followed by one of these is no command ("Rain is", "Mix of", "Do you").
_NOT_AFTER_COMMAND = frozenset(
    "is was are were be been being has had have will would can could may might should shall must of 's "
    "you we they i he she".split()
)
_SENT = re.compile(r"(?:^|[.!?:]\s+|\n)\s*(?:\d{1,2}[.)]\s*|[-*\u2022]\s*)?([A-Za-z]+)")


@dataclass(frozen=True)
class PrefilterResult:
    """The prefilter's figures for one text and whether it passed."""

    score: float
    imperatives: float
    enumerated: int
    sequence_words: int
    ui_words: int
    passed: bool
    command_clauses: int = 0
    clauses: int = 0


def _is_command(words: list[str]) -> bool:
    """A clause's words open a command ("hold the...", "don't...") or a second-person step ("you take...")."""
    while words and words[0] in _CLAUSE_SKIP:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first in ("don't", "never"):
        return True
    if first in COMMAND_VERBS and (len(words) == 1 or words[1] not in _NOT_AFTER_COMMAND):
        return True
    return any(w == "you" and nxt in COMMAND_VERBS for w, nxt in zip(words[:4], words[1:5]))


def _is_gerund_step(words: list[str]) -> bool:
    """``pulling the wheel back``: a step of a "do X by doing Y, doing Z" chain."""
    w = words[0] if words else ""
    if not w.endswith("ing") or len(w) < 6:
        return False
    stem = w[:-3]
    return (
        stem in COMMAND_VERBS
        or stem + "e" in COMMAND_VERBS
        or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in COMMAND_VERBS)
    )


def command_clauses(text: str) -> tuple[int, int]:
    """``(command clauses, clauses)`` of ``text``: the clauses that are steps, out of all clauses.

    A step opens with a command verb (see :data:`COMMAND_VERBS`) or is a second-person step. The
    condition of a conditional command ("If the screen freezes, hold ...") counts as a step too, and
    so do the gerund steps of a command ("Tighten the chain by loosening ..., pulling ...").
    """
    heads: list[list[str]] = []
    extra = 0
    for clause in _CLAUSE.split(text):
        parts = _JOIN.split(_LEAD.sub("", clause, count=1))
        head = _WORD.findall(parts[0].lower())
        if head:
            heads.append(head)
        for part in parts[1:]:
            words = _WORD.findall(part.lower())
            if words and (_is_command(words) or _is_gerund_step(words)):
                heads.append(words)
    flags = [_is_command(h) for h in heads]
    if any(flags):
        flags = [f or _is_gerund_step(h) for f, h in zip(flags, heads)]
    for i in range(1, len(heads)):
        if flags[i] and not flags[i - 1] and heads[i - 1][0] in _CONDITION:
            extra += 1
    return sum(flags) + extra, len(heads)


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
        + 2.0 * bool(_SECTION.search(text))
        + 1.0 * imperatives
        + 0.75 * min(enumerated, 8)
        + 0.5 * min(seq, 8)
        + 0.25 * min(ui, 8)
        + 0.1 * min(you, 10)
    )
    commands, clauses = command_clauses(text)
    mostly_commands = commands >= 2 and commands >= 0.5 * clauses
    return PrefilterResult(
        score, imperatives, enumerated, seq, ui, score >= threshold or mostly_commands, commands, clauses
    )


def passes_prefilter(text: str, threshold: float = 3.0) -> bool:
    """Whether ``text`` passes the prefilter (see :func:`prefilter_score`)."""
    return prefilter_score(text, threshold).passed
