"""synth: the GEM text-to-trajectory pipeline (selection, extraction, generation, refinement, validation)."""

__all__: list[str] = []
