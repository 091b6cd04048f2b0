"""synth: the GEM text-to-trajectory pipeline (selection, extraction, generation, refinement, validation).

``Pipeline(backends, SynthConfig(...)).run(read_corpus(path), out)`` writes a resumable output folder;
``synth.stats``, ``synth.export`` and ``synth.synthesizer`` read it. Imports are lazy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "PATTERNS",
    "Blueprint",
    "Decontaminator",
    "Deduplicator",
    "Drop",
    "EnvSpec",
    "Extractor",
    "Generator",
    "Judge",
    "Ledger",
    "Pipeline",
    "Refiner",
    "RunReport",
    "Segment",
    "Selector",
    "SynthConfig",
    "SynthesizerStage",
    "Tags",
    "Validator",
    "Verdict",
    "Workflow",
    "build_pairs",
    "collect",
    "export_domains",
    "export_openai",
    "export_sharegpt",
    "format_stats",
    "instruction",
    "load_benchmark_texts",
    "load_prompt",
    "load_trajectory",
    "parse",
    "passes_prefilter",
    "pattern_problems",
    "plot_stats",
    "prefilter_score",
    "read_corpus",
    "replay_problems",
    "segment_text",
    "serialize",
    "simulated_oracle",
    "simulator_oracle",
    "state_problems",
    "to_sharegpt_row",
    "trajectory_problems",
    "trajectory_to_domain",
    "with_cache",
]

_LAZY = {
    "Pipeline": ".pipeline",
    "SynthConfig": ".config",
    "RunReport": ".config",
    "with_cache": ".config",
    "simulator_oracle": ".config",
    "read_corpus": ".corpus",
    "segment_text": ".corpus",
    "Deduplicator": ".dedup",
    "Decontaminator": ".dedup",
    "load_benchmark_texts": ".dedup",
    "prefilter_score": ".prefilter",
    "passes_prefilter": ".prefilter",
    "Selector": ".selection",
    "Extractor": ".extract",
    "Generator": ".generate",
    "Refiner": ".refine",
    "Judge": ".judge",
    "Validator": ".validate",
    "Segment": ".records",
    "Tags": ".records",
    "Workflow": ".records",
    "Blueprint": ".records",
    "EnvSpec": ".records",
    "Verdict": ".records",
    "Drop": ".records",
    "Ledger": ".records",
    "trajectory_problems": ".rules",
    "pattern_problems": ".rules",
    "state_problems": ".consistency",
    "replay_problems": ".consistency",
    "simulated_oracle": ".consistency",
    "load_prompt": ".prompts",
    "PATTERNS": ".labels",
    "export_domains": ".export",
    "trajectory_to_domain": ".export",
    "export_openai": ".export",
    "export_sharegpt": ".export",
    "to_sharegpt_row": ".export",
    "collect": ".stats",
    "format_stats": ".stats",
    "plot_stats": ".stats",
    "serialize": ".synthesizer",
    "parse": ".synthesizer",
    "build_pairs": ".synthesizer",
    "instruction": ".synthesizer",
    "SynthesizerStage": ".synthesizer",
    "load_trajectory": ".convert",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
