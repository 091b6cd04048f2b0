"""Public testing API for the training loop: a tiny model fitted to a domain, flawed rollouts, broken templates.

The learning checks (``tests/trainers/test_learning.py``, ``benchmarks/learn_sft.py``,
``benchmarks/learn_grpo.py``) use these to show that rollouts -> SFT -> eval -> GRPO moves the
environment's reward, and that breaking one link (the loss mask, the tool-call format) stops it:

- :func:`domain_texts` / :func:`build_domain_model`: a tiny random Qwen3 model whose BPE is fitted to
  the domains' own text, so a whole episode is a few hundred tokens and trains on a CPU in seconds.
- :class:`FlawedOracleAgent`: replays a task's reference but garbles the arguments of its first write
  call, so the episode is real and scores 0 (data from a teacher that fails some tasks).
- :func:`broken_template`: TRL's Qwen3 training template with the loss mask or the tool-call format
  broken on purpose.

The GRPO learning check's pieces are in :mod:`trainers.learning`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from gem_env.agents import OracleAgent
from tools_registry.errors import ConfigError

__all__ = [
    "BROKEN_LINKS",
    "FlawedOracleAgent",
    "broken_template",
    "build_domain_model",
    "domain_texts",
    "synth_domains",
    "write_rollouts",
]

#: What :func:`broken_template` can break.
BROKEN_LINKS = ("mask", "tool_call_format")


def domain_texts(env_ids: Iterable[str]) -> list[str]:
    """Each task's reference episode as TRL's Qwen3 template renders it (policy, tools and turns)."""
    from transformers.utils.chat_template_utils import render_jinja_template

    from gem_env.llm.testing.tiny_model import qwen3_chat_template
    from gem_env.registration import make_env

    template = qwen3_chat_template()
    texts: list[str] = []
    for env_id in env_ids:
        env = make_env(env_id)
        for task in env.tasks:
            obs, _ = env.reset(seed=0, options={"task_id": task.id})
            messages = obs["messages"][:1] + [m.to_dict() for m in task.reference]
            if obs["messages"][0]["role"] != "system":
                messages = messages[1:]
            rendered, _ = render_jinja_template([messages], tools=obs["tools"] or None, chat_template=template)  # type: ignore[str-unpack]  # annotated str, returns (texts, indices)
            texts.append(rendered[0])
        env.close()
    return texts


def build_domain_model(
    path: str | Path,
    env_ids: Iterable[str],
    *,
    vocab_size: int = 4096,
    hidden_size: int = 64,
    num_layers: int = 2,
    seed: int = 0,
) -> Path:
    """A tiny random Qwen3 chat model (TRL's ``qwen3.jinja``) whose BPE is fitted to these environments.

    Merges may cross word boundaries, so a photo-framing episode (about 13K characters, 4K tokens with
    a word-level 1K vocabulary) is about 550 tokens; decoding stays lossless and the markup
    (``<tool_call>``, ``<|im_end|>``, ...) stays single tokens. The tokenizer is fitted to the reference
    episodes, which a test then trains on: it measures whether the loop learns, not whether a
    tokenizer generalises.
    """
    from gem_env.llm.testing.tiny_model import build_tiny_chat_model

    return build_tiny_chat_model(
        path,
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=4096,
        seed=seed,
        texts=domain_texts(list(env_ids)),
        merge_across_words=True,
    )


def _garble(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments with the first string value changed (or one wrong argument added)."""
    out = dict(args)
    for key, value in out.items():
        if isinstance(value, str):
            out[key] = value + "-X"
            return out
    out["unexpected"] = "X"
    return out


class FlawedOracleAgent(OracleAgent):
    """Replays the reference, except that the first write call (a gold action) gets wrong arguments.

    The call fails or changes the wrong thing, so tasks scored on actions or state get reward 0;
    the rest of the reference is replayed as is.
    """

    name = "flawed-oracle"

    def reset(self, task=None, seed=None) -> None:
        """Reset as the oracle, then garble the arguments of the first gold write call of the reference."""
        super().reset(task, seed)
        gold = {a.name for a in task.criteria.actions}
        if not gold:
            raise ConfigError(f"task '{task.id}' has no gold write action to get wrong")
        for i, msg in enumerate(self._replies):
            calls = msg.get("tool_calls") or []
            for j, call in enumerate(calls):
                if call["function"]["name"] in gold:
                    bad = dict(call, function={**call["function"], "arguments": _garble(call["function"]["arguments"])})
                    self._replies[i] = {**msg, "tool_calls": [*calls[:j], bad, *calls[j + 1 :]]}
                    return

    def clone(self) -> FlawedOracleAgent:
        """A fresh FlawedOracleAgent."""
        return FlawedOracleAgent()


def write_rollouts(
    env_ids: Iterable[str],
    path: str | Path,
    *,
    flawed: bool = False,
    tasks: list[str] | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> list[float]:
    """Append one oracle rollout per task as corpus rows to ``path``; return the episodes' rewards.

    With ``flawed``, each task also gets one :class:`FlawedOracleAgent` rollout. ``env_kwargs`` go to
    ``make_env`` (e.g. ``{"tools": "compiled"}``).
    """
    import asyncio

    from gem_env.registration import make_env
    from gem_env.rollout import arollout

    agents = [OracleAgent(), FlawedOracleAgent()] if flawed else [OracleAgent()]
    rewards: list[float] = []
    for env_id in env_ids:
        make = partial(make_env, env_id, **(env_kwargs or {}))
        ids = [t.id for t in make().tasks if tasks is None or t.id in tasks]
        for agent in agents:
            recs = asyncio.run(arollout(make, agent, len(ids), task_ids=ids, output=path))
            rewards += [float(r.reward) for r in recs]
    return rewards


def synth_domains(out: str | Path, corpus: str | Path | None = None, limit: int | None = None) -> list[Path]:
    """Run ``gem synth run CORPUS --model fake`` into ``out``; return its domain folders (sorted).

    The fake teacher writes a program per tool and the compile stage certifies them, so the domains
    run on compiled tools (``tools="compiled"``; see docs/compile.md).
    """
    from typer.testing import CliRunner

    from synth.cli import synth_app

    corpus = corpus or Path(__file__).resolve().parents[1] / "examples" / "corpus" / "procedural.jsonl"
    args = ["run", str(corpus), "-o", str(out), "--model", "fake", "--quiet"]
    res = CliRunner().invoke(synth_app, args + (["--limit", str(limit)] if limit else []))
    if res.exit_code != 0:
        raise ConfigError(f"gem synth run failed: {res.output} {res.exception}")
    return sorted(p for p in (Path(out) / "domains").iterdir() if (p / "domain.json").is_file())


def broken_template(link: str) -> str:
    """TRL's ``qwen3_training.jinja`` with one link of the loop broken on purpose.

    Args:
        link: ``"mask"``: the ``{% generation %}`` markers wrap the user turns instead of the
            assistant turns, so SFT trains on what the user says; ``"tool_call_format"``: tool calls
            are written ``{"tool": ...}`` instead of ``{"name": ...}``, which the hermes parser rejects.

    Raises:
        ConfigError: Unknown link, or the installed TRL template no longer has the expected text.
    """
    import trl

    text = (Path(trl.__file__).parent / "chat_templates" / "qwen3_training.jinja").read_text(encoding="utf-8")
    if link == "mask":
        edits = [
            ("{%- generation %}", ""),
            ("{%- endgeneration %}", ""),
            (
                "{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}",
                "{%- generation %}{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}"
                "{%- endgeneration %}",
            ),
        ]
    elif link == "tool_call_format":
        edits = [('{{- \'<tool_call>\\n{"name": "\' }}', '{{- \'<tool_call>\\n{"tool": "\' }}')]
    else:
        raise ConfigError(f"unknown link {link!r}; choose one of {', '.join(BROKEN_LINKS)}")
    for old, new in edits:
        if old not in text:
            raise ConfigError(f"trl's qwen3_training.jinja changed: {old!r} not found")
        text = text.replace(old, new)
    return text
