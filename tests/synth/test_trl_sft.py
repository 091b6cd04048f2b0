"""The corpus rows train as they are with TRL's SFTTrainer (tiny random model built in the test)."""

import pytest

pytestmark = pytest.mark.slow


def test_sft_trainer_takes_the_rows(fake_run, tmp_path):
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from gem_env.llm import build_tiny_chat_model

    path = build_tiny_chat_model(tmp_path / "tiny")
    ds = datasets.load_dataset("json", data_dir=str(fake_run[0] / "corpus"), split="train")
    model = AutoModelForCausalLM.from_pretrained(path)
    before = next(model.parameters()).detach().clone()
    args = SFTConfig(
        output_dir=str(tmp_path / "run"),
        max_steps=1,
        per_device_train_batch_size=1,
        report_to=[],
        logging_steps=1,
        max_length=2048,
        use_cpu=True,
        save_strategy="no",
        activation_checkpointing=False,  # transformers 5's name; TRL's default sets the deprecated one
        gradient_checkpointing=None,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=AutoTokenizer.from_pretrained(path))
    trainer.train()
    assert any("loss" in h for h in trainer.state.log_history)
    assert not next(model.parameters()).detach().equal(before)
