"""Train a byte-level BPE tokenizer (digits split into single tokens, as Llama does)."""

from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from mathcorpus import storage

SPECIAL_TOKENS = ["<|endoftext|>", "<|pad|>", "[NUM]"]  # [NUM]: for the xval number mode


def train_bpe(texts: Iterable[str], out_path: str, vocab_size: int = 8192, split_digits: bool = True) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.pre_tokenizer = (
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
        if split_digits
        else byte_level
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    storage.write_bytes_atomic(out_path, tokenizer.to_str().encode("utf-8"))
    return tokenizer
