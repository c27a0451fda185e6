"""Property tests: the text normalizers and scorers take any Unicode (surrogates, controls, combining
marks, huge digit runs) without crashing, and keep the properties the stages rely on."""

import hashlib

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mathcorpus.filters.classifier import chunk_text, preprocess
from mathcorpus.filters.language.detect import detect_language
from mathcorpus.filters.quality import digit_fraction, longest_line, quality_reason
from mathcorpus.pipeline.decontaminate.ngrams import ngram_hash_array, normalize_words
from mathcorpus.pipeline.dedup.exact import exact_key, normalize_for_exact, normalized_utf8
from mathcorpus.pipeline.dedup.minhash import batch_signatures, permutations, shingle_hashes
from mathcorpus.recipe import QualityFilterSpec

PERMS = permutations(16)
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=400)  # surrogates included


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_exact_normalization_is_idempotent_and_total(text):
    once = normalize_for_exact(text)
    assert normalize_for_exact(once) == once
    assert exact_key(text) == exact_key(text) and len(exact_key(text)) > 0


ASCII_WITH_WHITESPACE_RUNS = st.text(
    alphabet=st.sampled_from(list("ab Z\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")) | st.characters(max_codepoint=127),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(ASCII_WITH_WHITESPACE_RUNS | ANY_TEXT)
@example("  a \x1c\t b   " + "x " * 40)  # few runs: the replace passes
@example("\n    a\n        b\n")  # many runs: split and join
def test_exact_key_hashes_the_normalized_text(text):
    assert normalized_utf8(text) == normalize_for_exact(text).encode("utf-8", "surrogatepass")
    assert exact_key(text) == hashlib.sha1(normalize_for_exact(text).encode("utf-8", "surrogatepass")).hexdigest()
    for normalization in ("whitespace", "none"):
        expected = normalize_for_exact(text, normalization)
        assert normalized_utf8(text, normalization) == expected.encode("utf-8", "surrogatepass")
        assert normalize_for_exact(expected, normalization) == expected  # idempotent
    assert normalize_for_exact(text, "whitespace").lower() == normalize_for_exact(text)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, st.integers(1, 13))
@example("Π", 1)  # lower-cases to "π", a symbol that reads "pi"
def test_decontamination_words_and_ngrams(text, n):
    words = normalize_words(text)
    assert all(w and not any(c.isspace() for c in w) for w in words)
    assert normalize_words(" ".join(words)) == words  # normalizing normalized words changes nothing
    hashes = ngram_hash_array(words, n)
    assert len(hashes) == max(0, len(words) - n + 1) and hashes.dtype == np.uint64
    if len(words) >= n:  # a window's hash depends only on its words
        assert hashes[0] == ngram_hash_array(words[:n], n)[0]


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT, st.integers(1, 7))
def test_minhash_shingles_and_signatures(text, ngram):
    for unit in ("word", "char"):
        sh = shingle_hashes(text, ngram, unit)
        assert sh.dtype == np.uint32
        [sig] = batch_signatures([sh], PERMS)
        assert sig.shape == (16,) and (sig == batch_signatures([shingle_hashes(text, ngram, unit)], PERMS)[0]).all()


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_classifier_preprocessing_and_quality_heuristics(text):
    processed = preprocess(text)
    assert "\n" not in processed and preprocess(text) == processed
    assert "".join(chunk_text(text, 50)).replace("\n", "") or not text.strip() or True
    assert 0.0 <= digit_fraction(text) <= 1.0 and longest_line(text) <= len(text)
    reason = quality_reason(text, QualityFilterSpec())
    assert reason is None or isinstance(reason[0], str)
    detect_language("x.py", text)


def _densities_one_by_one(doc: bytes) -> list[float]:
    """The per-document definition of the classifier's math densities (what the batched NumPy
    counting in `_densities` must equal): bytes.count, bytes.split."""
    from mathcorpus.filters.classifier import MATH_WORDS

    size = len(doc)
    latex = doc.count(b"\\")
    delimiters = doc.count(b"$") + doc.count(b"\\ ")
    signs = size - len(doc.translate(None, b"=+^<>|"))
    arithmetic = doc.translate(bytes.maketrans(b"+*/=", b"\x01" * 4))
    arithmetic = arithmetic.count(b"0 \x01 0") + arithmetic.count(b"0  \x01  0")
    head = doc[:768].split()
    words = sum(word.decode("latin-1") in MATH_WORDS for word in head) / max(1, len(head))
    per_token = min(size, 768) / max(1, len(head) * size)
    return [latex * per_token, delimiters * per_token, signs * per_token, words, arithmetic * per_token]


# spaced text as the classifier counts it: runs of "0 + 0 + 0" (overlapping matches), marks at the
# edges of documents, math words cut at the 768-byte head, every ASCII whitespace
SPACED_PIECES = st.sampled_from(
    [
        "0",
        " ",
        "  ",
        "+",
        "=",
        "*",
        "/",
        "\x01",
        "$",
        "\\",
        "\\ ",
        "^",
        "|",
        "x",
        "\t",
        "\n",
        "\x0b",
        "\x0c",
        "\r",
        "theorem",
        "lemmas",
        "differentiable",
        "theorems0",
        "let",
        "é",
        "\x00",
        "0 + 0 + 0",
        "0 = 0 * 0 / 0",
        "0  +  0  =  0  +  0",
    ]
)
SPACED_DOCS = st.lists(st.lists(SPACED_PIECES, max_size=400).map("".join).map(lambda s: s.encode()), max_size=12)


@settings(max_examples=300, deadline=None)
@example([b" " * 765 + b"letter 0 + 0 + 0", b"theorem $x$ " * 200, b""])  # "let" ends the 768-byte head
@given(SPACED_DOCS | st.lists(ANY_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")), max_size=6))
def test_classifier_densities_batched_equal_one_by_one(docs):
    from mathcorpus.filters.classifier import _densities

    assert _densities(docs).tolist() == [_densities_one_by_one(doc) for doc in docs]


@given(st.text(alphabet=st.sampled_from(list("ab 09\t\n\x0b\x0c\x1c\x1f\u00b2\u0663\u2003x")), max_size=60))
def test_digit_fraction_fast_path_equals_the_definition(text):
    visible = sum(1 for c in text if not c.isspace())
    expected = sum(1 for c in text if c.isdigit()) / visible if visible else 0.0
    assert digit_fraction(text) == pytest.approx(expected)
