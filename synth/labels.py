"""The fixed label sets of the Selection stage (26 domains, 38 tasks, 5 platforms) and the 5 patterns.

The sets are data (``synth/data/labels.json``); ``labels.md`` in docs says which come from the paper.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["PATTERNS", "Labels", "labels"]

#: Interaction patterns of Stage 3 (paper.md), as labels.
PATTERNS = ("rule_conflict", "error_recovery", "clarification", "multi_hop", "domain_rule")


class Labels:
    """The label sets; ``normalize(kind, value)`` maps near-misses ("Home & Garden") onto a label."""

    def __init__(self, domains: list[str], tasks: list[str], platforms: list[str]):
        self.domains = tuple(domains)
        self.tasks = tuple(tasks)
        self.platforms = tuple(platforms)

    def of(self, kind: str) -> tuple[str, ...]:
        """The allowed labels of ``kind`` (``domain``, ``task`` or ``platform``)."""
        return {"domain": self.domains, "task": self.tasks, "platform": self.platforms}[kind]

    def normalize(self, kind: str, value: object) -> str | None:
        """The label ``value`` names (case, spaces, '&', '-' forgiven), or None."""
        if not isinstance(value, str):
            return None
        allowed = self.of(kind)
        if value in allowed:
            return value
        key = "_".join(value.lower().replace("&", " ").replace("-", " ").replace("/", " ").split())
        return key if key in allowed else None


@lru_cache(maxsize=1)
def labels() -> Labels:
    """The label sets shipped in ``synth/data/labels.json``."""
    data = json.loads((Path(__file__).resolve().parent / "data" / "labels.json").read_text())
    return Labels(data["domains"], data["tasks"], data["platforms"])
