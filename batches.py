"""Documents are read and filtered in batches, and keys are counted as arrays.

A work unit's documents go through the filters a batch at a time: up to ``BATCH_DOCS`` documents or
about ``BATCH_TEXT_CHARS`` of text, so a unit's memory is one batch whatever its size. Keys that must
be compared across the whole corpus (boilerplate lines) are counted as 64-bit hashes in NumPy arrays
grouped by hash range (``RepeatedHashes``).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Iterator

import apache_beam as beam
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


def _hash_ranges(batch, hashes_of: Callable, ranges: int):
    hashes = np.asarray(hashes_of(batch), dtype=np.uint64)
    if not len(hashes):
        return
    which = hashes % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, hashes[which == r]


def _repeated_in_range(keyed, min_count: int) -> Iterator[np.ndarray]:
    _, parts = keyed
    values, counts = np.unique(np.concatenate(list(parts)), return_counts=True)
    repeated = values[counts >= min_count]
    if len(repeated):
        yield repeated


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)


class RepeatedHashes(beam.PTransform):
    """Batches -> one sorted uint64 array (a singleton) of the hashes `hashes_of(batch)` gives at least
    `min_count` times over the whole input. Shuffled as arrays grouped by hash range; a range's group
    holds 8 bytes per hash of that range, and the result 8 bytes per repeated hash (on every worker)."""

    def __init__(self, hashes_of: Callable[[list], np.ndarray], min_count: int = 2, ranges: int = 16):
        super().__init__()
        self._hashes_of, self._min_count, self._ranges = hashes_of, min_count, ranges

    def expand(self, batches):
        return (
            batches
            | "HashRanges" >> beam.FlatMap(_hash_ranges, self._hashes_of, self._ranges)
            | "GroupByRange" >> beam.GroupByKey()
            | "Repeated" >> beam.FlatMap(_repeated_in_range, self._min_count)
            | "AllRepeated" >> beam.combiners.ToList()
            | "Union" >> beam.Map(_sorted_union)
        )
