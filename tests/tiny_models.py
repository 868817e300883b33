"""Tiny random-weight transformers models with real tokenizers, built on disk for fast tests: the loading,
batching and inference code runs exactly as with a real model directory."""

from __future__ import annotations

from pathlib import Path

TRAIN_TEXT = [
    "The library opens at nine and closes at six on weekdays.",
    "def add(a, b):\n    return a + b",
    "Educational score: 0 1 2 3 4 5. Quality score: 3. Domain: code math general reasoning.",
    "Topic: science technology health business politics education sports lifestyle other arts",
    "Integrate x^2 from 0 to 1 to get 1/3; the derivative of sin x is cos x.",
    "Buy now! Limited offer, click here, subscribe to our newsletter, privacy policy, cookies.",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _bpe(vocab_size: int, special: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(TRAIN_TEXT * 4, trainer)
    return tokenizer


def tiny_causal_lm(path: Path, seed: int = 0) -> Path:
    """A 2-layer Llama with hidden size 32 and a byte-level BPE tokenizer with a chat template."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    tok = PreTrainedTokenizerFast(tokenizer_object=_bpe(400, ["<eos>", "<pad>"]), eos_token="<eos>",
                                  pad_token="<pad>")
    tok.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None)
    LlamaForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def tiny_encoder(path: Path, seed: int = 0) -> Path:
    """A 2-layer BERT with hidden size 32 and a WordPiece-free BPE tokenizer with BERT's special tokens."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = PreTrainedTokenizerFast(tokenizer_object=_bpe(400, special), pad_token="[PAD]", unk_token="[UNK]",
                                  cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, max_position_embeddings=512, pad_token_id=tok.pad_token_id)
    BertModel(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path
