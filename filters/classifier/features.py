"""The classifier's features: one preprocessing function for training and scoring, and the rule
features (math vocabulary, LaTeX, signs) that seed labels when there are none."""

from __future__ import annotations

from typing import Sequence

import numpy as np

MATH_LABEL, OTHER_LABEL = "__label__math", "__label__other"
PREPROCESS_VERSION = 3  # part of a cached model's fingerprint: changing `preprocess` retrains it
MAX_CHARS = 8192  # only the head of a document is classified: long files cost no more than short ones
MODEL_DIM, MODEL_BUCKET = (
    16,
    200_000,
)  # the trained model's size (see train_classifier); in a cached model's fingerprint

# What fastText sees of a text. Math marks become tokens of their own ("x^2=4" reads "x ^ 0 = 0", a
# backslash starts a token so "\frac{a}" reads "\frac a", "a\u2264b" reads "a \u2264 b"), brackets and prose
# punctuation read as spaces, digits all read "0" (no particular number is learnt, only how long
# numbers are), ASCII letters are lower-cased, and five bucketed math densities lead the line.
# Scoring must cost little next to fastText itself (the bare model spends ~40 us on a 2 KB text), so
# the spacing is done by C-level str/bytes methods on a whole batch at once (one call per symbol per
# batch), and the densities are counted with NumPy over the whole batch (`_densities`): no regex, no
# Python loop over tokens.
_SPACED = tuple((bytes([c]), b" " + bytes([c]) + b" ") for c in b"$^_=+-*/<>|") + ((b"\\", b" \\"),)
_UNICODE_SPACED = (
    "\u00b1\u00d7\u00f7\u2211\u220f\u222b\u2202\u2207\u221a\u221e\u2264\u2265\u2260\u2248\u2261\u2208\u2209"
    "\u2282\u2286\u222a\u2229\u2200\u2203\u2192\u21a6\u21d2\u21d4\u2218\u2297\u2295"
)
_AS_SPACE = b"{}()[],.;:!?'\"\t\n\v\f\r"
_BYTE_MAP = bytes.maketrans(b"123456789" + _AS_SPACE, b"0" * 9 + b" " * len(_AS_SPACE))
_SIGNS = b"=+^<>|"
_WORDS_HEAD = 768  # bytes of a document whose tokens are looked up in MATH_WORDS


# Words that mark mathematical writing in any medium (papers, forums, textbooks, problem sets).
MATH_WORDS = frozenset(
    """
theorem theorems lemma lemmas proof proofs corollary proposition conjecture axiom axioms equation
equations integral integrals integrate derivative derivatives differentiable polynomial polynomials
matrix matrices eigenvalue eigenvalues eigenvector prime primes integer integers rational
irrational continuous converges convergence convergent topology topological manifold manifolds
subgroup subgroups homomorphism isomorphism isomorphic morphism morphisms functor functors
algebraic geometric probability variance expectation inequality triangle triangles angle angles
perimeter radius diameter quotient denominator numerator modulo divisible divisor divisors
factorial logarithm exponential sine cosine tangent sqrt hence therefore suppose let iff
implies satisfies arbitrary finite infinite countable bijection injective surjective
calculate compute simplify evaluate solve remainder percent total
""".split()
)
_MATH_WORDS_BYTES = frozenset(w.encode() for w in MATH_WORDS)


class ClassifierError(RuntimeError):
    pass


def _spaced_documents(texts: Sequence[str]) -> list[bytes]:
    """The head of each text as fastText reads it (see above), computed on the batch joined by NUL."""
    heads = [t[:MAX_CHARS] for t in texts]
    if any("\x00" in h for h in heads):  # a NUL inside a text reads as a space
        heads = [h.replace("\x00", " ") for h in heads]
    # the Unicode symbols are looked for in the texts that are not ASCII only (isascii is O(1) for a
    # str): a tenth of the texts of papers and web pages, where a search of the whole batch for
    # each of 30 symbols cost ~3 us a document
    non_ascii = [i for i, h in enumerate(heads) if not h.isascii()]
    if non_ascii:
        joined = "\x00".join([heads[i] for i in non_ascii])
        for symbol in _UNICODE_SPACED:
            if symbol in joined:
                joined = joined.replace(symbol, f" {symbol} ")
        if "\u00a0" in joined:
            joined = joined.replace("\u00a0", " ")
        for i, head in zip(non_ascii, joined.split("\x00")):
            heads[i] = head
    raw = "\x00".join(heads).encode("utf-8", "surrogatepass").lower()
    for symbol, spaced in _SPACED:
        if symbol in raw:
            raw = raw.replace(symbol, spaced)
    return raw.translate(_BYTE_MAP).split(b"\x00")


def _head_words(docs: Sequence[bytes]) -> tuple[list[int], list[int]]:
    """For each document, ``len(doc[:768].split())`` and how many of those tokens are MATH_WORDS,
    for the whole batch at once: splitting each head into ~140 bytes objects cost ~9 us a document
    (a third of the preprocessing), NumPy over the joined heads ~3 us. A token is a run of bytes
    between ASCII whitespace, as for ``bytes.split``; a token is a candidate word when a table hit by
    its length and first 8 bytes says so, and is then checked against the set itself (so the table
    only has to be free of misses, never of false hits)."""
    if not docs:
        return [], []
    heads = [d[:_WORDS_HEAD] for d in docs]
    joined = b" " + b" ".join(heads) + b" " * 8  # spaces around every head; 8 more for the last read
    in_token = np.frombuffer(joined.translate(_IN_TOKEN), dtype=np.bool_)
    edges = np.flatnonzero(in_token[1:] ^ in_token[:-1])  # starts and ends alternate: space at both ends
    starts, ends = edges[0::2] + 1, edges[1::2] + 1
    head_starts = np.cumsum([0] + [len(h) + 1 for h in heads])
    tokens = np.diff(np.searchsorted(starts, head_starts))
    lengths = ends - starts
    maybe = np.flatnonzero((lengths >= _SHORTEST_WORD) & (lengths <= _LONGEST_WORD))
    at, size = starts[maybe], lengths[maybe]
    # the 8 bytes from each candidate's start (an unaligned view: one read per token, no copies)
    first8 = np.ndarray(shape=(len(joined) - 7,), dtype="<u8", buffer=joined, strides=(1,))[at]
    hits = maybe[_WORD_TABLE[_word_slots(first8 & _FIRST_BYTES_MASKS[size], size)]]
    found = [s for s, e in zip(starts[hits].tolist(), ends[hits].tolist()) if joined[s:e] in _MATH_WORDS_BYTES]
    words = np.bincount(np.searchsorted(head_starts, found, "right") - 1, minlength=len(docs))
    return tokens.tolist(), words.tolist()


def _word_slots(first8: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A slot in a 2^16 table per (first 8 bytes, length) of a token (multiplicative hashing)."""
    return ((first8 + lengths.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - 16)


def _math_word_table() -> np.ndarray:
    """True at the slot of every math word (`_word_slots`)."""
    words = sorted(_MATH_WORDS_BYTES)
    first8 = np.frombuffer(b"".join(w[:8].ljust(8, b"\0") for w in words), dtype="<u8")
    table = np.zeros(1 << 16, dtype=bool)
    table[_word_slots(first8, np.array([len(w) for w in words]))] = True
    return table


_WORD_TABLE = _math_word_table()
_SHORTEST_WORD, _LONGEST_WORD = min(map(len, _MATH_WORDS_BYTES)), max(map(len, _MATH_WORDS_BYTES))
# the low n bytes of a little-endian 8-byte read: a token of n < 8 bytes without what follows it
_FIRST_BYTES_MASKS = np.array([(1 << (8 * min(n, 8))) - 1 for n in range(_LONGEST_WORD + 1)], dtype=np.uint64)
_IN_TOKEN = bytes(c not in b" \t\n\r\x0b\x0c" for c in range(256))  # 0 where bytes.split() splits


def _densities(docs: Sequence[bytes]) -> np.ndarray:
    """Per token of each spaced document (one row each): LaTeX commands, math delimiters, operators
    and math symbols, math words (among the tokens of its first 768 bytes), and arithmetic.

    Counted with NumPy over the batch joined by NUL (no mark pattern matches across it): where
    the marks are, then how many fall in each document. Per document, ``bytes.count`` of each mark cost
    ~10 us (two-byte patterns are slow where backslashes are dense). The counts are those of the
    per-document definition (``tests/test_normalizers_fuzz.py`` compares them on random text)."""
    if not docs:
        return np.zeros((0, 5))
    head_tokens, head_words = (np.asarray(counts) for counts in _head_words(docs))
    joined = _PADDING + b"\x00".join(docs) + _PADDING  # reads 3 bytes either side of a mark stay inside
    buf = np.frombuffer(joined, dtype=np.uint8)
    sizes = np.array([len(d) for d in docs])
    bounds = np.cumsum(np.concatenate([[len(_PADDING)], sizes + 1]))  # each document's start, then the end

    def per_document(positions: np.ndarray) -> np.ndarray:
        return np.diff(np.searchsorted(positions, bounds))

    # one pass over the batch classifies each byte (bit flags), then only the marks are looked at
    classes = np.frombuffer(joined.translate(_MARK_CLASSES), dtype=np.uint8)
    marks = np.flatnonzero(classes != 0)  # a bool array: NumPy's nonzero on uint8 is 3x slower
    kinds = classes[marks]
    backslashes = marks[(kinds & _BACKSLASH_MARK) != 0]
    latex = per_document(backslashes)
    # $ and, once spaced, \( \) \[ \] \, \\ (a backslash before a non-letter)
    delimiters = per_document(marks[(kinds & _DOLLAR_MARK) != 0]) + per_document(
        backslashes[buf[backslashes + 1] == _SPACE]
    )
    signs = per_document(marks[(kinds & _SIGN_MARK) != 0])
    # arithmetic: "0 + 0", "00*0", "0 = 0" (spaced: "0  +  0") read as 0 <op> 0
    ops = marks[(kinds & _OPERATOR_MARK) != 0]
    ops = ops[(buf[ops - 1] == _SPACE) & (buf[ops + 1] == _SPACE)]
    single = ops[(buf[ops - 2] == _ZERO) & (buf[ops + 2] == _ZERO)]
    double = ops[
        (buf[ops - 2] == _SPACE) & (buf[ops + 2] == _SPACE) & (buf[ops - 3] == _ZERO) & (buf[ops + 3] == _ZERO)
    ]
    arithmetic = per_document(_not_overlapping(single, 4)) + per_document(_not_overlapping(double, 6))
    # tokens per byte as in the first 768 bytes (code has shorter tokens than prose)
    per_token = np.minimum(sizes, _WORDS_HEAD) / np.maximum(1, head_tokens * sizes)
    return np.column_stack(
        [
            latex * per_token,
            delimiters * per_token,
            signs * per_token,
            head_words / np.maximum(1, head_tokens),
            arithmetic * per_token,
        ]
    )


def _not_overlapping(found: np.ndarray, step: int) -> np.ndarray:
    """Of the sorted positions of a pattern whose matches overlap only when `step` apart ("0 + 0 + 0"
    holds two "0 + 0" sharing a 0), those ``bytes.count`` counts: left to right, skipping any match
    that overlaps the last one counted, i.e. every other match along a run `step` apart."""
    starts_run = np.diff(found, prepend=-step - 1) != step
    if starts_run.all():  # no overlaps (the usual case)
        return found
    index = np.arange(len(found))
    run_start = np.maximum.accumulate(np.where(starts_run, index, 0))
    return found[(index - run_start) % 2 == 0]


_PADDING = b"\x00" * 8
_SPACE, _ZERO = b" 0"
_SIGN_MARK, _OPERATOR_MARK, _BACKSLASH_MARK, _DOLLAR_MARK = 1, 2, 4, 8
# a \x01 of the text counts as an operator, as it did when operators were translated to \x01
_MARK_CLASSES = bytes(
    (_SIGN_MARK if c in _SIGNS else 0)
    | (_OPERATOR_MARK if c in b"+*/=\x01" else 0)
    | (_BACKSLASH_MARK if c == ord("\\") else 0)
    | (_DOLLAR_MARK if c == ord("$") else 0)
    for c in range(256)
)


_FEATURE_NAMES = ("latex", "delimiters", "signs", "words", "arithmetic")
_EDGES = (0.002, 0.01, 0.03, 0.08)


def math_features(text: str) -> dict[str, float]:
    """Densities per token of the math signals in the classified head of `text` (see `_densities`)."""
    return dict(zip(_FEATURE_NAMES, _densities(_spaced_documents([text]))[0].tolist()))


def _preprocessed_lines(texts: Sequence[str]) -> list[bytes]:
    """`preprocess_batch` as UTF-8 lines, each ending in a newline (what fastText's C++ reads)."""
    lines = []
    prefixes: dict[tuple[int, ...], bytes] = {}
    # spaced in slices of 64 texts (the joined slice stays in the CPU cache through the spacing
    # passes), counted in slices of 512 (NumPy's cost per call weighs less)
    for i in range(0, len(texts), 512):
        docs = [doc for j in range(i, min(i + 512, len(texts)), 64) for doc in _spaced_documents(texts[j : j + 64])]
        buckets = np.searchsorted(_EDGES, _densities(docs), side="right").tolist()  # as bisect_right
        for doc, bucket in zip(docs, buckets):
            if doc.isspace() or not doc:
                lines.append(b"\n")
                continue
            key = (*bucket, 1 + len(doc) // 320)  # the features repeat once per ~64 tokens of ~5 bytes
            prefix = prefixes.get(key)
            if prefix is None:
                one = " ".join(f"__{name}{level}" for name, level in zip(_FEATURE_NAMES, key))
                prefix = prefixes[key] = (" ".join([one] * key[-1]) + " ").encode()
            lines.append(prefix + doc + b"\n")
    return lines


def preprocess_batch(texts: Sequence[str]) -> list[str]:
    """The single line fastText sees for each text, at training and at scoring time: the lower-cased
    head of the text with math marks (``\\frac``, ``$``, ``^``, ``\u2211``) as tokens of their own,
    preceded by bucketed math-density features (medium-independent evidence), repeated (once per 64
    tokens) so that they weigh against a long text's words. Equal to ``[preprocess(t) for t in
    texts]``, faster."""
    return [line[:-1].decode("utf-8", "surrogatepass") for line in _preprocessed_lines(texts)]


def preprocess(text: str) -> str:
    """`preprocess_batch` of one text."""
    return preprocess_batch([text])[0]


def rule_score(text: str) -> float:
    """A score in [0, 1] from rules alone (no model): how strongly the text is marked as math. Seeds
    the bootstrap's labels (its high-precision ends only)."""
    f = math_features(text)
    return min(1.0, 4 * f["latex"] + 6 * f["delimiters"] + 0.5 * f["signs"] + 6 * f["words"] + 10 * f["arithmetic"])
