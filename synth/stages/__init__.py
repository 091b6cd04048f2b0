"""The synth stages: one object per stage, each filling its part of a ``SynthItem``.

``build_stages`` is the one place that says which stages run, and in which order, for a config:
prefilter -> select -> extract -> generate -> refine -> rules -> consistency -> judge -> compile,
or, in synthesizer mode, prefilter -> synthesizer -> rules -> consistency -> judge -> compile. ``STAGES`` (in
``synth.records``) lists every stage name a Drop can carry in that same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import LLMStage, Stage, StageDrop, ask_json
from .compile import Compiler
from .extract import Extractor
from .generate import Generator
from .judge import Judge
from .refine import Refiner
from .select import Prefilter, Selector
from .synthesize import SynthesizerStage
from .validate import Consistency, Rules

__all__ = [
    "Compiler",
    "Consistency",
    "Extractor",
    "Generator",
    "Judge",
    "LLMStage",
    "Prefilter",
    "Refiner",
    "Rules",
    "Selector",
    "Stage",
    "StageDrop",
    "SynthesizerStage",
    "ask_json",
    "build_stages",
]


def build_stages(backend: Callable[[str], Any], config: Any, oracle: Any = None) -> list[Stage]:
    """The stage objects of a run, in order.

    Args:
        backend: ``role -> LLMBackend`` (tagger, teacher, judge, synthesizer; compile uses the teacher).
        config: A ``SynthConfig`` (which stages run, sampling per role, prompts folder, structured output).
        oracle: Optional ``(traj, env) -> Oracle`` factory for the consistency replay.
    """
    kw = {"prompts_dir": config.prompts_dir, "structured": config.structured}
    teacher = {"sampling": config.sampling("teacher"), **kw}
    stages: list[Stage] = [Prefilter(config.prefilter_threshold)] if config.prefilter else []
    if config.mode == "synthesizer":
        stages.append(SynthesizerStage(backend("synthesizer"), **teacher))
    else:
        stages += [
            Selector(backend("tagger"), sampling=config.sampling("tagger"), **kw),
            Extractor(backend("teacher"), **teacher),
            Generator(backend("teacher"), **teacher),
        ]
        if config.refine:
            stages.append(Refiner(backend("teacher"), **teacher))
    stages.append(Rules())
    if config.consistency:
        stages.append(Consistency(oracle))
    if config.judge:
        stages.append(Judge(backend("judge"), sampling=config.sampling("judge"), **kw))
    if config.compile:
        stages.append(
            Compiler(
                backend("teacher"),
                repair_rounds=config.compile_repair_rounds,
                require=config.require_compiled,
                **teacher,
            )
        )
    return stages
