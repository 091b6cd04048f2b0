"""BFCL result files: replay recorded model outputs in our env, and score them with bfcl-eval's own evaluation.

A BFCL multi-turn result line for a function-calling model is ``{"id", "result": turns}`` where a
turn is a list of steps and a step is ``[{name: arguments_json}, ...]`` (the calls of one model
reply) or the reply's text. :class:`ResultReplayAgent` plays such steps as an agent;
:func:`score_with_env` runs them through ``BFCLMultiTurnEnv``; :func:`score_with_bfcl_eval` hands
the same lines to bfcl-eval's ``evaluate_task`` (v4 package data) or ``multi_turn_runner`` (any
data folder). :func:`write_result_file` turns our episodes into result lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError

from ..agents import Agent
from .components import conversation_to_result
from .data import load_entries, resolve_data_dir

__all__ = [
    "EVAL_MODEL",
    "ResultReplayAgent",
    "read_result_file",
    "score_with_bfcl_eval",
    "score_with_env",
    "write_result_file",
]

#: The bfcl-eval model whose handler decodes results (an OpenAI function-calling model: its
#: decoder is bfcl-eval's ``convert_to_function_call``). No request is ever sent.
EVAL_MODEL = "gpt-4o-2024-11-20-FC"


class ResultReplayAgent(Agent):
    """Plays a BFCL result's steps: calls become tool-call messages, text hands the turn back.

    When a turn's recorded steps run out the agent hands the turn back with an empty text.

    Args:
        results: Task id -> the ``result`` field of its BFCL result line.
    """

    name = "bfcl-result-replay"

    def __init__(self, results: dict[str, list[list[Any]]]):
        self.results = results
        self._steps: list[list[Any]] = []
        self._turn = -1
        self._next = 0
        self._calls = 0

    def reset(self, task: Any = None, seed: int | None = None) -> None:
        """Load the recorded steps of the task.

        Raises:
            ConfigError: No recorded result for the task.
        """
        if task is None or task.id not in self.results:
            raise ConfigError(f"no recorded result for task {getattr(task, 'id', None)!r}")
        self._steps = self.results[task.id]
        self._turn, self._next, self._calls = -1, 0, 0

    def clone(self) -> ResultReplayAgent:
        """A fresh replay agent over the same results."""
        return ResultReplayAgent(self.results)

    async def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The next recorded step of the current user turn."""
        turn = sum(1 for m in observation["messages"] if m.get("role") == "user") - 1
        if turn != self._turn:
            self._turn, self._next = turn, 0
        turns = self._steps if isinstance(self._steps, list) else []  # an error text: inference failed
        steps = turns[turn] if 0 <= turn < len(turns) else []
        if not isinstance(steps, list):
            steps = [steps]
        if self._next >= len(steps):
            return {"role": "assistant", "content": ""}
        step = steps[self._next]
        self._next += 1
        if isinstance(step, list) and step and all(isinstance(c, dict) for c in step):
            calls = []
            for call in step:
                for name, args in call.items():
                    self._calls += 1
                    calls.append(
                        {"id": f"r{self._calls}", "type": "function", "function": {"name": name, "arguments": args}}
                    )
            return {"role": "assistant", "content": None, "tool_calls": calls}
        return {"role": "assistant", "content": step if isinstance(step, str) else json.dumps(step)}


def read_result_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The lines of a BFCL result file, each a JSON object with a string ``id``.

    A ``result`` that is not a list of turns (bfcl-eval writes an error text when inference
    failed) replays as a model that said nothing, and so scores 0.

    Raises:
        ConfigError: The file cannot be read, a line is not JSON, or a row is not an object with an id.
    """
    from ..score import read_rows

    rows = read_rows(Path(path))
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ConfigError(f"{path}: row {n} is not a BFCL result line (a JSON object with a string 'id')")
        row.setdefault("result", [])
    if not rows:
        raise ConfigError(f"{path}: no result lines")
    return rows


def score_with_env(
    results: list[dict[str, Any]],
    category: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    per_turn: bool = False,
) -> dict[str, bool]:
    """Replay result lines through ``BFCLMultiTurnEnv``; task id -> whether the reward is 1."""
    from ..rollout import run_episode
    from .env import BFCLMultiTurnEnv

    by_id = {r["id"]: r["result"] for r in results}
    env = BFCLMultiTurnEnv(category, data_dir=data_dir, task_ids=list(by_id), reference=False, per_turn=per_turn)
    agent = ResultReplayAgent(by_id)
    try:
        return {tid: run_episode(env, agent, task_id=tid).reward == 1.0 for tid in by_id}
    finally:
        env.close()


@contextlib.contextmanager
def _placeholder_openai_key() -> Iterator[None]:
    """bfcl-eval's OpenAI handler builds a client (never used to send anything) that wants a key."""
    had = "OPENAI_API_KEY" in os.environ
    if not had:
        os.environ["OPENAI_API_KEY"] = "unused-by-offline-evaluation"
    try:
        yield
    finally:
        if not had:
            os.environ.pop("OPENAI_API_KEY", None)


def _entry_dict(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "question": e.turns,
        "initial_config": e.initial_config,
        "involved_classes": e.involved_classes,
        "function": e.functions,
        "path": e.path,
    }


def score_with_bfcl_eval(
    results: list[dict[str, Any]],
    category: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    model: str = EVAL_MODEL,
) -> dict[str, bool]:
    """bfcl-eval's own evaluation of result lines; task id -> valid.

    With bfcl-eval's own data (the default) this is its ``evaluate_task`` (partial evaluation),
    which loads prompts and ground truth itself; with another data folder (e.g. v3) it is its
    ``multi_turn_runner`` on that folder's entries. Score files go to a temporary folder.
    """
    from ._bfcl import _default_project_root, package_data_dir

    _default_project_root()
    try:
        from bfcl_eval.eval_checker import eval_runner
    except ImportError as exc:
        raise ConfigError(
            f"bfcl-eval's evaluation cannot be imported ({exc}); its dependency qwen-agent "
            "also needs 'soundfile' (pip install soundfile)"
        ) from exc
    folder = resolve_data_dir(data_dir)
    own_data = folder.resolve() == package_data_dir().resolve()
    results = sorted(results, key=lambda r: int(r["id"].rsplit("_", 1)[1]))
    test_category = f"multi_turn_{category}"
    with _placeholder_openai_key(), tempfile.TemporaryDirectory(prefix="gem-bfcl-score-") as tmp:
        handler = eval_runner.get_handler(model)
        score_dir = Path(tmp)
        name = model.replace("/", "_")
        if own_data:
            eval_runner.evaluate_task(test_category, None, score_dir, results, name, handler, {}, allow_missing=True)
        else:
            wanted = {r["id"] for r in results}
            entries = [e for e in load_entries(category, folder) if e.id in wanted]
            prompts = [_entry_dict(e) for e in entries]
            answers = [{"id": e.id, "ground_truth": e.ground_truth} for e in entries]
            eval_runner.multi_turn_runner(handler, results, prompts, answers, name, test_category, score_dir)
        files = list(score_dir.rglob(f"*_{test_category}_score.json"))
        if len(files) != 1:
            raise ConfigError(f"bfcl-eval wrote {len(files)} score files for {test_category}")
        lines = [json.loads(line) for line in files[0].read_text().splitlines() if line.strip()]
    failed = {row["id"] for row in lines[1:]}
    return {r["id"]: r["id"] not in failed for r in results}


def write_result_file(records: list[Any], path: str | os.PathLike[str]) -> Path:
    """Write episodes (``EpisodeRecord``s or dicts with ``task_id`` and ``messages``) as BFCL result lines."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as fh:
        for rec in records:
            task_id = rec["task_id"] if isinstance(rec, dict) else rec.task_id
            messages = rec["messages"] if isinstance(rec, dict) else rec.messages
            fh.write(json.dumps({"id": task_id, "result": conversation_to_result(messages)}) + "\n")
    return out
