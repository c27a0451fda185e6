"""Document ids are unique in a run: the first copy of a repeated id keeps it, later ones are rejected.

Ids repeat when the input says so: a JSONL id field with repeats, a tar that holds one member name
twice. Every later stage keys by id, so a repeat must not get that far. "First" is the smallest
document number (docnums.py: work unit, then position in it) - a pure function of the recipe and the
input, whatever the worker order.

Only numbers travel: the scan pass writes each batch's 64-bit id hashes and document numbers (16 bytes
per document) to its key files by hash range (keyfiles.py); the result is the sorted array of the
later copies' numbers (8 bytes per repeated copy), a side input of the apply pass. Two different ids share a 64-bit
hash with probability ~n^2/2^65 (below 1e-6 for 4 million documents); the later one would be
dropped as a copy.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.keyfiles import PerRange

RANGES = 8
IDS = "ids"  # the key kind


def id_key_parts(hashes: np.ndarray, nums: np.ndarray, ranges: int = RANGES):
    """(hash range, [hashes | numbers] as one [k, 2] array) for every range present in one batch."""
    rows = np.stack([hashes, nums], axis=1)
    which = hashes % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, rows[which == r]


def later_copies(parts) -> np.ndarray:
    """The numbers of every document but the first of each id hash, over one range's parts."""
    rows = np.concatenate(list(parts))
    hashes, nums = rows[:, 0], rows[:, 1]
    order = np.lexsort((nums, hashes))
    hashes, nums = hashes[order], nums[order]
    repeat = np.r_[False, hashes[1:] == hashes[:-1]]  # not the first (smallest number) of its hash
    return nums[repeat]


def _later_in_range(frames: list):
    if frames:
        removed = later_copies(frames)
        if len(removed):
            yield removed


def sorted_union(arrays) -> np.ndarray:
    arrays = list(arrays)
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)


class LaterIdCopies(beam.PTransform):
    """Scan receipts -> one sorted uint64 array (a singleton) of the numbers of the documents whose id
    an earlier document has, decided per hash range from the units' id key files (keyfiles.py)."""

    def __init__(self, out_dir: str):
        super().__init__()
        self._out_dir = out_dir

    def expand(self, receipts):
        return (
            receipts
            | "PerRange" >> PerRange(self._out_dir, IDS, _later_in_range)
            | "AllLater" >> beam.combiners.ToList()
            | "Union" >> beam.Map(sorted_union)
        )


def duplicate_id(doc: Document) -> Rejection:
    return Rejection.of(
        doc, "sources", "duplicate_id", detail=f"id {doc.id} already used by an earlier document", duplicate_of=doc.id
    )
