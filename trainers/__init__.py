"""trainers: TRL SFT, the Trajectory Synthesizer, GRPO against gem environments, multi-turn evaluation."""

__all__: list[str] = []
