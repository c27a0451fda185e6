"""Text normalization and hashed word n-grams shared by the benchmark index and document matching.

One function, `word_spans`, turns text into normalized words with their character spans in the
original text (the spans are what `mask` mode cuts). Applied identically to benchmark items and to
documents, it makes these equal:

1. case and Unicode forms: each word is NFKC-normalized and lowercased (full-width digits,
   ligatures like "ﬁ", compatibility forms);
2. whitespace and punctuation: words are runs of Unicode word characters; everything else
   (punctuation, braces, ``^``, ``_``, whitespace of any kind or width) only separates words;
3. LaTeX delimiters and spacing: ``$``, ``\\(``, ``\\)``, ``\\[``, ``\\]`` are separators, and the
   spacing/sizing commands ``\\, \\; \\! \\: \\quad \\qquad \\left \\right \\big \\Big \\bigl \\bigr
   \\displaystyle \\textstyle \\limits \\mathrm \\text \\operatorname`` are dropped, so ``$\\left(x\\right)$``
   reads like ``(x)``; command aliases are unified: ``\\dfrac``/``\\tfrac`` -> ``frac``, ``\\leq`` ->
   ``le``, ``\\geq`` -> ``ge``, ``\\neq`` -> ``ne``, ``\\cdotp`` -> ``cdot``;
4. math symbols written as Unicode read as their LaTeX names: × times, ÷ div, ≤ le, ≥ ge, ≠ ne,
   · cdot, π pi, ∞ infty, √ sqrt, ± pm;
5. numbers: thousands separators in groups of three are removed (``1,000,000``, ``1{,}000``,
   ``1\\,000`` -> ``1000000``, ``1000``, ``1000``); ``1,5`` stays two numbers.

An n-gram is n consecutive words. Each word is hashed once to 64 bits (BLAKE2b, stable across
processes and machines) and an n-gram's hash is the polynomial ``sum(h[i+j] * P**(n-1-j)) mod 2**64``,
computed for all windows at once with NumPy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np

_TOKEN = re.compile(
    r"""
    \\[A-Za-z]+                                   # a LaTeX command
  | \d{1,3}(?:(?:,|，|\{,\}|\\,)\d{3})+(?!\d)       # a number with thousands separators
  | \w+
  | [×÷≤≥≠·π∞√±]
""",
    re.VERBOSE,
)
_SEPARATORS = re.compile(r",|，|\{,\}|\\,")
_DROPPED_COMMANDS = frozenset(
    """left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr displaystyle
    textstyle scriptstyle limits nolimits quad qquad mathrm text textrm operatorname mathit mathbf
    boldsymbol mbox hbox hspace vspace""".split()
)
_COMMAND_ALIASES = {
    "dfrac": "frac",
    "tfrac": "frac",
    "leq": "le",
    "geq": "ge",
    "neq": "ne",
    "cdotp": "cdot",
    "leqslant": "le",
    "geqslant": "ge",
    "lt": "<",
    "gt": ">",
}
_SYMBOLS = {
    "×": "times",
    "÷": "div",
    "≤": "le",
    "≥": "ge",
    "≠": "ne",
    "·": "cdot",
    "π": "pi",
    "∞": "infty",
    "√": "sqrt",
    "±": "pm",
}
_WORD = re.compile(r"\w+")
P = np.uint64(0x100000001B3)  # odd multiplier of the polynomial n-gram hash


@lru_cache(maxsize=1 << 16)
def _normalize_token(token: str) -> tuple[str, ...]:
    """The normalized word(s) of one raw token; () when it is dropped."""
    if token.startswith("\\"):
        name = token[1:]
        if name in _DROPPED_COMMANDS:
            return ()
        return (_COMMAND_ALIASES.get(name, name.lower()),)
    if token in _SYMBOLS:
        return (_SYMBOLS[token],)
    if token[0].isdigit() and not token.isalnum():  # 1,000 / 1{,}000 / 1\,000 / １，０００
        return (unicodedata.normalize("NFKC", _SEPARATORS.sub("", token)),)
    normal = unicodedata.normalize("NFKC", token).lower()
    if normal in _SYMBOLS:  # "Π" lower-cases to "π", which reads "pi" (normalizing twice changes nothing)
        return (_SYMBOLS[normal],)
    if normal.isalnum():
        return (normal,)
    return tuple(_WORD.findall(normal))  # NFKC can split a token ("½" -> "1⁄2")


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """(normalized word, start, end) for every word, with spans in `text`."""
    out = []
    for m in _TOKEN.finditer(text):
        for word in _normalize_token(m.group()):
            out.append((word, m.start(), m.end()))
    return out


def normalize_words(text: str) -> list[str]:
    return [w for m in _TOKEN.finditer(text) for w in _normalize_token(m.group())]


@lru_cache(maxsize=1 << 18)
def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


_TOKEN_HASHES: dict[str, tuple[int, ...]] = {}
_TOKEN_CACHE_LIMIT = 1 << 20


def word_hashes(text: str) -> np.ndarray:
    """uint64 hash of every normalized word of `text`: ``word_hash`` over ``normalize_words(text)``,
    without building the words (raw tokens map straight to hashes through a per-process cache)."""
    cache = _TOKEN_HASHES
    if len(cache) > _TOKEN_CACHE_LIMIT:
        cache.clear()
    out: list[int] = []
    extend = out.extend
    for token in _TOKEN.findall(text):
        hashes = cache.get(token)
        if hashes is None:
            hashes = cache[token] = tuple(word_hash(w) for w in _normalize_token(token))
        extend(hashes)
    return np.array(out, dtype=np.uint64)


def ngram_hash_array(words: list[str], n: int) -> np.ndarray:
    """uint64 hashes of every n-gram of `words` (empty when there are fewer than n words)."""
    h = np.fromiter((word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    return ngram_hashes_of(h, n)


def ngram_hashes_of(h: np.ndarray, n: int) -> np.ndarray:
    """uint64 n-gram hashes from the word hashes `h`."""
    if len(h) < n:
        return np.empty(0, dtype=np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(h, n)
    with np.errstate(over="ignore"):  # arithmetic mod 2**64 is the point
        return (windows * _powers(n)).sum(axis=1, dtype=np.uint64)


@lru_cache(maxsize=64)
def _powers(n: int) -> np.ndarray:
    powers = np.ones(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n - 2, -1, -1):
            powers[j] = powers[j + 1] * P
    return powers
