"""GRPO against gem environments: TRL's ``GRPOTrainer`` with a multi-turn rollout function.

:class:`GemRollout` is TRL's ``rollout_func``: each prompt row names an environment and a task; the
rollout resets that environment, lets the policy generate one assistant turn at a time with the
trainer's own generation backend (vLLM colocate/server when ``use_vllm``, else ``model.generate``),
hands the decoded turn to ``env.step``, and appends the environment's reply (tool results, the
user's next message) as tokens rendered by the chat template. The completion is the model's own
tokens (never re-rendered) interleaved with environment tokens; ``env_mask`` marks the latter 0 so
they carry no loss, and the episode's reward is the environment's terminal reward. Optimisation,
advantages, clipping and logging are TRL's.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from tools_registry.errors import ConfigError

__all__ = ["GRPOResult", "GemRollout", "build_grpo_trainer", "build_task_dataset", "env_reward", "train_grpo"]

logger = logging.getLogger(__name__)


def env_reward(completions: list[Any], env_reward: list[float] | None = None, **kwargs: Any) -> list[float]:
    """Reward function: the environment's episode reward, as the rollout reported it."""
    if env_reward is None:
        raise ConfigError("env_reward needs the rollout's 'env_reward' field (use GemRollout as rollout_func)")
    return [float(r) for r in env_reward]


def _factory(env_id: str, env_kwargs: dict[str, Any]):
    from .evaluate import _env_factory

    return _env_factory(env_id, env_kwargs)


def build_task_dataset(
    env_ids: list[str],
    *,
    max_tasks: int | None = None,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    tasks: list[str] | None = None,
):
    """One prompt row per task: ``{"prompt": opening messages, "env_id", "task_id", "seed"}``.

    The prompt is the episode's opening (system policy + first user turn) for TRL's logging; the
    rollout replays it from ``env_id``/``task_id``/``seed``.
    """
    import datasets

    rows = []
    for env_id in env_ids:
        env = _factory(env_id, dict(env_kwargs or {}))()
        ids = [t.id for t in env.tasks]
        if tasks:
            missing = [t for t in tasks if t not in ids]
            if missing:
                raise ConfigError(f"unknown task ids {missing} in {env_id}")
            ids = list(tasks)
        ids = ids[:max_tasks]
        for tid in ids:
            obs, _ = env.reset(seed=seed, options={"task_id": tid})
            prompt = [{"role": m["role"], "content": m.get("content") or ""} for m in obs["messages"]]
            rows.append({"prompt": prompt, "env_id": env_id, "task_id": tid, "seed": seed})
        env.close()
    if not rows:
        raise ConfigError(f"no tasks in {env_ids}")
    return datasets.Dataset.from_list(rows)


class _Episode:
    __slots__ = ("cut", "done", "env", "ids", "logprobs", "mask", "messages_tail", "prompt_ids", "reward", "turns")

    def __init__(self, env: Any, prompt_ids: list[int]):
        self.env = env
        self.prompt_ids = prompt_ids
        self.ids: list[int] = []
        self.mask: list[int] = []
        self.logprobs: list[float] | None = []
        self.reward = 0.0
        self.done = False
        self.turns = 0
        self.cut = False


class GemRollout:
    """TRL ``rollout_func`` playing multi-turn gem episodes with the policy being trained.

    Args:
        env_kwargs: Options for each ``ToolUseEnv`` (user model, tool backend, ...).
        max_turns: Assistant turns per episode (the env truncates and scores after that many).
        turn_max_new_tokens: Most new tokens per turn (plain generation only; None: episode budget).
        seed: Base of the per-episode ``env.reset`` seeds (each episode gets a fresh one).

    Episodes cut by the completion budget (``max_completion_length``) before the env ends them get
    reward 0 and count in ``truncated_by_budget``. ``last_messages`` holds the conversations of the
    last call (what :func:`trainers.templates.check_template` re-renders).
    """

    def __init__(
        self,
        *,
        env_kwargs: dict[str, Any] | None = None,
        max_turns: int = 16,
        turn_max_new_tokens: int | None = None,
        seed: int = 0,
    ):
        self.env_kwargs = dict(env_kwargs or {})
        self.max_turns = max_turns
        self.turn_max_new_tokens = turn_max_new_tokens
        self.seed = seed
        self._pool: dict[str, list[Any]] = {}
        self._episodes = 0
        self.last_stats: dict[str, float] = {}
        self.last_messages: list[list[dict[str, Any]]] = []
        self._template: str | None | bool = False

    # -- environments ------------------------------------------------------------------------
    def _envs(self, env_ids: list[str]) -> list[Any]:
        out: list[Any] = []
        used: dict[Any, Any] = {}
        for env_id in env_ids:
            pool = self._pool.setdefault(env_id, [])
            i = used.get(env_id, 0)
            if i == len(pool):
                pool.append(_factory(env_id, {"max_turns": self.max_turns, **self.env_kwargs})())
            used[env_id] = i + 1
            out.append(pool[i])
        return out

    # -- templating ----------------------------------------------------------------------------
    def _chat_template(self, tok: Any) -> str | None:
        """The template to render with: the tokenizer's, or TRL's prefix-preserving training variant."""
        if self._template is False:
            from trl.chat_template_utils import get_training_chat_template, is_chat_template_prefix_preserving

            self._template = None if is_chat_template_prefix_preserving(tok) else get_training_chat_template(tok)
        return self._template  # type: ignore[return-value]

    def _render(self, tok: Any, messages: list[dict], tools: list[dict], generation_prompt: bool) -> list[int]:
        from jinja2 import TemplateError

        try:
            return list(
                tok.apply_chat_template(
                    messages,
                    tools=tools or None,
                    add_generation_prompt=generation_prompt,
                    tokenize=True,
                    return_dict=False,
                    chat_template=self._chat_template(tok),
                )
            )
        except (TemplateError, TypeError) as exc:
            roles = ", ".join(m.get("role", "?") + ("+tool_calls" if m.get("tool_calls") else "") for m in messages)
            raise ConfigError(
                f"the chat template cannot render the episode's messages ({roles}): "
                f"{type(exc).__name__}: {exc}; check it with `gem train check-template`"
            ) from exc

    def env_suffix_ids(self, tok: Any, assistant: dict, env_messages: list[dict], tools: list[dict]) -> list[int]:
        """Tokens of the environment's reply after an assistant turn, up to the next generation prompt.

        Rendered against a minimal prefix ending with that assistant message and cut at its end-of-turn
        token, so the model's own tokens before it are never re-rendered.
        """
        prefix = [{"role": "user", "content": "dummy"}, assistant]
        prefix_ids = self._render(tok, prefix, tools, False)
        full_ids = self._render(tok, prefix + env_messages, tools, True)
        eos = [i for i, t in enumerate(prefix_ids) if t == tok.eos_token_id]
        if eos:
            prefix_ids = prefix_ids[: eos[-1] + 1]
        if full_ids[: len(prefix_ids)] != prefix_ids:
            raise ConfigError("the chat template is not prefix-preserving for environment messages")
        return full_ids[len(prefix_ids) :]

    # -- the rollout ---------------------------------------------------------------------------
    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        """Play one gem episode per prompt with ``trainer``'s model; the token ids and masks TRL trains on."""
        tok = trainer.processing_class
        tok = getattr(tok, "tokenizer", tok)
        inputs = getattr(trainer, "_gem_inputs", None)
        if inputs is None or len(inputs) != len(prompts):
            raise ConfigError("GemRollout needs the batch rows (run it with GemGRPOTrainer)")
        budget = int(trainer.max_completion_length)
        eos_ids = set(getattr(trainer, "eos_token_ids", None) or [tok.eos_token_id])
        envs = self._envs([row["env_id"] for row in inputs])
        episodes: list[_Episode] = []
        for env, row in zip(envs, inputs):
            seed = int(row.get("seed", 0)) + self.seed + self._episodes
            self._episodes += 1
            obs, _ = env.reset(seed=seed, options={"task_id": row["task_id"]})
            episodes.append(_Episode(env, self._render(tok, obs["messages"], obs["tools"], True)))
        while True:
            active = [e for e in episodes if not e.done]
            if not active:
                break
            batch = [e.prompt_ids + e.ids for e in active]
            new_ids, new_logprobs = self._generate(trainer, batch, budget, active)
            for e, ids, lps in zip(active, new_ids, new_logprobs if new_logprobs is not None else [None] * len(active)):
                ids = list(ids)[: max(0, budget - len(e.ids))]
                e.ids += ids
                e.mask += [1] * len(ids)
                if e.logprobs is not None and lps is not None:
                    e.logprobs += list(lps)[: len(ids)]
                else:
                    e.logprobs = None
                e.turns += 1
                ended_turn = bool(ids) and ids[-1] in eos_ids
                text = tok.decode(ids, skip_special_tokens=True)
                obs, reward, terminated, truncated, info = e.env.step(text)
                if terminated or truncated:
                    e.reward, e.done = float(reward), True
                    continue
                if not ended_turn or len(e.ids) >= budget:
                    e.done, e.cut = True, True
                    continue
                new = info["new_messages"]
                suffix = self.env_suffix_ids(tok, new[0], new[1:], obs["tools"])
                if len(e.ids) + len(suffix) >= budget:
                    e.done, e.cut = True, True
                    continue
                e.ids += suffix
                e.mask += [0] * len(suffix)
                if e.logprobs is not None:
                    e.logprobs += [0.0] * len(suffix)
        rewards = [e.reward for e in episodes]
        self.last_messages = [e.env.messages for e in episodes]
        self.last_stats = {
            "episodes": len(episodes),
            "mean_reward": sum(rewards) / len(rewards),
            "mean_turns": sum(e.turns for e in episodes) / len(episodes),
            "truncated_by_budget": sum(e.cut for e in episodes),
        }
        for name, value in self.last_stats.items():
            if name != "episodes" and hasattr(trainer, "_metrics"):
                mode = "train" if trainer.model.training else "eval"
                trainer._metrics[mode][f"env/{name}"].append(float(value))
        logprobs = [e.logprobs for e in episodes]
        return {
            "prompt_ids": [e.prompt_ids for e in episodes],
            "completion_ids": [e.ids for e in episodes],
            "logprobs": None if any(lp is None for lp in logprobs) else logprobs,
            "env_mask": [e.mask for e in episodes],
            "env_reward": rewards,
            "env_turns": [e.turns for e in episodes],
        }

    def _generate(self, trainer: Any, batch: list[list[int]], budget: int, active: list[_Episode]):
        """One assistant turn for every active episode, on the trainer's generation backend."""
        gen_cfg = getattr(trainer, "generation_config", None)
        old = getattr(gen_cfg, "max_new_tokens", None)
        room = max(budget - len(e.ids) for e in active)
        if gen_cfg is not None and not getattr(trainer, "use_vllm", False):
            gen_cfg.max_new_tokens = max(1, min(room, self.turn_max_new_tokens or room))
        try:
            return trainer._generate_single_turn(batch, None, {}, num_generations=1)
        finally:
            if gen_cfg is not None:
                gen_cfg.max_new_tokens = old


def _trainer_class():
    from trl import GRPOTrainer

    class GemGRPOTrainer(GRPOTrainer):
        """``GRPOTrainer`` that hands each batch's rows (env id, task id, seed) to the rollout."""

        def _generate_and_score_completions(self, inputs):
            self._gem_inputs = inputs
            with warnings.catch_warnings():  # TRL's generation helpers still call transformers' old
                # gradient_checkpointing* names: FutureWarnings on every batch, nothing for a user to act on
                warnings.filterwarnings("ignore", message=r"`(is_)?gradient_checkpointing", category=FutureWarning)
                return super()._generate_and_score_completions(inputs)

    return GemGRPOTrainer


class GRPOResult:
    """Outcome of :func:`train_grpo`: metrics, log history and the trainer."""

    def __init__(self, output_dir: str, metrics: dict[str, Any], log_history: list[dict[str, Any]], trainer: Any):
        self.output_dir, self.metrics, self.log_history, self.trainer = output_dir, metrics, log_history, trainer

    def env_rewards(self) -> list[float]:
        """The logged mean env reward of each logging step."""
        return [h["rewards/env_reward/mean"] for h in self.log_history if "rewards/env_reward/mean" in h]


def build_grpo_trainer(
    envs: list[str] | str,
    model: Any,
    *,
    config: Any = None,
    tokenizer: Any = None,
    max_tasks: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    tasks: list[str] | None = None,
    extra_reward_funcs: list | None = None,
    callbacks: list | None = None,
    **trainer_kwargs: Any,
):
    """Build a GRPO trainer whose rollouts are gem episodes and whose reward is the env's.

    Args:
        envs: Env id(s) (``gem/<domain>-v0``); every task (or the first ``max_tasks``) is a prompt.
        max_tasks: Only the first N tasks of each env (None: all).
        model: Model id or path (``hf:`` allowed) or a loaded model.
        config: :class:`~trainers.config.GemGRPOConfig` (or any ``GRPOConfig``).
        tokenizer: Tokenizer; loaded from the model when None (left padding is set).
        env_kwargs: Options for each ``ToolUseEnv`` (e.g. ``user_model``).
        tasks: Only these task ids (of every env).
        extra_reward_funcs: More TRL reward functions, added to ``env_reward``.
        callbacks: TRL/transformers trainer callbacks, passed to the trainer.
        **trainer_kwargs: Passed to ``GRPOTrainer``.
    """
    from .config import GemGRPOConfig
    from .sft import resolve_model_path

    if config is None:
        config = GemGRPOConfig(output_dir="gem-grpo")
    if getattr(config, "use_vllm", False):
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            raise ConfigError(
                "use_vllm (--vllm) needs vLLM in this environment: pip install 'gem-env[vllm]' on a "
                "GPU machine; without it GRPO generates with model.generate"
            )
    env_ids = [envs] if isinstance(envs, str) else list(envs)
    model = resolve_model_path(model)
    if tokenizer is None and isinstance(model, str):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model)
    if tokenizer is not None:
        tokenizer.padding_side = "left"
    dataset = build_task_dataset(
        env_ids, max_tasks=max_tasks, seed=getattr(config, "episode_seed", 0), env_kwargs=env_kwargs, tasks=tasks
    )
    rollout = GemRollout(
        env_kwargs=env_kwargs,
        max_turns=getattr(config, "max_turns", 16),
        turn_max_new_tokens=getattr(config, "turn_max_new_tokens", None),
        seed=getattr(config, "episode_seed", 0),
    )
    trainer = _trainer_class()(
        model=model,
        reward_funcs=[env_reward, *(extra_reward_funcs or [])],
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        rollout_func=rollout,
        callbacks=callbacks,
        **trainer_kwargs,
    )
    trainer.gem_rollout = rollout
    return trainer


def train_grpo(envs: list[str] | str, model: Any, *, save: bool = True, **kwargs: Any) -> GRPOResult:
    """Train with GRPO on gem environments (see :func:`build_grpo_trainer`); save the model when ``save``."""
    trainer = build_grpo_trainer(envs, model, **kwargs)
    out = trainer.train()
    if save:
        from .sft import save_trained_template

        trainer.save_model(trainer.args.output_dir)
        if trainer.processing_class is not None:
            save_trained_template(
                trainer.processing_class,
                trainer.gem_rollout._chat_template(trainer.processing_class),
                trainer.args.output_dir,
            )
    return GRPOResult(str(trainer.args.output_dir), dict(out.metrics), list(trainer.state.log_history), trainer)
