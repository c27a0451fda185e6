"""Document numbers: a document's place in the run as one uint64, ``work unit << 32 | position``.

Work units are listed from the recipe and the input alone (pipeline/scan.py), and a position counts
the documents a unit's sources yield in read order, so a number means the same document in every
pass, on every runner and worker count. Global decisions (dedup, id copies, packing) are made on
numbers; the apply pass finds its unit's documents by position.
"""

from __future__ import annotations

import numpy as np

POSITION_BITS = 32


def numbers(unit: int, first: int, count: int) -> np.ndarray:
    return (np.uint64(unit) << np.uint64(POSITION_BITS)) + np.arange(first, first + count, dtype=np.uint64)


def unit_of(num) -> int:
    return int(num) >> POSITION_BITS


def position_of(num) -> int:
    return int(num) & ((1 << POSITION_BITS) - 1)


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which of `values` are in the sorted array `sorted_set`."""
    values = np.asarray(values, dtype=np.uint64)
    if not len(sorted_set) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values
