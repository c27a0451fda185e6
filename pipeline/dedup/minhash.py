"""MinHash signatures, LSH band keys and connected components of candidate pairs (pure functions).

Shingles are word n-grams of the lowercased word sequence (or character n-grams); a document shorter
than one shingle is one shingle of all its words.

Signatures are computed in NumPy for a whole batch of documents at once (`batch_signatures`): each
shingle is hashed to 32 bits (words through a per-process cache, n-grams by a polynomial over the
word hashes), then datasketch's own "affine32" permutations (the MurmurHash3 finalizer, then
``a * h + b`` mod 2^32, with datasketch's seeded ``a``, ``b``) are applied to every shingle of every
document in one array operation and reduced with ``minimum.reduceat``. Fed the same 32-bit shingle
hashes, the result is identical to datasketch's ``MinHash`` (tested); it is only much faster, since
nothing runs per shingle in Python. `bands` x `rows` = `num_perm`; when the
recipe gives only a Jaccard `threshold`, the split minimizing false positives + false negatives is
taken from datasketch (the probability that two documents of Jaccard s share a band is
1 - (1 - s^rows)^bands, an S-curve whose steepest point sits near (1/bands)^(1/rows)).
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

import numpy as np
from datasketch import MinHash

_WORD = re.compile(r"\w+")
SEED = 1  # fixed: signatures must agree across workers and runs


_WORD_HASH: dict[str, int] = {}
P32 = np.uint64(0x01000193)  # odd multiplier of the polynomial shingle hash


def _word_hash(word: str) -> int:
    h = _WORD_HASH.get(word)
    if h is None:
        if len(_WORD_HASH) > 1 << 20:
            _WORD_HASH.clear()
        h = _WORD_HASH[word] = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
    return h


def shingle_hashes(text: str, ngram: int, unit: str = "word") -> np.ndarray:
    """Distinct 32-bit hashes (as uint32) of the document's shingles."""
    if unit == "char":
        tokens = " ".join(text.lower().split())
        units = list(tokens)
    else:
        units = _WORD.findall(text.lower())
    if not units:
        return np.empty(0, dtype=np.uint32)
    h = np.fromiter((_word_hash(u) for u in units), dtype=np.uint64, count=len(units))
    n = min(ngram, len(h))  # a document shorter than a shingle is one shingle
    windows = np.lib.stride_tricks.sliding_window_view(h, n)
    powers = np.ones(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n - 2, -1, -1):
            powers[j] = powers[j + 1] * P32
        combined = (windows * powers).sum(axis=1, dtype=np.uint64)
    return np.unique((combined >> np.uint64(32)).astype(np.uint32))


def permutations(num_perm: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's (a, b) for this seed and size (taken from datasketch itself)."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    from datasketch.minhash import _fmix

    return _fmix(h, 32)


def batch_signatures(hash_arrays: list[np.ndarray], perms: tuple[np.ndarray, np.ndarray],
                     chunk_shingles: int = 1 << 17) -> np.ndarray:
    """Signatures [docs, num_perm] (uint32) of a batch; a document without shingles gets all ones
    (max uint32), like an empty datasketch MinHash. Memory: num_perm x chunk_shingles x 4 bytes."""
    a, b = perms
    out = np.full((len(hash_arrays), len(a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    doc = 0
    while doc < len(hash_arrays):  # gather documents up to ~chunk_shingles shingles
        first, total = doc, 0
        while doc < len(hash_arrays) and (total == 0 or total + len(hash_arrays[doc]) <= chunk_shingles):
            total += len(hash_arrays[doc])
            doc += 1
        group = [h for h in hash_arrays[first:doc]]
        sizes = np.array([len(h) for h in group])
        if not sizes.sum():
            continue
        hv = _fmix32(np.concatenate(group).astype(np.uint32))
        with np.errstate(over="ignore"):
            phv = hv[:, None] * a[None, :] + b[None, :]  # [shingles, num_perm], mod 2^32
        nonempty = np.flatnonzero(sizes)
        starts = np.r_[0, np.cumsum(sizes)[:-1]][nonempty]
        out[first + nonempty] = np.minimum.reduceat(phv, starts, axis=0)
    return out


def band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """[docs, bands] uint64 hashes of each band of each signature (equal bands, equal hashes)."""
    with np.errstate(over="ignore"):
        cols = sigs[:, :bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
        powers = np.ones(rows, dtype=np.uint64)
        for j in range(rows - 2, -1, -1):
            powers[j] = powers[j + 1] * np.uint64(0x100000001B3)
        mixed = (cols * powers).sum(axis=2, dtype=np.uint64)
        return mixed ^ (mixed >> np.uint64(29))


def choose_bands(threshold: float, num_perm: int, false_negative_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) for a target Jaccard threshold: datasketch's search over the S-curve
    1 - (1 - s^rows)^bands, weighing false negatives against false positives."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 1 - false_negative_weight, false_negative_weight)


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """P(two documents of Jaccard s share at least one band)."""
    return 1 - (1 - s ** rows) ** bands


def connected_components(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map every document that has an edge to its component's smallest id (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
            parent.setdefault(lo, lo)
    return {x: find(x) for x in parent}
