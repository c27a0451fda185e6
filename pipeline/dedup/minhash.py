"""MinHash signatures, LSH band keys and connected components of candidate pairs (pure functions).

Shingles are word n-grams of the lowercased word sequence. `bands` x `rows` = `num_perm`; when the
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


def shingles(text: str, ngram: int) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) <= ngram:
        return [" ".join(words).encode("utf-8", "surrogatepass")]
    return [" ".join(words[i:i + ngram]).encode("utf-8", "surrogatepass") for i in range(len(words) - ngram + 1)]


def signature(text: str, num_perm: int, ngram: int) -> np.ndarray:
    mh = MinHash(num_perm=num_perm, seed=SEED)
    mh.update_batch(shingles(text, ngram))
    return mh.hashvalues


def choose_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for a target Jaccard threshold, as datasketch's MinHashLSH chooses them."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[str]:
    return [f"{b}:{hashlib.blake2b(sig[b * rows:(b + 1) * rows].tobytes(), digest_size=12).hexdigest()}"
            for b in range(bands)]


def bucket_edges(doc_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Edges (smallest id, other id) that connect every member of one LSH bucket."""
    ids = sorted(set(doc_ids))
    return [(ids[0], other) for other in ids[1:]]


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
