"""Exact dedup on a normalized-text hash.

Normalizations (documented in the README; `dedup.normalize`, per source `dedup.normalize_by_source`):
- ``text`` (default): Unicode NFC, lowercase, every run of whitespace collapsed to one space,
  leading/trailing whitespace removed. Copies that differ only in indentation width, line endings,
  trailing spaces or letter case are exact duplicates.
- ``whitespace``: the same with letter case kept (code where ``Foo`` and ``foo`` are different names).
- ``none``: the text as it is (any difference, whitespace included, makes another document).
Documents are copies when their normalized texts are equal, each normalized as its source says.
"""

from __future__ import annotations

import hashlib
import unicodedata

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
