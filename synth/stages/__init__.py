"""The synth stages: one object per stage, each filling its part of a ``SynthItem``."""
