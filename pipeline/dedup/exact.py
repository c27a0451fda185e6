"""Exact dedup on a normalized-text hash.

Normalizations (documented in docs/dedup.md; `dedup.normalize`, per source `dedup.normalize_by_source`):
- ``text`` (default): Unicode NFC, lowercase, every run of whitespace collapsed to one space,
  leading/trailing whitespace removed. Copies that differ only in indentation width, line endings,
  trailing spaces or letter case are exact duplicates.
- ``whitespace``: the same with letter case kept (code where ``Foo`` and ``foo`` are different names).
- ``none``: the text as it is (any difference, whitespace included, makes another document).
Documents are copies when their normalized texts are equal, each normalized as its source says.
The scan pass writes 16 bytes of hash and the document number per document to its key files by hash
range (keyfiles.py); the first copy (smallest document number) is kept.
"""

from __future__ import annotations

import hashlib
import unicodedata

import apache_beam as beam
import numpy as np

from mathcorpus.pipeline.docnums import member
from mathcorpus.pipeline.keyfiles import PerRange
from mathcorpus.recipe import ExactNormalization

# the characters str.split() splits ASCII text on, besides the space itself
_ASCII_WHITESPACE_AS_SPACE = bytes.maketrans(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f", b" " * 9)


def normalize_for_exact(text: str, normalization: ExactNormalization = "text") -> str:
    if normalization == "none":
        return text
    text = unicodedata.normalize("NFC", text)
    if normalization == "text":
        text = text.lower()
    return " ".join(text.split())  # split(): any whitespace run


def normalized_utf8(text: str, normalization: ExactNormalization = "text") -> bytes:
    """``normalize_for_exact(text, normalization)`` as UTF-8. ASCII text (already NFC) with few runs
    of whitespace, such as prose, has its runs collapsed by a few C-level replace passes instead of
    being split into words and joined (3x faster on 2 KB of prose); text with many runs (indented
    code) is split."""
    if normalization == "none" or not text.isascii():
        return normalize_for_exact(text, normalization).encode("utf-8", "surrogatepass")
    data = text.encode("ascii").translate(_ASCII_WHITESPACE_AS_SPACE)
    # each search for b"  " costs ~3.5 us on 2 KB of prose: text without a double space (most) pays one
    if b"  " in data:
        if data.count(b"  ") * 32 >= len(data):
            data = b" ".join(data.split())
        else:
            data = data.replace(b"  ", b" ")
            while b"  " in data:
                data = data.replace(b"  ", b" ")
    data = data.strip(b" ")
    return data.lower() if normalization == "text" else data


def exact_key(text: str, normalization: ExactNormalization = "text") -> str:
    return hashlib.sha1(normalized_utf8(text, normalization)).hexdigest()


def exact_hashes(texts, normalizations) -> tuple[np.ndarray, np.ndarray]:
    """The first 128 bits of each normalized text's SHA-1, as two uint64 arrays (high, low). Copies are
    decided on these 16 bytes: two different texts agree with probability ~n^2/2^129."""
    digests = b"".join(hashlib.sha1(normalized_utf8(t, n)).digest()[:16] for t, n in zip(texts, normalizations))
    both = np.frombuffer(digests, dtype=">u8").astype(np.uint64).reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()


RANGES = 8
EXACT = "exact"  # the key kind


def exact_parts(hi: np.ndarray, lo: np.ndarray, nums: np.ndarray, ranges: int = RANGES):
    """(hash range, [hi | lo | numbers] as one [k, 3] array) for every range present in one batch."""
    rows = np.stack([hi, lo, nums], axis=1)
    which = hi % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, rows[which == r]


def copies_in_range(parts, excluded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(removed numbers, their keepers' numbers) over one range's parts: every document but the first
    (smallest number) of each text; documents in `excluded` (sorted) take no part."""
    rows = np.concatenate(list(parts))
    hi, lo, nums = rows[:, 0], rows[:, 1], rows[:, 2]
    keep = ~member(nums, excluded)
    hi, lo, nums = hi[keep], lo[keep], nums[keep]
    order = np.lexsort((nums, lo, hi))
    hi, lo, nums = hi[order], lo[order], nums[order]
    starts = np.r_[True, (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(nums)), 0))
    repeat = ~starts
    return nums[repeat], nums[first[repeat]]


def _copies(frames: list, excluded):
    if frames:
        removed, keepers = copies_in_range(frames, excluded)
        if len(removed):
            yield removed, keepers


class ExactCopies(beam.PTransform):
    """Key receipts -> (removed numbers, keeper numbers) array pairs, per range of the units' exact
    key files; `excluded` (a singleton sorted array: documents already dropped) takes no part."""

    def __init__(self, out_dir: str, excluded):
        super().__init__()
        self._out_dir, self._excluded = out_dir, excluded

    def expand(self, receipts):
        excluded = beam.pvalue.AsSingleton(self._excluded)
        return receipts | "PerRange" >> PerRange(self._out_dir, EXACT, _copies, excluded)
