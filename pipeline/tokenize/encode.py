"""Loading a Hugging Face tokenizer.json from any Beam filesystem path, and batch encoding."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer

from mathcorpus import storage

EOS_CANDIDATES = ("</s>", "<|endoftext|>", "<eos>", "[EOS]", "<|end_of_text|>")


class TokenizerError(RuntimeError):
    pass


def read_tokenizer(path: str) -> tuple[Tokenizer, str]:
    """The tokenizer and the sha256 of its file, from one read."""
    if not storage.exists(path):
        raise TokenizerError(f"tokenizer not found: {path}")
    data = storage.read_bytes(path)
    return Tokenizer.from_str(data.decode("utf-8")), hashlib.sha256(data).hexdigest()


def load_tokenizer(path: str) -> Tokenizer:
    return read_tokenizer(path)[0]


def eos_id(tokenizer: Tokenizer, eos_token: str | None = None) -> int:
    for token in ([eos_token] if eos_token else EOS_CANDIDATES):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return token_id
    wanted = eos_token or " / ".join(EOS_CANDIDATES)
    raise TokenizerError(f"the tokenizer has no end-of-document token {wanted}; set tokenize.eos_token")


def encode_documents(tokenizer: Tokenizer, texts: Sequence[str], eos: int) -> list[np.ndarray]:
    """Token ids of each text followed by EOS, as int32 arrays (one Rust batch call)."""
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    out = []
    for enc in encodings:
        ids = np.empty(len(enc.ids) + 1, dtype=np.int32)
        ids[:-1] = enc.ids
        ids[-1] = eos
        out.append(ids)
    return out
