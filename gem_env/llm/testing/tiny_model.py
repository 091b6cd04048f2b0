"""Build a tiny random Qwen3-architecture chat model with its own BPE tokenizer, for tests.

No downloads: the tokenizer is trained with ``tokenizers`` on a small built-in text and the chat
template is TRL's ``qwen3.jinja``, read from the installed trl package. Trainer smoke tests and the
hf backend's tests reuse this builder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tools_registry.errors import ConfigError

__all__ = ["TINY_ADDED_TOKENS", "TINY_SPECIAL_TOKENS", "build_tiny_chat_model", "qwen3_chat_template"]

#: Control tokens (removed by ``skip_special_tokens``).
TINY_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
#: Markup tokens kept in decoded text (as in Qwen3, they are added but not "special").
TINY_ADDED_TOKENS = [
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
    "<tool_response>",
    "</tool_response>",
    "<tools>",
    "</tools>",
]

_CORPUS = """\
You are a helpful assistant. The user asks a question and the assistant answers it.
# Tools
You may call one or more functions to assist with the user query.
You are provided with function signatures within XML tags.
For each function call, return a json object with function name and arguments.
{"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city.",
"parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string",
"enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
{"name": "book_flight", "arguments": {"origin": "London", "destination": "Tokyo", "date": "2024-05-01"}}
{"name": "lookup_order", "arguments": {"order_id": "A123", "include_items": true, "count": 3}}
{"answer": "yes", "score": 0.75, "reasons": ["clear", "complete"], "valid": false, "value": null}
The weather in Paris is sunny and 21 degrees. Your order A123 has shipped and will arrive on Monday.
I will look up the order for you. Please tell me your name, email address and the order number.
Step 1: open the settings page. Step 2: click on the account tab. Step 3: save the changes.
To reset a password, go to the login page, click forgot password, and follow the link in the email.
The quick brown fox jumps over the lazy dog. 0123456789 + - * / = < > ( ) [ ] { } : ; , . ! ? ' " _
abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ \n \t
system user assistant tool function arguments name description parameters properties required
type object string integer number boolean array items enum true false null content role message
Thank you for contacting support. Your ticket number is 4521 and an agent will reply within two days.
The refund was approved and the money should appear in your account in three to five business days.
Customers can change their shipping address before the package leaves the warehouse on Friday.
Please confirm that you want to cancel the reservation for two guests at seven in the evening.
The meeting is scheduled for Tuesday morning at nine in conference room B on the second floor.
First check the battery, then restart the device, and finally update the firmware if needed.
The library opens at eight and closes at six; books can be renewed online up to three times.
Search results: hotel near the station, price per night, rating, free breakfast, available rooms.
"""


def qwen3_chat_template() -> str:
    """Return the exact text of the installed trl package's ``chat_templates/qwen3.jinja``.

    Raises:
        ConfigError: trl is not installed or does not ship the template.
    """
    try:
        import trl
    except ImportError as exc:
        raise ConfigError("build_tiny_chat_model needs the trl package (pip install 'gem-env[train]')") from exc
    path = Path(trl.__file__).parent / "chat_templates" / "qwen3.jinja"
    if not path.is_file():
        raise ConfigError(f"trl at {path.parent.parent} has no chat_templates/qwen3.jinja")
    return path.read_text(encoding="utf-8")


def _train_tokenizer(vocab_size: int, texts: list[str], merge_across_words: bool = False):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not merge_across_words)
    tok.decoder = decoders.ByteLevel()
    if merge_across_words:  # markup is added as whole tokens below: keep it out of the merges
        for t in TINY_SPECIAL_TOKENS + TINY_ADDED_TOKENS:
            texts = [x.replace(t, "\n") for x in texts]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=TINY_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        max_token_length=48 if merge_across_words else None,
    )
    tok.train_from_iterator(_CORPUS.splitlines() * 4 + texts, trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TINY_ADDED_TOKENS])
    return tok


def build_tiny_chat_model(
    path: str | Path,
    *,
    vocab_size: int = 1024,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    max_position_embeddings: int = 32768,
    seed: int = 0,
    texts: Iterable[str] = (),
    merge_across_words: bool = False,
) -> Path:
    """Build and save a tiny random ``Qwen3ForCausalLM`` plus tokenizer and chat template.

    The result loads with ``AutoModelForCausalLM.from_pretrained(path)`` and
    ``AutoTokenizer.from_pretrained(path)``; ``tokenizer.apply_chat_template(..., tools=...)``
    renders with Qwen3's template (``<tool_call>`` etc. are single tokens).

    Args:
        path: Folder to write (created if missing).
        vocab_size: Target BPE vocabulary size (before the added markup tokens).
        hidden_size: Model width.
        num_layers: Decoder layers.
        num_heads: Attention heads.
        num_kv_heads: Key/value heads (grouped-query attention).
        intermediate_size: MLP width.
        max_position_embeddings: Longest sequence the config and tokenizer allow (default: the SFT
            recipe's 32K, so long corpus rows raise no "longer than the maximum" notice).
        seed: Seed for the random weights.
        texts: More text to train the tokenizer on (e.g. a domain's policy, tools and conversations,
            so the tiny vocabulary covers them in fewer tokens and training sequences stay short).
        merge_across_words: Let BPE merges cross spaces and punctuation (tokens up to 48 characters).
            With ``texts`` from one domain, its long repeated policy and tool schemas become a few
            hundred tokens, so whole episodes fit a CPU training step; decoding stays lossless.

    Returns:
        The folder, as a ``Path``.
    """
    import torch
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    raw = _train_tokenizer(vocab_size, [t for t in texts if t], merge_across_words)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        model_max_length=max_position_embeddings,
    )
    tokenizer.chat_template = qwen3_chat_template()
    tokenizer.save_pretrained(out)

    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        head_dim=hidden_size // num_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),  # type: ignore[arg-type]  # one token name gives one int
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.save_pretrained(out)
    (out / "gem_tiny_model.json").write_text(
        json.dumps({"builder": "gem_env.llm.testing.build_tiny_chat_model", "seed": seed}), encoding="utf-8"
    )
    return out
