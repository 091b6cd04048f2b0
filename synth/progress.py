"""A live progress line for ``gem synth run``: items done, kept, drops per stage, LLM calls and tokens."""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["Progress"]


class Progress:
    """Feed it the pipeline's events (``on_event``); use as a context manager around the run."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.kept = 0
        self.errors = 0
        self.drops: Counter[str] = Counter()
        self.stages: Counter[str] = Counter()
        self.calls = 0
        self.tokens = 0
        self._progress: Any = None
        self._task: Any = None

    def event(self, kind: str, item_id: str, detail: dict[str, Any]) -> None:
        """Count one pipeline event (``stage``, ``kept``, ``drop`` or ``error``) and refresh the bar."""
        if kind == "stage":
            self.stages[detail["stage"]] += 1
        elif kind in ("kept", "drop"):
            led = detail.get("ledger") or {}
            self.calls += led.get("calls", 0)
            self.tokens += led.get("prompt_tokens", 0) + led.get("completion_tokens", 0)
            if kind == "kept":
                self.kept += 1
            else:
                self.drops[detail["stage"]] += 1
        elif kind == "error":
            self.errors += 1
        if self._progress is not None and kind != "stage":
            self._progress.update(self._task, advance=1, description=self.line())
        elif self._progress is not None:
            self._progress.update(self._task, description=self.line())

    def line(self) -> str:
        """The status line: kept, passed per stage, drops per stage, errors, LLM calls and tokens."""
        passed = " ".join(f"{k}:{v}" for k, v in self.stages.items())
        drops = " ".join(f"{k}:{v}" for k, v in self.drops.most_common())
        return (
            f"kept {self.kept} | passed {passed or '-'} | dropped {drops or '-'} | errors {self.errors} | "
            f"calls {self.calls} tokens {self.tokens}"
        )

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.completed} items"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.line(), total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
            self._progress = None
