"""synth: the GEM text-to-trajectory pipeline (selection, extraction, generation, refinement, validation).

``Pipeline(backends, SynthConfig(...)).run(read_corpus(path), out)`` writes a resumable output folder;
``synth.stats``, ``synth.export`` and ``synth.synthesizer`` read it. Imports are lazy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Pipeline", "SynthConfig", "RunReport", "with_cache", "simulator_oracle",
    "read_corpus", "segment_text", "Deduplicator", "Decontaminator", "load_benchmark_texts",
    "prefilter_score", "passes_prefilter",
    "Selector", "Extractor", "Generator", "Refiner", "Judge", "Validator",
    "Segment", "Tags", "Workflow", "Blueprint", "EnvSpec", "Verdict", "Drop", "Ledger",
    "trajectory_problems", "pattern_problems", "state_problems", "replay_problems", "simulated_oracle",
    "load_prompt", "PATTERNS",
    "export_domains", "trajectory_to_domain", "export_openai", "export_sharegpt", "to_sharegpt_row",
    "collect", "format_stats", "plot_stats",
    "serialize", "parse", "build_pairs", "instruction", "SynthesizerStage", "load_trajectory",
]

_LAZY = {
    "Pipeline": ".pipeline", "SynthConfig": ".pipeline", "RunReport": ".pipeline", "with_cache": ".pipeline",
    "simulator_oracle": ".pipeline", "read_corpus": ".corpus", "segment_text": ".corpus",
    "Deduplicator": ".dedup", "Decontaminator": ".dedup", "load_benchmark_texts": ".dedup",
    "prefilter_score": ".prefilter", "passes_prefilter": ".prefilter", "Selector": ".selection",
    "Extractor": ".extract", "Generator": ".generate", "Refiner": ".refine", "Judge": ".judge",
    "Validator": ".validate", "Segment": ".records", "Tags": ".records", "Workflow": ".records",
    "Blueprint": ".records", "EnvSpec": ".records", "Verdict": ".records", "Drop": ".records", "Ledger": ".records",
    "trajectory_problems": ".rules", "pattern_problems": ".rules", "state_problems": ".consistency",
    "replay_problems": ".consistency", "simulated_oracle": ".consistency", "load_prompt": ".prompts",
    "PATTERNS": ".labels", "export_domains": ".export", "trajectory_to_domain": ".export",
    "export_openai": ".export", "export_sharegpt": ".export", "to_sharegpt_row": ".export", "collect": ".stats",
    "format_stats": ".stats", "plot_stats": ".stats", "serialize": ".synthesizer", "parse": ".synthesizer",
    "build_pairs": ".synthesizer", "instruction": ".synthesizer", "SynthesizerStage": ".synthesizer",
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
