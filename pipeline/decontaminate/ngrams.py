"""Text normalization and hashed word n-grams shared by the benchmark index and document matching.

Normalization, applied identically to benchmark items and to documents:
1. Unicode NFKC (full-width digits, ligatures, compatibility forms) and lowercase;
2. LaTeX math delimiters dropped: ``$``, ``\\(``, ``\\)``, ``\\[``, ``\\]``;
3. thousands separators removed inside numbers (``1,000,000`` -> ``1000000``);
4. words are the runs of Unicode word characters; everything else (punctuation, backslashes,
   braces, whitespace of any width) separates words.
An n-gram is n consecutive words; it is hashed to 64 bits with BLAKE2b (stable across processes).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_DELIMITERS = re.compile(r"\\[()\[\]]|\$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WORD = re.compile(r"\w+")


def normalize_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _THOUSANDS.sub("", _DELIMITERS.sub(" ", text))
    return _WORD.findall(text)


def hash_ngram(words: list[str]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(words).encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def ngram_hashes(words: list[str], n: int) -> list[int]:
    return [hash_ngram(words[i:i + n]) for i in range(len(words) - n + 1)]
