"""Per-row sampling for batched transformers generation, as a logits processor.

``generate`` runs greedy; this processor (placed after the grammar mask) applies each row's own
temperature, top-k, top-p, seed and token budget, then leaves one allowed token per row. Rows
with different sampling settings therefore share one batch, and masking happens before sampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RowSampler", "RowSampling"]


@dataclass
class RowSampling:
    """Sampling settings of one batch row."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    max_tokens: int = 512
    seed: int | None = None


class RowSampler:
    """Sample each row with its own settings; force a stop token once a row spent its budget.

    Attributes:
        cut: Rows stopped by their ``max_tokens`` budget.
    """

    def __init__(self, rows: list[RowSampling], stop_ids: list[int], device: Any) -> None:
        import torch

        self._torch = torch
        self.rows = rows
        self.stop_id = stop_ids[0]
        self.stop_ids = set(stop_ids)
        self.steps = 0
        self.cut: set[int] = set()
        self.done = [False] * len(rows)
        self.generators = []
        for r in rows:
            g = None
            if r.temperature > 0:
                g = torch.Generator(device=device if getattr(device, "type", str(device)) != "mps" else "cpu")
                g.manual_seed(r.seed if r.seed is not None else int(torch.randint(0, 2**31 - 1, (1,))))
            self.generators.append(g)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Sample or stop each row's next token with its own generator and settings."""
        torch = self._torch
        if self.steps:
            for i in range(len(self.rows)):
                if int(input_ids[i, -1]) in self.stop_ids:
                    self.done[i] = True
        for i, r in enumerate(self.rows):
            if self.done[i] or self.steps >= r.max_tokens:
                if not self.done[i]:
                    self.cut.add(i)
                    self.done[i] = True
                scores[i] = float("-inf")
                scores[i, self.stop_id] = 0.0
                continue
            if r.temperature <= 0:
                continue  # greedy: generate's argmax picks from the (masked) scores
            logits = scores[i].float() / r.temperature
            if r.top_k and r.top_k < logits.shape[-1]:
                kth = torch.topk(logits, r.top_k).values[-1]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            if r.top_p < 1.0:
                sorted_logits, order = torch.sort(logits, descending=True)
                probs = torch.softmax(sorted_logits, dim=-1)
                drop = probs.cumsum(-1) - probs > r.top_p
                logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
            probs = torch.softmax(logits, dim=-1)
            token = int(torch.multinomial(probs, 1, generator=self.generators[i]))
            scores[i] = float("-inf")
            scores[i, token] = 0.0
        self.steps += 1
        return scores
