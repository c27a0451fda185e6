"""The benchmark n-gram index and matching a document against it, in NumPy.

Index: the distinct n-gram hashes of every benchmark item field, as a sorted uint64 array with a
parallel int32 array naming the item; an n-gram shared by several items appears once per item, so a
hit names every item it overlaps. N-grams shared by more than ``max_items_per_ngram`` items are
template phrases ("express your answer as a common fraction ...") and are left out. Memory: 12 bytes
per (n-gram, item) pair plus the item refs; GSM8K + MATH test at n=13 is about 670 k pairs, 8 MB. It is built once in the pipeline and given to
every worker as a side input.

Matching: the document's n-gram hashes are ruled out by a 2 MB bit prefilter on their top 24 bits
(one array lookup; at GSM8K+MATH size 4% of n-grams pass), the rest looked up with ``searchsorted``; the matches are
grouped by item: how many distinct n-grams match, and the longest run of consecutive matching
n-grams, which is the longest shared span in words (run + n - 1), the figure of Llemma's 30-gram
overlap analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from mathcorpus.pipeline.decontaminate.benchmarks import TextItem
from mathcorpus.pipeline.decontaminate.ngrams import ngram_hash_array, ngram_hashes_of, normalize_words, word_hashes


@dataclass
class NgramIndex:
    n: int
    keys: np.ndarray  # sorted uint64 n-gram hashes (repeated when several items share one)
    refs: np.ndarray  # int32: index into `items` for each key
    items: list[tuple[str, str, str, str]]  # (benchmark, split, item, field)
    dropped_template_ngrams: int = 0
    packed_prefilter: np.ndarray | None = None  # bit i set: some key has top bits i (2 MB packed)

    def __len__(self) -> int:
        return len(self.keys)

    def prefilter(self) -> np.ndarray:
        """A bool per value of a hash's top PREFILTER_BITS bits, unpacked once per process: most of a
        document's n-grams are ruled out by one array lookup before any binary search."""
        unpacked = self.__dict__.get("_prefilter")
        if unpacked is None:
            unpacked = self.__dict__["_prefilter"] = np.unpackbits(self.packed_prefilter).view(bool)
        return unpacked

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_prefilter"}


PREFILTER_BITS = 24


def build_index(items: Iterable[TextItem], n: int, max_items_per_ngram: int = 10) -> NgramIndex:
    ordered = sorted(items, key=lambda i: (i.benchmark, i.split, i.item, i.field, i.text))
    refs = [(i.benchmark, i.split, i.item, i.field) for i in ordered]
    hashes, owners = [], []
    for k, it in enumerate(ordered):
        h = np.unique(ngram_hash_array(normalize_words(it.text), n))
        hashes.append(h)
        owners.append(np.full(len(h), k, dtype=np.int32))
    if not sum(len(h) for h in hashes):
        return NgramIndex(
            n,
            np.empty(0, np.uint64),
            np.empty(0, np.int32),
            refs,
            0,
            np.packbits(np.zeros(1 << PREFILTER_BITS, dtype=bool)),
        )
    all_h, all_r = np.concatenate(hashes), np.concatenate(owners)
    order = np.lexsort((all_r, all_h))
    all_h, all_r = all_h[order], all_r[order]
    first = np.flatnonzero(np.r_[True, all_h[1:] != all_h[:-1]])
    counts = np.diff(np.r_[first, len(all_h)])
    keep = np.repeat(counts <= max_items_per_ngram, counts)  # every item of an n-gram, or none
    keys = all_h[keep]
    bits = np.zeros(1 << PREFILTER_BITS, dtype=bool)
    bits[keys >> np.uint64(64 - PREFILTER_BITS)] = True
    return NgramIndex(n, keys, all_r[keep], refs, int((counts > max_items_per_ngram).sum()), np.packbits(bits))


def _longest_run(positions: np.ndarray) -> tuple[int, int]:
    """(length, start) of the longest run of consecutive integers in sorted `positions`."""
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(positions) - 1]
    lengths = ends - starts + 1
    best = int(np.argmax(lengths))
    return int(lengths[best]), int(positions[starts[best]])


def match_words(words: list[str], index: NgramIndex, min_matching_ngrams: int = 1) -> list[dict]:
    """One record per item field sharing at least `min_matching_ngrams` n-grams with `words`, with
    `positions` (word offsets of the matching n-grams) for masking."""
    if not len(index) or len(words) < index.n:
        return []
    return _match(ngram_hash_array(words, index.n), index, min_matching_ngrams, lambda: words)


def match_text(text: str, index: NgramIndex, min_matching_ngrams: int = 1) -> list[dict]:
    """`match_words` of ``normalize_words(text)``, faster: words are built only when there is a hit."""
    if not len(index):
        return []
    return _match(
        ngram_hashes_of(word_hashes(text), index.n), index, min_matching_ngrams, lambda: normalize_words(text)
    )


def _match(hashes: np.ndarray, index: NgramIndex, min_matching_ngrams: int, get_words) -> list[dict]:
    n = index.n
    if not len(hashes):
        return []
    candidates = np.flatnonzero(index.prefilter()[hashes >> np.uint64(64 - PREFILTER_BITS)])
    if not len(candidates):
        return []
    left = np.searchsorted(index.keys, hashes[candidates], side="left")
    right = np.searchsorted(index.keys, hashes[candidates], side="right")
    counts = right - left  # how many items hold each candidate n-gram
    found = np.repeat(candidates, counts)  # document position, once per item
    if not len(found):
        return []
    starts = np.repeat(left, counts)
    within = np.arange(len(found)) - np.repeat(np.cumsum(counts) - counts, counts)
    owners = index.refs[starts + within]
    order = np.lexsort((found, owners))
    owners, found = owners[order], found[order]
    cuts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    hits, words = [], None
    for a, b in zip(cuts, np.r_[cuts[1:], len(owners)]):
        positions = found[a:b]
        if len(positions) < min_matching_ngrams:
            continue
        run, start = _longest_run(positions)
        span = run + n - 1
        benchmark, split, item, fld = index.items[int(owners[a])]
        words = words if words is not None else get_words()
        hits.append(
            {
                "benchmark": benchmark,
                "split": split,
                "item": item,
                "field": fld,
                "matching_ngrams": int(len(positions)),
                "longest_span_words": span,
                "span": " ".join(words[start : start + span])[:300],
                "positions": positions,
            }
        )
    return hits


def masked_text(text: str, spans: list[tuple[str, int, int]], positions: Iterable[int], n: int) -> str:
    """`text` without the characters of the matched n-grams (word spans from `word_spans`)."""
    ranges = sorted((spans[p][1], spans[min(p + n - 1, len(spans) - 1)][2]) for p in positions)
    pieces, last = [], 0
    for start, end in ranges:
        if end <= last:
            continue
        start = max(start, last)
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
