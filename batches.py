"""Documents are read and filtered in batches, and hashed to 64 bits.

A work unit's documents go through the filters a batch at a time: up to ``BATCH_DOCS`` documents or
about ``BATCH_TEXT_CHARS`` of text, so a unit's memory is one batch whatever its size.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Iterator

import numpy as np

from mathcorpus.document import Rejection

BATCH_DOCS = 512
BATCH_TEXT_CHARS = 8 << 20


def text_length(record) -> int:
    """Characters of a record's text (0 for a record without one)."""
    return len(getattr(record, "text", None) or "")


def batched(
    items: Iterable, max_items: int = BATCH_DOCS, max_chars: int = BATCH_TEXT_CHARS, size: Callable = text_length
) -> Iterator[list]:
    """Lists of at most `max_items` items and about `max_chars` of text (a longer item goes alone)."""
    batch, chars = [], 0
    for item in items:
        n = size(item)
        if batch and (len(batch) >= max_items or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += n
    if batch:
        yield batch


def split_verdicts(verdicts: Iterable) -> tuple[list, list]:
    kept, rejected = [], []
    for v in verdicts:
        (rejected if isinstance(v, Rejection) else kept).append(v)
    return kept, rejected


def hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def hashes64(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((hash64(t) for t in texts), dtype=np.uint64)
