"""Exact dedup on a normalized-text hash.

Normalization (documented in the README): Unicode NFC, lowercase, every run of whitespace collapsed
to one space, leading/trailing whitespace removed. So copies that differ only in indentation width,
line endings, trailing spaces or letter case are exact duplicates.
"""

from __future__ import annotations

import hashlib
import unicodedata


def normalize_for_exact(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())  # split(): any whitespace run


def exact_key(text: str) -> str:
    return hashlib.sha1(normalize_for_exact(text).encode("utf-8", "surrogatepass")).hexdigest()
