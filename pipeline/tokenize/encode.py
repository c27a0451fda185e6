"""Loading a Hugging Face tokenizer.json from any Beam filesystem path, and batch encoding.

`Encoder` applies the recipe's policy on top of the tokenizer, the same on the launcher (which records
it in the manifest) and on every worker (which loads it once in ``DoFn.setup``):

- special tokens written inside a document (say a literal ``<|endoftext|>``) are encoded as plain
  text, so a document can never end a row or inject a control token;
- BOS (optional) and EOS (default on) are added around every document by id;
- numbers: ``default`` leaves the tokenizer alone; ``split_digits`` adds a ``Digits`` pre-tokenizer
  after the tokenizer's own, so every digit is its own token whatever the vocabulary holds (as
  Llama does); ``xval`` replaces each number (grammar in ``numbers.py``) by one ``[NUM]`` token and
  returns the values as a float32 array parallel to the ids (1.0 at every other token, as in xVal).
  When the tokenizer lacks the ``[NUM]`` token it is added as a special token (id = the old
  vocabulary size) and the manifest says so.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer, pre_tokenizers

from mathcorpus import storage
from mathcorpus.pipeline.tokenize.numbers import split_numbers

EOS_CANDIDATES = ("</s>", "<|endoftext|>", "<eos>", "[EOS]", "<|end_of_text|>")
BOS_CANDIDATES = ("<s>", "<|begin_of_text|>", "<bos>", "[BOS]", "<|startoftext|>")
PAD_CANDIDATES = ("<|pad|>", "<pad>", "[PAD]")


class TokenizerError(RuntimeError):
    pass


def read_tokenizer(path: str) -> tuple[Tokenizer, str]:
    """The tokenizer and the sha256 of its file, from one read."""
    if not storage.exists(path):
        raise TokenizerError(f"tokenizer not found: {path}")
    data = storage.read_bytes(path)
    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as err:  # the Rust error names the JSON problem
        raise TokenizerError(f"{path} is not a Hugging Face tokenizer.json: {err}") from None
    return tokenizer, hashlib.sha256(data).hexdigest()


def load_tokenizer(path: str) -> Tokenizer:
    return read_tokenizer(path)[0]


def first_present(tokenizer: Tokenizer, candidates: Sequence[str]) -> int | None:
    """The id of the first of `candidates` the vocabulary has, or None."""
    return next((i for i in map(tokenizer.token_to_id, candidates) if i is not None), None)


def special_id(tokenizer: Tokenizer, wanted: str | None, candidates: Sequence[str], what: str, key: str) -> int:
    token_id = first_present(tokenizer, [wanted] if wanted else candidates)
    if token_id is not None:
        return token_id
    raise TokenizerError(f"the tokenizer has no {what} token {wanted or ' / '.join(candidates)}; set tokenize.{key}")


def eos_id(tokenizer: Tokenizer, eos_token: str | None = None) -> int:
    return special_id(tokenizer, eos_token, EOS_CANDIDATES, "end-of-document", "eos_token")


class Encoder:
    """A tokenizer with the recipe's special-token and number policy (see the module docstring)."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        numbers: str = "default",
        add_bos: bool = False,
        add_eos: bool = True,
        bos_token: str | None = None,
        eos_token: str | None = None,
        num_token: str = "[NUM]",
    ):
        self.tokenizer, self.numbers = tokenizer, numbers
        tokenizer.encode_special_tokens = True  # a literal "<|endoftext|>" in a document is just text
        if numbers == "split_digits":
            digits = pre_tokenizers.Digits(individual_digits=True)
            own = tokenizer.pre_tokenizer
            # After the tokenizer's own step: Metaspace would otherwise prefix every digit with "▁".
            tokenizer.pre_tokenizer = digits if own is None else pre_tokenizers.Sequence([own, digits])
        self.num_token_added = False
        self.num_id = None
        if numbers == "xval":
            if tokenizer.token_to_id(num_token) is None:
                tokenizer.add_special_tokens([num_token])
                self.num_token_added = True
            self.num_id = tokenizer.token_to_id(num_token)
        self.num_token = num_token
        self.eos_id = eos_id(tokenizer, eos_token) if add_eos else None
        self.bos_id = (
            special_id(tokenizer, bos_token, BOS_CANDIDATES, "beginning-of-document", "bos_token") if add_bos else None
        )
        # Padding only ever fills the last row of a run; without a pad token it reuses EOS (or 0).
        pad = first_present(tokenizer, PAD_CANDIDATES)
        if pad is None:
            pad = self.eos_id if self.eos_id is not None else first_present(tokenizer, EOS_CANDIDATES)
        self.pad_id = pad if pad is not None else 0
        self.vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
        # encode_batch_fast (tokenizers >= 0.20) skips character offsets, which nothing here needs:
        # the same ids, about a third less time.
        self._encode_batch = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    @classmethod
    def from_spec(cls, spec) -> "Encoder":
        return cls(load_tokenizer(spec.tokenizer), **encoder_options(spec))

    def _frame(self, ids: Sequence[int]) -> np.ndarray:
        head = [self.bos_id] if self.bos_id is not None else []
        tail = [self.eos_id] if self.eos_id is not None else []
        out = np.empty(len(head) + len(ids) + len(tail), dtype=np.int32)
        out[: len(head)] = head
        out[len(head) : len(head) + len(ids)] = ids
        out[len(out) - len(tail) :] = tail
        return out

    def encode(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(ids, values) per text; values is None unless numbers == "xval". One Rust batch call."""
        if self.numbers != "xval":
            encodings = self._encode_batch(list(texts), add_special_tokens=False)
            return [(self._frame(enc.ids), None) for enc in encodings]
        splits = [split_numbers(t) for t in texts]
        pieces = [seg for segments, _ in splits for seg in segments if seg]
        encoded = iter(self._encode_batch(pieces, add_special_tokens=False)) if pieces else iter(())
        out = []
        for segments, values in splits:
            ids, value_at = [], {}
            for i, seg in enumerate(segments):
                if seg:
                    ids.extend(next(encoded).ids)
                if i < len(values):
                    value_at[len(ids)] = values[i]
                    ids.append(self.num_id)
            framed = self._frame(ids)
            column = np.ones(len(framed), dtype=np.float32)
            shift = 1 if self.bos_id is not None else 0
            for pos, value in value_at.items():
                column[pos + shift] = value
            out.append((framed, column))
        return out

    def info(self) -> dict:
        """What the manifest records about the encoding policy."""
        return {
            "vocab_size": self.vocab_size,
            "eos_id": self.eos_id,
            "bos_id": self.bos_id,
            "pad_id": self.pad_id,
            "numbers": self.numbers,
            "num_token": self.num_token if self.numbers == "xval" else None,
            "num_token_id": self.num_id,
            "num_token_added": self.num_token_added,
        }


def encoder_options(spec) -> dict:
    return {
        "numbers": spec.numbers,
        "add_bos": spec.add_bos,
        "add_eos": spec.add_eos,
        "bos_token": spec.bos_token,
        "eos_token": spec.eos_token,
        "num_token": spec.num_token,
    }
