"""MinHash signatures, LSH band keys and connected components of candidate pairs (pure functions).

Shingles are word n-grams of the lowercased word sequence (or character n-grams); a document shorter
than one shingle is one shingle of all its words.

Signatures are computed in NumPy for a whole batch of documents at once (`batch_signatures`): each
shingle is hashed to 32 bits (word hashes from prefix sums over the UTF-8 bytes, n-grams by a
polynomial over the word hashes; no Python loop per word or shingle), then datasketch's own "affine32" permutations (the MurmurHash3 finalizer, then
``a * h + b`` mod 2^32, with datasketch's seeded ``a``, ``b``) are applied to every shingle of every
document in one array operation and reduced with ``minimum.reduceat``. Fed the same 32-bit shingle
hashes, the result is identical to datasketch's ``MinHash`` (tested); it is only much faster, since
nothing runs per shingle in Python. `bands` x `rows` = `num_perm`; when the
recipe gives only a Jaccard `threshold`, the split minimizing false positives + false negatives is
taken from datasketch (the probability that two documents of Jaccard s share a band is
1 - (1 - s^rows)^bands, an S-curve whose steepest point sits near (1/bands)^(1/rows)).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from datasketch import MinHash

SEED = 1  # fixed: signatures must agree across workers and runs


P64 = np.uint64(0x100000001B3)  # odd, so invertible mod 2**64
P64_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
P32 = np.uint64(0x01000193)  # odd multiplier of the polynomial shingle hash
# A byte is part of a word when it is an ASCII letter, digit or "_", or any byte of a non-ASCII
# UTF-8 character (so letters of every script count; so do a few non-ASCII symbols).
_WORD_ASCII = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_WORD_FLAGS = bytes(int(c in _WORD_ASCII or c >= 0x80) for c in range(256))  # bytes.translate: 1 = word byte
_POWERS = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i mod 2**64 for i < n (grown on demand, kept per process). The pair is replaced in
    one assignment and read once, so threads computing signatures side by side see matching arrays."""
    global _POWERS
    p, inv = _POWERS
    if len(p) < n:
        size = max(n, 2 * len(p))
        with np.errstate(over="ignore"):
            p = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, P64, dtype=np.uint64)], dtype=np.uint64)
            inv = np.cumprod(np.r_[np.uint64(1), np.full(size - 1, P64_INV, dtype=np.uint64)], dtype=np.uint64)
        _POWERS = (p, inv)
    return p[:n], inv[:n]


def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads polynomial hashes over all 64 bits."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def unit_hashes(text: str, unit: str = "word") -> np.ndarray:
    """64-bit hashes of the lowercased text's words (or characters, as UTF-8 bytes), in order,
    computed for all units at once from prefix sums over the bytes (no Python loop per word)."""
    raw = text.lower().encode("utf-8", "surrogatepass")
    if unit == "char":
        data = np.frombuffer(raw, dtype=np.uint8)
        if len(data):
            data = data[~np.r_[False, (data[1:] <= 32) & (data[:-1] <= 32)]]  # whitespace runs -> one
        return _mix64(data.astype(np.uint64) + np.uint64(1))
    return _word_hashes(raw)[0]


def _word_hashes(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hash of every word of the UTF-8 bytes `raw`, and where each word starts."""
    data = np.frombuffer(raw, dtype=np.uint8)
    # word flags by a C-level translate, padded with a non-word byte at both ends: the flag changes
    # alternately where a word starts and where it ends
    flags = np.frombuffer(b"\x00" + raw.translate(_WORD_FLAGS) + b"\x00", dtype=np.uint8)
    changes = np.flatnonzero(flags[1:] != flags[:-1])
    starts, ends = changes[0::2], changes[1::2]
    if not len(starts):
        return np.empty(0, dtype=np.uint64), starts
    p, inv = _powers(len(data) + 1)
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum((data.astype(np.uint64) + np.uint64(1)) * p[: len(data)], dtype=np.uint64, out=prefix[1:])
        return _mix64((prefix[ends] - prefix[starts]) * inv[starts]), starts


def shingle_hashes(text: str, ngram: int, unit: str = "word") -> np.ndarray:
    """32-bit hashes (as uint32) of the document's shingles, repeats included: a minimum does not
    change with repeats, and not deduplicating saves a sort per document."""
    h = unit_hashes(text, unit)
    if not len(h):
        return np.empty(0, dtype=np.uint32)
    return _combine(h, min(ngram, len(h)))  # a document shorter than a shingle is one shingle


def _combine(h: np.ndarray, n: int) -> np.ndarray:
    """The polynomial hash of every window of `n` consecutive unit hashes, as uint32."""
    # Horner's rule over shifted views, h[i] * P32**(n-1) + ... + h[i+n-1]: n passes over contiguous
    # arrays (a sum along a window axis of 5 is several times slower), the same value mod 2**64
    m = len(h) - n + 1
    combined = h[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, n):
            combined *= P32
            combined += h[j : j + m]
    return (combined >> np.uint64(32)).astype(np.uint32)


def batch_shingle_hashes(texts: list[str], ngram: int, unit: str = "word") -> tuple[np.ndarray, np.ndarray]:
    """`shingle_hashes` of many texts at once, as one flat array and the number of shingles of each
    text (equal to concatenating ``shingle_hashes(t)`` for t in texts). Word units are found and
    hashed over the whole batch joined by newlines (NumPy's per-call cost is paid per batch, not per
    document); a window that would cross from one text into the next is left out."""
    if unit != "word" or not texts:
        arrays = [shingle_hashes(t, ngram, unit) for t in texts]
        sizes = np.array([len(a) for a in arrays], dtype=np.int64)
        return (np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint32)), sizes
    encoded = [t.lower().encode("utf-8", "surrogatepass") for t in texts]
    starts_of_texts = np.r_[0, np.cumsum([len(e) + 1 for e in encoded])[:-1]]
    h, word_starts = _word_hashes(b"\n".join(encoded))
    # texts are joined by a non-word byte, so no word spans two texts: a text's first word is the
    # first word that starts at or after its first byte (one search per text, not per word)
    first_word = np.searchsorted(word_starts, starts_of_texts)
    words = np.diff(np.r_[first_word, len(word_starts)])
    sizes = np.where(words >= ngram, words - ngram + 1, np.minimum(words, 1))
    if len(h) < ngram:
        return np.concatenate(
            [_combine(h[f : f + w], w) for f, w in zip(first_word, words) if w] or [np.empty(0, dtype=np.uint32)]
        ), sizes
    combined = _combine(h, ngram)  # every window of the batch; window i starts at word i
    full = np.flatnonzero(words >= ngram)
    # windows inside each text: [first_word, first_word + words - ngram] (a difference array)
    marks = np.zeros(len(combined) + 1, dtype=np.int64)
    np.add.at(marks, first_word[full], 1)
    np.add.at(marks, first_word[full] + words[full] - ngram + 1, -1)
    keep = np.cumsum(marks[:-1]) > 0
    flat = combined[keep]
    if np.any((words > 0) & (words < ngram)):  # texts shorter than a shingle: one shingle of all their words
        out, taken = [], 0
        for t in range(len(texts)):
            if words[t] >= ngram:
                out.append(flat[taken : taken + sizes[t]])
                taken += int(sizes[t])
            elif words[t]:
                out.append(_combine(h[first_word[t] : first_word[t] + words[t]], int(words[t])))
        flat = np.concatenate(out)
    return flat, sizes


def distinct_shingles(flat: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """Each document's distinct shingle hashes, sorted, from `batch_shingle_hashes`' flat array and
    per-document counts."""
    ends = np.cumsum(sizes).tolist()
    return [np.unique(flat[e - n : e]) for e, n in zip(ends, sizes.tolist())]


class ShingleSets:
    """Each document's distinct shingle hashes (sorted uint32) as one flat array and its bounds.
    Indexed like the rows of a signature array: by an index array (another ShingleSets) or iterated
    (one array per document), so that the verification joins carry either."""

    __slots__ = ("flat", "bounds")

    def __init__(self, flat: np.ndarray, bounds: np.ndarray):
        self.flat, self.bounds = flat, bounds

    @classmethod
    def of(cls, flat: np.ndarray, sizes: np.ndarray) -> "ShingleSets":
        """From `batch_shingle_hashes`' flat array and per-document counts."""
        return cls.from_arrays(distinct_shingles(flat, sizes))

    @classmethod
    def from_arrays(cls, sets: list) -> "ShingleSets":
        bounds = np.r_[0, np.cumsum([len(x) for x in sets], dtype=np.int64)]
        flat = np.concatenate(sets).astype(np.uint32) if sets else np.empty(0, dtype=np.uint32)
        return cls(flat, bounds)

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __iter__(self):
        b = self.bounds.tolist()
        return (self.flat[b[i] : b[i + 1]] for i in range(len(b) - 1))

    def __getitem__(self, at: np.ndarray) -> "ShingleSets":
        b = self.bounds
        return ShingleSets.from_arrays([self.flat[b[i] : b[i + 1]] for i in np.asarray(at).tolist()])

    def __reduce__(self):
        return ShingleSets, (self.flat, self.bounds)


def set_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct values (1.0 for two empty sets)."""
    shared = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - shared
    return shared / union if union else 1.0


def permutations(num_perm: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's (a, b) for this seed and size (taken from datasketch itself)."""
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    from datasketch.minhash import _fmix

    return _fmix(h, 32)


CHUNK_SHINGLES = 3072


def batch_signatures(
    hash_arrays: list[np.ndarray], perms: tuple[np.ndarray, np.ndarray], chunk_shingles: int = CHUNK_SHINGLES
) -> np.ndarray:
    """Signatures [docs, num_perm] (uint32) of a batch; a document without shingles gets all ones
    (max uint32), like an empty datasketch MinHash."""
    sizes = np.array([len(h) for h in hash_arrays], dtype=np.int64)
    flat = np.concatenate(hash_arrays) if hash_arrays else np.empty(0, dtype=np.uint32)
    return flat_signatures(flat, sizes, perms, chunk_shingles)


def flat_signatures(
    flat: np.ndarray, sizes: np.ndarray, perms: tuple[np.ndarray, np.ndarray], chunk_shingles: int = CHUNK_SHINGLES
) -> np.ndarray:
    """`batch_signatures` of the shingle hashes of many documents given as one array and each
    document's count. Shingles go through the permutations ~chunk_shingles at a time: num_perm x
    chunk x 4 bytes (1.5 MB at 128 x 3,072) stays in a core's L2 cache between the multiply, the add
    and the minimum, which is faster than larger chunks or one pass over a whole batch."""
    a, b = perms
    out = np.full((len(sizes), len(a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    hv_all = _fmix32(flat.astype(np.uint32)) if len(flat) else flat
    # one block for every chunk, written in place: a fresh 4 MB array per chunk (two, with the
    # addition's) came from freshly mapped memory each time, and the page faults cost a quarter of
    # the time
    block = np.empty((len(a), max(chunk_shingles, int(sizes.max(initial=0)))), dtype=np.uint32)
    a_column, b_column = a[:, None], b[:, None]
    doc = 0
    while doc < len(sizes):  # gather documents up to ~chunk_shingles shingles
        first = doc
        while doc < len(sizes) and (doc == first or ends[doc] - starts[first] <= chunk_shingles):
            doc += 1
        lo, hi = int(starts[first]), int(ends[doc - 1])
        if hi == lo:
            continue
        phv = block[:, : hi - lo]  # [num_perm, shingles]: a * h + b mod 2^32
        np.multiply(a_column, hv_all[None, lo:hi], out=phv)
        np.add(phv, b_column, out=phv)
        nonempty = np.flatnonzero(sizes[first:doc])
        out[first + nonempty] = np.minimum.reduceat(phv, starts[first:doc][nonempty] - lo, axis=1).T
    return out


def band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """[docs, bands] uint64 hashes of each band of each signature (equal bands, equal hashes)."""
    with np.errstate(over="ignore"):
        cols = sigs[:, : bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
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
    return 1 - (1 - s**rows) ** bands


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
