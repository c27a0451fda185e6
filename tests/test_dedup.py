import random

from mathcorpus.pipeline.dedup.exact import exact_key, normalize_for_exact
from mathcorpus.pipeline.dedup.minhash import (band_keys, bucket_edges, choose_bands,
                                               connected_components, shingles, signature)


def test_exact_key_ignores_case_and_whitespace_only():
    a = "def f(x):\n    return x ** 2\n"
    assert exact_key(a) == exact_key("DEF f(x):\r\n\treturn x ** 2   \n\n")
    assert exact_key(a) != exact_key("def f(x):\n    return x ** 3\n")
    assert normalize_for_exact("  a \n\n b ") == "a b"


def _words(rng, n):
    vocab = [f"w{i}" for i in range(5000)]
    return [rng.choice(vocab) for _ in range(n)]


def test_near_copies_share_a_band_and_distinct_documents_do_not():
    rng = random.Random(0)
    bands, rows = choose_bands(0.8, 128)
    assert bands * rows <= 128
    base = _words(rng, 400)
    near = list(base)
    for i in rng.sample(range(400), 6):  # 1.5 % of words changed
        near[i] = "changed"
    other = _words(rng, 400)
    keys = [set(band_keys(signature(" ".join(w), 128, 5), bands, rows)) for w in (base, near, other)]
    assert keys[0] & keys[1]
    assert not keys[0] & keys[2]


def test_signature_is_stable_across_calls():
    text = "the integral of a sum is the sum of the integrals " * 5
    assert (signature(text, 64, 3) == signature(text, 64, 3)).all()
    assert shingles("a b", 5) == [b"a b"]  # shorter than n: one shingle


def test_components_keep_smallest_id():
    edges = bucket_edges(["c", "a", "b"]) + bucket_edges(["d", "e"]) + bucket_edges(["e", "b"])
    comp = connected_components(edges)
    assert comp == {x: "a" for x in "abcde"}
    assert connected_components(bucket_edges(["z", "y"]) + bucket_edges(["q", "p"])) == {
        "y": "y", "z": "y", "p": "p", "q": "p"}
