"""Cheap prefilter (no LLM): drop clearly non-procedural text before the Selection stage's LLM call.

A text passes when it shows procedure: enumerated or bulleted steps, sentences that open with an
imperative verb, sequencing words ("first", "then", "once", "after that"), or interface actions
("click", "select", "enter"). The score is a weighted count; the threshold is deliberately low
(recall over precision: the LLM tagger decides the close cases). Benchmarks report recall on
wikiHow articles and the reduction on non-procedural text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["IMPERATIVE_VERBS", "PrefilterResult", "passes_prefilter", "prefilter_score"]

IMPERATIVE_VERBS = frozenset(
    [
        "add",
        "adjust",
        "allow",
        "apply",
        "arrange",
        "ask",
        "assemble",
        "attach",
        "avoid",
        "back",
        "bake",
        "be",
        "blend",
        "boil",
        "book",
        "bring",
        "brush",
        "buy",
        "bend",
        "blot",
        "boot",
        "brew",
        "call",
        "cancel",
        "change",
        "charge",
        "check",
        "choose",
        "clean",
        "clear",
        "click",
        "close",
        "combine",
        "compare",
        "configure",
        "confirm",
        "connect",
        "contact",
        "copy",
        "cover",
        "create",
        "cut",
        "decide",
        "delete",
        "describe",
        "disconnect",
        "download",
        "drain",
        "drag",
        "drink",
        "dry",
        "edit",
        "empty",
        "enable",
        "enter",
        "fill",
        "find",
        "fit",
        "fix",
        "fold",
        "follow",
        "get",
        "give",
        "go",
        "grab",
        "heat",
        "hold",
        "insert",
        "install",
        "keep",
        "leave",
        "let",
        "lift",
        "list",
        "load",
        "locate",
        "log",
        "look",
        "loosen",
        "make",
        "mark",
        "measure",
        "mix",
        "move",
        "open",
        "order",
        "pack",
        "paint",
        "park",
        "pay",
        "pick",
        "place",
        "plan",
        "plug",
        "pour",
        "prepare",
        "press",
        "print",
        "pull",
        "push",
        "put",
        "read",
        "record",
        "reboot",
        "refresh",
        "register",
        "remove",
        "repeat",
        "replace",
        "request",
        "reset",
        "restart",
        "return",
        "review",
        "rinse",
        "run",
        "save",
        "scrub",
        "search",
        "select",
        "send",
        "set",
        "share",
        "shut",
        "sign",
        "slice",
        "sort",
        "spray",
        "spread",
        "start",
        "stir",
        "stop",
        "store",
        "submit",
        "switch",
        "take",
        "tap",
        "tell",
        "test",
        "tighten",
        "try",
        "turn",
        "type",
        "unplug",
        "update",
        "upload",
        "use",
        "verify",
        "visit",
        "wait",
        "wash",
        "wipe",
        "wrap",
        "write",
        "vacuum",
        "shake",
        "spray",
        "preheat",
        "scoop",
        "peel",
        "grate",
        "whisk",
        "refrigerate",
        "steep",
        "serve",
        "transfer",
        "lower",
        "soak",
        "squeeze",
        "dab",
        "chill",
        "draw",
        "trace",
        "gather",
        "flush",
        "rub",
        "grip",
        "flip",
        "admire",
        "cook",
        "roast",
        "season",
        "drizzle",
        "sprinkle",
        "combine",
        "place",
        "unscrew",
        "screw",
        "drill",
        "sand",
        "polish",
        "rinse",
        "dust",
        "mop",
        "sweep",
        "trim",
        "water",
        "plant",
        "prune",
        "dig",
        "feed",
        "walk",
        "train",
        "brush",
        "bathe",
        "wear",
        "tie",
        "iron",
        "hang",
        "log",
        "ensure",
        "note",
        "allow",
        "sign",
        "choose",
        "schedule",
        "browse",
        "dial",
        "text",
    ]
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
