import json
import random

import numpy as np
import pytest
from datasketch import MinHash

from mathcorpus.document import Document
from mathcorpus.pipeline.dedup.exact import exact_key, normalize_for_exact
from mathcorpus.pipeline.dedup.minhash import (
    band_hashes,
    batch_shingle_hashes,
    batch_signatures,
    candidate_probability,
    choose_bands,
    connected_components,
    flat_signatures,
    permutations,
    shingle_hashes,
)
from mathcorpus.pipeline.dedup.near import band_parts, bucket_edges, nodes, survivor_rank


def test_exact_key_ignores_case_and_whitespace_only():
    a = "def f(x):\n    return x ** 2\n"
    assert exact_key(a) == exact_key("DEF f(x):\r\n\treturn x ** 2   \n\n")
    assert exact_key(a) != exact_key("def f(x):\n    return x ** 3\n")
    assert normalize_for_exact("  a \n\n b ") == "a b"


def test_exact_normalizations():
    code = "def f(x):\n    return x ** 2\n"
    recased = "DEF f(x):\r\n\treturn x ** 2   \n\n"
    reindented = "def f(x):\r\n\treturn x ** 2   \n\n"
    assert exact_key(code, "whitespace") != exact_key(recased, "whitespace")  # case kept
    assert exact_key(code, "whitespace") == exact_key(reindented, "whitespace")
    assert exact_key(code, "none") != exact_key(reindented, "none")  # the text as it is
    assert exact_key("a b", "none") == exact_key("A  b", "text") != exact_key("A b", "none")  # same key space
    assert normalize_for_exact("  A \n\n b ", "whitespace") == "A b"
    assert (
        normalize_for_exact("e\u0301", "whitespace") == "\u00e9" and normalize_for_exact("e\u0301", "none") == "e\u0301"
    )


def _words(rng, n):
    vocab = [f"w{i}" for i in range(5000)]
    return [rng.choice(vocab) for _ in range(n)]


@pytest.mark.parametrize("unit", ["word", "char"])
def test_batch_signatures_equal_datasketch_on_the_same_shingles(unit):
    rng = random.Random(1)
    texts = [" ".join(_words(rng, n)) for n in (0, 1, 3, 50, 400)] + ["", "   ", "x"]
    hashes = [shingle_hashes(t, 5, unit) for t in texts]
    sigs = batch_signatures(hashes, permutations(64), chunk_shingles=100)  # several chunks
    for h, sig in zip(hashes, sigs):
        reference = MinHash(num_perm=64, seed=1, hashfunc=lambda v: v)
        reference.update_batch(h.tolist())
        assert (reference.hashvalues == sig).all()


@pytest.mark.parametrize("unit", ["word", "char"])
def test_a_batch_hashes_each_text_as_if_alone(unit):
    rng = random.Random(2)
    for _ in range(20):
        texts = [" ".join(_words(rng, rng.choice([0, 1, 2, 4, 5, 6, 30, 300]))) for _ in range(rng.randint(1, 12))]
        texts += rng.sample(["", "  \n ", "Ünïcode wörds, ∑ x_i", "a\nb", "one"], 2)
        rng.shuffle(texts)
        flat, sizes = batch_shingle_hashes(texts, 5, unit)
        expected = [shingle_hashes(t, 5, unit) for t in texts]
        assert sizes.tolist() == [len(e) for e in expected]
        assert (flat == np.concatenate(expected)).all()
        sigs = flat_signatures(flat, sizes, permutations(32), chunk_shingles=64)
        assert (sigs == batch_signatures(expected, permutations(32), chunk_shingles=1 << 20)).all()
    assert batch_shingle_hashes(["a b", "c"], 5)[1].tolist() == [1, 1]
    assert batch_shingle_hashes([], 5)[1].tolist() == []


def test_tiny_documents_are_one_shingle():
    assert len(shingle_hashes("a b", 5)) == 1 and len(shingle_hashes("", 5)) == 0
    assert len(shingle_hashes("a b c d e f", 5)) == 2


def test_near_copies_share_a_band_and_distinct_documents_do_not():
    rng = random.Random(0)
    bands, rows = choose_bands(0.8, 128, false_negative_weight=0.95)  # (16, 8): recall first
    assert bands * rows <= 128
    base = _words(rng, 400)
    near = list(base)
    for i in rng.sample(range(400), 6):  # 1.5 % of words changed: 5-gram Jaccard about 0.86
        near[i] = "changed"
    other = _words(rng, 400)
    sigs = batch_signatures([shingle_hashes(" ".join(w), 5) for w in (base, near, other)], permutations(128))
    bh = band_hashes(sigs, bands, rows)
    assert (bh[0] == bh[1]).any() and not (bh[0] == bh[2]).any()


def test_band_choice_follows_the_s_curve():
    b1, r1 = choose_bands(0.8, 128, 0.5)
    b2, r2 = choose_bands(0.8, 128, 0.95)
    assert candidate_probability(0.8, b2, r2) > candidate_probability(0.8, b1, r1) > 0.3
    assert candidate_probability(0.3, b1, r1) < 0.01


def _members(*ids):
    return [((i,), i) for i in ids]


def _part(hashes, nums, ranks=None):
    columns = [np.array(hashes, dtype=np.uint64), np.array(nums, dtype=np.uint64)]
    if ranks is not None:
        columns.append(np.array(ranks, dtype=np.float64).view(np.uint64))
    return np.stack(columns, axis=1)


def test_bucket_edges_and_components_keep_the_best_ranked():
    # documents sharing a band hash are candidates; the best-ranked (then smallest number) links the others
    parts = [_part([50, 70], [3, 9], [0.0, 0.0]), _part([50, 50, 90], [1, 2, 4], [0.0, 0.0, 0.0])]
    edges = nodes(bucket_edges(parts), with_ranks=False)
    assert sorted(edges) == [(1, 2), (1, 3)]
    ranked = nodes(bucket_edges([_part([5, 5, 5], [1, 2, 3], [0.0, -2.0, -1.0])]), with_ranks=True)
    assert sorted(ranked) == [((-2.0, 2), (-1.0, 3)), ((-2.0, 2), (0.0, 1))]
    comp = connected_components(ranked)
    assert {n[1]: r[1] for n, r in comp.items()} == {1: 2, 2: 2, 3: 2}
    # an edge found in two bands is listed once; excluded documents take no part
    twice = bucket_edges([_part([5, 5, 6, 6, 7, 7], [1, 2, 1, 2, 3, 4], [0] * 6)], np.array([4], np.uint64))
    assert nodes(twice, with_ranks=False) == [(1, 2)]
    # chains A~B~C join one cluster even when A and C are not similar
    assert connected_components([(1, 2), (2, 3)]) == {1: 1, 2: 1, 3: 1}


def test_band_parts_cover_every_band_of_every_document_once():
    rng = np.random.default_rng(1)
    sigs = rng.integers(0, 2**32, size=(7, 16), dtype=np.uint64).astype(np.uint32)
    nums = np.arange(100, 107, dtype=np.uint64)
    parts = dict(band_parts(sigs, nums, None, bands=4, rows=4, ranges=3))
    assert set(parts) <= {0, 1, 2} and sum(len(p) for p in parts.values()) == 7 * 4
    assert sorted(np.concatenate([p[:, 1] for p in parts.values()]).tolist()) == sorted(nums.tolist() * 4)
    # equal bands at different band positions do not collide
    same = np.tile(sigs[:1, :4], (1, 4))
    hashes = np.concatenate([p[:, 0] for _, p in band_parts(same, nums[:1], None, 4, 4, 1)])
    assert len(set(hashes.tolist())) == 4


def test_survivor_policies():
    short = Document(id="a", text="x", source="s", scores={"math_score": 0.2})
    long = Document(id="b", text="x" * 10, source="s", scores={"math_score": 0.9})
    for keep, winner in (("first", "a"), ("longest", "b"), ("highest_math_score", "b")):
        # ties (every document under "first") go to the first in input order
        assert min(enumerate((short, long)), key=lambda x: (survivor_rank(x[1], keep), x[0]))[1].id == winner


def test_most_recent_survivor_from_row_dates_and_arxiv_ids(tmp_path):
    from mathcorpus.recipe import SourceSpec
    from mathcorpus.sources.arxiv import arxiv_month
    from mathcorpus.sources.jsonl import read_jsonl

    rows = [
        {"id": "old", "text": "t", "date": "2021-03-04T10:00:00+02:00"},
        {"id": "new", "text": "t", "date": 1700000000},  # seconds since 1970 (2023-11-14)
        {"id": "fine", "text": "t", "date": "2021-03-04T08:00:00.5"},
        {"id": "none", "text": "t"},
        {"id": "junk", "text": "t", "date": "yesterday"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    docs = list(
        read_jsonl(
            str(tmp_path / "r.jsonl"),
            SourceSpec(kind="jsonl", path="r.jsonl", name="s", id_field="id", date_field="date"),
        )
    )
    assert docs[0].meta["date"] == "2021-03-04T08:00:00.000000" and "date" not in docs[3].meta
    ranked = sorted(enumerate(docs), key=lambda x: (survivor_rank(x[1], "most_recent"), x[0]))
    assert [d.id.split("/")[1] for _, d in ranked] == ["new", "fine", "old", "none", "junk"]  # undated last
    assert arxiv_month("2301.00001v2") == "2023-01-01T00:00:00.000000"
    assert arxiv_month("math0601001") == "2006-01-01T00:00:00.000000"
    assert arxiv_month("hep-th9912001") == "1999-12-01T00:00:00.000000"


def test_line_dedup_removes_boilerplate_lines_only():
    from mathcorpus.pipeline.dedup.lines import document_line_keys, line_key, strip_lines

    header = "# Copyright (c) 2024 The Example Authors. All rights reserved."
    text = f"{header}\n\nimport numpy as np\n}}\n}}\ndef f(x):\n    return np.sqrt(x)\n"
    boiler = {line_key("  # COPYRIGHT (c) 2024 the example authors. all rights reserved. ")}
    out, removed = strip_lines(text, boiler, 20)
    assert removed == 1 and header not in out and "import numpy as np" in out and out.count("}") == 2
    assert line_key(header) in document_line_keys(text, 20) and line_key("}") not in document_line_keys(text, 20)


def test_large_star_small_star_equals_union_find_on_random_graphs():
    from mathcorpus.pipeline.dedup.components import components_in_memory, unconverged

    rng = random.Random(7)
    for trial in range(30):
        nodes = [((rng.random(),), f"d{i}") for i in range(rng.randint(2, 60))]
        edges = {tuple(sorted(rng.sample(nodes, 2))) for _ in range(rng.randint(1, 80))}
        if trial % 5 == 0:  # long chains A~B~C~...: the slowest case for star rounds
            chain = sorted(nodes, key=lambda n: n[1])
            edges = {tuple(sorted(p)) for p in zip(chain, chain[1:])}
        expected = {n: r for n, r in connected_components(edges).items() if n != r}
        node_roots = components_in_memory(edges, rounds=8)
        assert node_roots == expected and unconverged(node_roots.items()) == 0
    # too few rounds on a long chain: clusters may keep extra survivors, and that is counted
    chain = [((i,), f"c{i:03d}") for i in range(200)]
    partial = components_in_memory(list(zip(chain, chain[1:])), rounds=1)
    assert all(root < node for node, root in partial.items())  # never a wrong merge


def test_signatures_in_threads_equal_sequential_ones():
    """minhash.threads: batches hashed side by side while the shared table of powers grows."""
    from concurrent.futures import ThreadPoolExecutor

    from mathcorpus.pipeline.dedup import minhash

    rng = random.Random(5)
    batches = [
        [" ".join(f"w{rng.randint(0, 5000)}" for _ in range(rng.randint(50, 400) * (k + 1))) for _ in range(8)]
        for k in range(24)
    ]
    perms = permutations(64)

    def sigs(texts):
        return flat_signatures(*batch_shingle_hashes(texts, 5), perms)

    expected = [sigs(b) for b in batches]
    for _ in range(3):
        minhash._POWERS = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))  # grow again, concurrently
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(sigs, batches))
        assert all(np.array_equal(a, b) for a, b in zip(got, expected))


def test_verification_reads_the_rows_of_edge_ends_from_the_key_spills(tmp_path):
    """Edges between two units: the first end's unit attaches its rows and writes them to a file for
    the second end's unit, which compares them with its own rows; only agreeing edges are kept."""
    from mathcorpus.pipeline.dedup.near import edge_rows
    from mathcorpus.pipeline.dedup.verify import KEYS, attach_first, compare_second, unit_rows
    from mathcorpus.pipeline.docnums import numbers
    from mathcorpus.pipeline.spill import SpillWriter, spill_path

    out = str(tmp_path)
    rng = np.random.default_rng(3)
    sigs = {u: rng.integers(0, 1000, size=(10, 8)).astype(np.uint32) for u in (0, 1)}
    sigs[1][2] = sigs[0][4]  # unit 1's third document agrees with unit 0's fifth everywhere
    sigs[1][5] = sigs[0][4]
    sigs[1][5][:4] = 7777  # ... and this one on half the positions
    for u in (0, 1):
        nums = numbers(u, 0, 10)
        with SpillWriter(spill_path(out, u, KEYS)) as w:
            w.write({"nums": nums[:5], "near_nums": nums[:5], "sigs": sigs[u][:5]})
            w.write({"nums": nums[5:], "near_nums": nums[5:], "sigs": sigs[u][5:]})
    n0, n1 = numbers(0, 0, 10), numbers(1, 0, 10)
    assert set(unit_rows(out, 1, np.sort(n1[[2, 7]]), exact=False)) == {int(n1[2]), int(n1[7])}
    edges = edge_rows(np.array([n0[4], n0[4], n0[4]]), np.array([n1[2], n1[5], n1[2]]), np.zeros(3), np.zeros(3))
    targets = list(attach_first((0, [edges[:2], edges[2:]]), out, exact=False))
    assert targets == [(1, 0)]
    kept = [e for part in compare_second((1, [0]), out, 0.7, exact=False) for e in part[:, :2].tolist()]
    assert kept == [[int(n0[4]), int(n1[2])]]
    kept = [e for part in compare_second((1, [0]), out, 0.5, exact=False) for e in part[:, :2].tolist()]
    assert sorted(kept) == sorted([[int(n0[4]), int(n1[2])], [int(n0[4]), int(n1[5])]])


def test_bucket_edges_equal_a_plain_reference_on_random_buckets():
    """The vectorized edges equal the plain definition: every bucket's best member (rank, then
    number) linked to each other member, excluded documents left out, each edge once."""
    rng = np.random.default_rng(0)
    for trial in range(100):
        n = int(rng.integers(1, 60))
        nums = rng.choice(1000, size=n, replace=False).astype(np.uint64)
        ranks = rng.integers(0, 3, size=n).astype(np.float64)
        bands = 4
        hashes = rng.integers(0, 6, size=(n, bands)).astype(np.uint64) + np.arange(bands, dtype=np.uint64) * 100
        part = _part(hashes.ravel(), np.repeat(nums, bands), np.repeat(ranks, bands))
        excluded = np.sort(nums[:3]) if trial % 2 else np.empty(0, np.uint64)
        by_bucket = {}
        for i in range(n):
            if nums[i] in set(excluded.tolist()):
                continue
            for h in hashes[i].tolist():
                by_bucket.setdefault(h, set()).add((ranks[i], int(nums[i])))
        expected = set()
        for group in by_bucket.values():
            group = sorted(group)
            expected.update((group[0], other) for other in group[1:])
        got = nodes(bucket_edges([part], excluded), with_ranks=True)
        assert len(got) == len(set(got)) and set(got) == expected


def test_table_writer_streams_row_groups_in_order(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from mathcorpus.pipeline import sinks

    monkeypatch.setattr(sinks, "ROW_GROUP_ROWS", 2)
    writer = sinks.TableWriter(str(tmp_path), "documents", 7)
    docs = [Document(id=f"s/d{i}", text=f"text {i}", source="s") for i in (5, 1, 3, 2, 4)]
    writer.write(docs[:3])
    writer.write(docs[3:])
    assert not (tmp_path / "documents" / "part-00007.parquet").exists()  # complete files only
    assert writer.close() == 5
    meta = pq.ParquetFile(tmp_path / "documents" / "part-00007.parquet").metadata
    assert meta.num_row_groups == 3
    assert [r["id"] for r in pq.read_table(tmp_path / "documents" / "part-00007.parquet").to_pylist()] == [
        d.id for d in docs
    ]
    empty = sinks.TableWriter(str(tmp_path), "rejected", 8)
    assert empty.close() == 0 and pq.read_table(tmp_path / "rejected" / "part-00008.parquet").num_rows == 0


def test_shingle_sets_index_like_signature_rows_and_give_true_jaccard():
    import pickle

    from mathcorpus.pipeline.dedup.minhash import ShingleSets, set_jaccard

    rng = np.random.default_rng(4)
    texts = [" ".join(f"w{x}" for x in rng.integers(0, 60, size=n)) for n in (0, 3, 40, 200, 7)]
    flat, sizes = batch_shingle_hashes(texts, 3)
    sets = ShingleSets.of(flat, sizes)
    expected = [np.unique(shingle_hashes(t, 3)) if t else np.empty(0, np.uint32) for t in texts]
    assert len(sets) == 5 and all(np.array_equal(a, b) for a, b in zip(sets, expected))
    picked = pickle.loads(pickle.dumps(sets))[np.array([3, 1])]
    assert [a.tolist() for a in picked] == [expected[3].tolist(), expected[1].tolist()]
    for _ in range(200):
        a, b = (np.unique(rng.integers(0, 50, size=rng.integers(0, 30))).astype(np.uint32) for _ in range(2))
        union = set(a.tolist()) | set(b.tolist())
        assert set_jaccard(a, b) == (len(set(a.tolist()) & set(b.tolist())) / len(union) if union else 1.0)


def test_exact_verification_keeps_pairs_at_or_above_the_cutoff():
    from mathcorpus.pipeline.dedup.near import edge_rows
    from mathcorpus.pipeline.dedup.verify import shingle_rows, verified

    a, b, c = (
        np.arange(0, 100, dtype=np.uint32),
        np.arange(10, 110, dtype=np.uint32),
        np.arange(30, 130, dtype=np.uint32),
    )  # J(a, b) = 90/110 = 0.818, J(a, c) = 70/130 = 0.538
    edges = edge_rows(np.array([1, 1], np.uint64), np.array([2, 3], np.uint64), np.zeros(2), np.zeros(2))
    kept = [tuple(e) for out in verified(edges, shingle_rows([a, a]), [b, c], 0.8, True) for e in out[:, :2].tolist()]
    assert kept == [(1, 2)]
    kept = [tuple(e) for out in verified(edges, shingle_rows([a, a]), [b, c], 0.5, True) for e in out[:, :2].tolist()]
    assert kept == [(1, 2), (1, 3)]
