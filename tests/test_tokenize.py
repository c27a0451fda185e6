import json

import numpy as np
import pyarrow as pa
import pytest
from conftest import read_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import SentencePieceBPETokenizer

from mathcorpus.pipeline.tokenize import choose_dtype, number_stats
from mathcorpus.pipeline.tokenize.encode import Encoder, TokenizerError, load_tokenizer
from mathcorpus.pipeline.tokenize.numbers import split_numbers
from mathcorpus.pipeline.tokenize.pack import (
    assemble_rows,
    assemble_unpacked,
    plan_offsets,
    plan_unpacked,
    shard_capacity,
    split_for_shards,
    split_unpacked,
)
from mathcorpus.pipeline.tokenize.shards import write_shard
from mathcorpus.pipeline.tokenize.train import train_bpe
from mathcorpus.recipe import TokenizeSpec
from mathcorpus.shards import read_table as read_shard

TEXTS = [
    "The integral of x^2 from 0 to 12345 is 12345^3/3.",
    "def f(x):\n    return x ** 2\n",
    "Eigenvalues λ of a symmetric matrix are real; 3.14159 and 2,718 and 100000.",
] * 30


@pytest.fixture(scope="module")
def bpe(tmp_path_factory):
    """A byte-level BPE trained WITHOUT digit splitting, so it holds multi-digit tokens."""
    path = str(tmp_path_factory.mktemp("tok") / "tokenizer.json")
    train_bpe(iter(TEXTS), path, vocab_size=400, split_digits=False)
    return path


@pytest.fixture(scope="module")
def sentencepiece_bpe(tmp_path_factory):
    """A Llama-style SentencePiece-BPE tokenizer.json (Metaspace pre-tokenizer, <s> and </s>)."""
    tok = SentencePieceBPETokenizer()
    tok.train_from_iterator(TEXTS, vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    path = str(tmp_path_factory.mktemp("sp") / "tokenizer.json")
    tok.save(path)
    return path


# ---- packing ---------------------------------------------------------------------------------------


def pack_all(lengths, seq_len, shard_tokens, final_row="pad", with_values=False):
    docs = {f"d{i:03d}": np.arange(n, dtype=np.int32) + 1000 * i for i, n in enumerate(lengths)}
    offsets, total = plan_offsets((k, len(v)) for k, v in docs.items())
    capacity = shard_capacity(shard_tokens, seq_len)
    shards = {}
    for doc_id, ids in docs.items():
        values = ids.astype(np.float32) / 2 if with_values else None
        for shard, offset, piece, vals in split_for_shards(offsets[doc_id], ids, capacity, values):
            shards.setdefault(shard, []).append((offset, doc_id, piece, vals))
    last = (total - 1) // capacity if total else -1
    out = {i: assemble_rows(p, seq_len, final_row if i == last else "pad", -1) for i, p in shards.items()}
    return docs, capacity, out


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 300), min_size=1, max_size=40),
    seq_len=st.integers(1, 64),
    shard_tokens=st.integers(1, 500),
    final_row=st.sampled_from(["pad", "drop"]),
    with_values=st.booleans(),
)
def test_packing_conserves_tokens_in_order(lengths, seq_len, shard_tokens, final_row, with_values):
    docs, capacity, shards = pack_all(lengths, seq_len, shard_tokens, final_row, with_values)
    expected = np.concatenate([docs[k] for k in sorted(docs)])
    if not shards:
        assert len(expected) == 0
        return
    stream = np.concatenate([shards[i][0].reshape(-1) for i in sorted(shards)])
    padding = sum(s[3] for s in shards.values())
    dropped = sum(s[4] for s in shards.values())
    assert len(stream) == len(expected) + padding - dropped
    assert (stream[: len(expected) - dropped] == expected[: len(expected) - dropped]).all()
    assert padding < seq_len and dropped < seq_len
    for i in sorted(shards)[:-1]:  # every shard but the last holds exactly `capacity` tokens
        assert shards[i][0].size == capacity
    assert all(rows.shape[1] == seq_len for rows, *_ in shards.values())
    if with_values:  # values travel with their tokens
        for rows, values, *_ in shards.values():
            real = rows != -1
            assert (values[real] == rows[real].astype(np.float32) / 2).all()
            assert (values[~real] == 1.0).all()


def test_row_provenance_lists_overlapping_documents():
    _, _, shards = pack_all([5, 3, 10], seq_len=4, shard_tokens=100)
    rows, values, row_doc_ids, padding, _ = shards[0]
    assert rows.shape == (5, 4) and padding == 2 and values is None
    # d000 = tokens 0-4, d001 = 5-7, d002 = 8-17; rows are 4 tokens wide
    assert row_doc_ids == [["d000"], ["d000", "d001"], ["d002"], ["d002"], ["d002"]]


def test_packing_edge_cases():
    # exact multiples of seq_len: no padding, no dropped tail, rows align with documents
    _, _, shards = pack_all([8, 4, 12], seq_len=4, shard_tokens=8)
    assert sorted(shards) == [0, 1, 2] and all(s[3] == 0 and s[4] == 0 for s in shards.values())
    assert [s[2] for s in (shards[0], shards[1], shards[2])] == [
        [["d000"], ["d000"]],
        [["d001"], ["d002"]],
        [["d002"], ["d002"]],
    ]
    # one document longer than many rows and many shards
    docs, capacity, shards = pack_all([1000], seq_len=7, shard_tokens=50)
    assert capacity == 49 and len(shards) == 21
    assert all(s[2] == [["d000"]] * len(s[0]) for s in shards.values())
    assert np.concatenate([shards[i][0].reshape(-1) for i in range(21)])[:1000].tolist() == docs["d000"].tolist()
    # empty documents take no room and appear in no row
    _, _, shards = pack_all([0, 3, 0, 0, 2], seq_len=5, shard_tokens=10)
    assert shards[0][2] == [["d001", "d004"]] and shards[0][3] == 0
    # a final partial row is dropped on request and counted
    _, _, shards = pack_all([9], seq_len=4, shard_tokens=100, final_row="drop")
    assert shards[0][0].shape == (2, 4) and shards[0][4] == 1


def unpack_all(lengths, seq_len, shard_tokens):
    docs = {f"d{i:03d}": np.arange(n, dtype=np.int32) + 1000 * i for i, n in enumerate(lengths)}
    first_row, starts, total_rows = plan_unpacked(((k, len(v)) for k, v in docs.items()), seq_len, shard_tokens)
    shards = {}
    for doc_id, ids in docs.items():
        for shard, row, piece, vals in split_unpacked(first_row[doc_id], ids, seq_len, starts):
            shards.setdefault(shard, []).append((row, doc_id, piece, vals))
    return docs, total_rows, {i: assemble_unpacked(p) for i, p in shards.items()}


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 300), min_size=1, max_size=40),
    seq_len=st.integers(1, 64),
    shard_tokens=st.integers(1, 500),
)
def test_unpacked_rows_hold_one_document_each(lengths, seq_len, shard_tokens):
    docs, total_rows, shards = unpack_all(lengths, seq_len, shard_tokens)
    assert sorted(shards) == list(range(len(shards)))  # shard numbers are dense
    rows = [r for i in sorted(shards) for r in shards[i][0]]
    owners = [d[0] for i in sorted(shards) for d in shards[i][2]]
    assert len(rows) == total_rows
    for doc_id, ids in docs.items():  # each document's rows, in order, are exactly its tokens
        mine = [r for r, o in zip(rows, owners) if o == doc_id]
        assert (np.concatenate(mine) if mine else np.empty(0)).tolist() == ids.tolist()
        assert all(len(r) == seq_len for r in mine[:-1]) and all(0 < len(r) <= seq_len for r in mine)
    for i in sorted(shards):  # a shard is within one row of the target
        tokens = sum(len(r) for r in shards[i][0])
        assert tokens <= shard_tokens or len(shards[i][0]) == 1
        if i < len(shards) - 1:
            assert tokens + len(shards[i + 1][0][0]) > shard_tokens


# ---- shards ----------------------------------------------------------------------------------------


def test_shard_roundtrip_is_byte_stable(tmp_path):
    rows = np.arange(24, dtype=np.int32).reshape(3, 8)
    ids = [["a"], ["a", "b"], ["b"]]
    info = write_shard(str(tmp_path / "x"), 0, rows, ids)
    again = write_shard(str(tmp_path / "y"), 0, rows, ids)
    assert info == again and info["path"] == "shards/shard-00000.arrow" and info["tokens"] == 24
    table = read_shard(str(tmp_path / "x" / info["path"]))
    assert table.column("input_ids").to_pylist() == rows.tolist()
    assert table.schema.field("input_ids").type == pa.list_(pa.int32())
    mapped = pa.ipc.open_stream(pa.memory_map(str(tmp_path / "x" / info["path"]))).read_all()
    assert mapped.num_rows == 3


def test_uint16_and_values_columns(tmp_path):
    rows = [np.array([65535, 0, 7], dtype=np.int32), np.array([5], dtype=np.int32)]
    values = [np.array([1.0, 2.5, 1.0], dtype=np.float32), np.array([1.0], dtype=np.float32)]
    info = write_shard(str(tmp_path), 3, rows, [["a"], ["b"]], values, dtype="uint16")
    table = read_shard(str(tmp_path / info["path"]))
    assert table.schema.field("input_ids").type == pa.list_(pa.uint16())
    assert table.column("input_ids").to_pylist() == [[65535, 0, 7], [5]]
    assert table.column("num_values").to_pylist() == [[1.0, 2.5, 1.0], [1.0]]
    assert info["tokens"] == 4 and info["rows"] == 2
    assert number_stats(rows, values, num_id=0) == {"count": 1, "sum": 2.5, "sum_squares": 6.25, "min": 2.5, "max": 2.5}


def test_dtype_choice():
    spec = TokenizeSpec(tokenizer="t.json")
    assert choose_dtype(spec, 65536) == "uint16" and choose_dtype(spec, 65537) == "int32"
    with pytest.raises(TokenizerError, match="uint16 cannot hold"):
        choose_dtype(TokenizeSpec(tokenizer="t.json", dtype="uint16"), 128_256)


# ---- encoding policy -------------------------------------------------------------------------------


def test_trained_tokenizer_splits_digits_roundtrips_and_is_deterministic(tmp_path):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    train_bpe(iter(TEXTS), a, vocab_size=300)
    train_bpe(iter(TEXTS), b, vocab_size=300)
    assert open(a, "rb").read() == open(b, "rb").read()
    encoder = Encoder(load_tokenizer(a))
    [(ids, values)] = encoder.encode(["x = 12345 λ"])
    assert ids[-1] == encoder.eos_id and ids.dtype == np.int32 and values is None
    pieces = [encoder.tokenizer.id_to_token(int(i)) for i in ids[:-1]]
    assert all(p in pieces for p in "12345")  # every digit its own token
    assert encoder.tokenizer.decode(ids[:-1].tolist()) == "x = 12345 λ"


def test_fast_batch_encoding_gives_the_same_ids_as_encode_batch(bpe, sentencepiece_bpe):
    for path in (bpe, sentencepiece_bpe):
        encoder = Encoder(load_tokenizer(path), add_eos=False)
        slow = [e.ids for e in encoder.tokenizer.encode_batch(TEXTS, add_special_tokens=False)]
        assert [ids.tolist() for ids, _ in encoder.encode(TEXTS)] == slow


def _digit_runs(encoder, ids):
    return [t for t in (encoder.tokenizer.id_to_token(int(i)) for i in ids) if sum(c.isdigit() for c in t) > 1]


@pytest.mark.parametrize("which", ["bpe", "sentencepiece_bpe"])
def test_split_digits_mode_gives_one_token_per_digit(which, request):
    path = request.getfixturevalue(which)
    text = "The integral of 2023 is 12345 or 100000 for 3.14159."
    default = Encoder(load_tokenizer(path), add_eos=False)
    split = Encoder(load_tokenizer(path), numbers="split_digits", add_eos=False)
    [(d_ids, _)], [(s_ids, _)] = default.encode([text]), split.encode([text])
    assert _digit_runs(default, d_ids), "the fixture should hold multi-digit tokens"
    assert not _digit_runs(split, s_ids)
    assert split.tokenizer.decode(s_ids.tolist()).strip() == text


def test_special_tokens_inside_documents_are_plain_text(bpe):
    encoder = Encoder(load_tokenizer(bpe))
    [(ids, _)] = encoder.encode(["before <|endoftext|> after <|pad|>"])
    assert list(ids).count(encoder.eos_id) == 1 and ids[-1] == encoder.eos_id
    assert encoder.pad_id not in ids


def test_bos_and_eos_policy(sentencepiece_bpe, bpe):
    encoder = Encoder(load_tokenizer(sentencepiece_bpe), add_bos=True)
    [(ids, _)] = encoder.encode(["a b"])
    tok = encoder.tokenizer
    assert tok.id_to_token(int(ids[0])) == "<s>" and tok.id_to_token(int(ids[-1])) == "</s>"
    [(ids, _)] = Encoder(load_tokenizer(sentencepiece_bpe), add_eos=False).encode(["a b"])
    assert "</s>" not in [tok.id_to_token(int(i)) for i in ids]
    with pytest.raises(TokenizerError, match="tokenize.bos_token"):
        Encoder(load_tokenizer(bpe), add_bos=True)
    with pytest.raises(TokenizerError, match="tokenize.eos_token"):
        Encoder(load_tokenizer(bpe), eos_token="<nope>")


# ---- numbers: the xval grammar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, values",
    [
        ("x-1 and e^{-1}, f(-2) = 3.14", [1.0, -1.0, -2.0, 3.14]),
        ("1,234,567 and 1,2,3 and 1{,}000 and 1\\,000", [1234567.0, 1.0, 2.0, 3.0, 1000.0, 1000.0]),
        ("x2 log10 x_1 H2O 0x1F 0b101 1_000", []),
        ("v1.2.3 at 192.168.0.1.", []),
        ("6.02e23 1E-9 2x 3rd", [6.02e23, 1e-9, 2.0, 3.0]),
        ("1e400 stays text, -5 does not", [-5.0]),
        ("The year 2023. Total: $-3$ and \u22124", [2023.0, -3.0, -4.0]),
        ("\\frac{1}{2} + 10^{5}", [1.0, 2.0, 10.0, 5.0]),
    ],
)
def test_number_grammar(text, values):
    segments, found = split_numbers(text)
    assert found == pytest.approx(values) and len(segments) == len(found) + 1


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_number_split_never_crashes_and_keeps_the_text_around_numbers(text):
    segments, values = split_numbers(text)
    assert len(segments) == len(values) + 1
    rest = iter(segments)
    pos = 0
    for seg in rest:  # the segments appear in order in the text
        at = text.find(seg, pos)
        assert at >= 0
        pos = at + len(seg)
    assert all(np.isfinite(np.float32(v)) for v in values)


@pytest.mark.parametrize("which", ["bpe", "sentencepiece_bpe"])
def test_xval_encoding(which, request):
    path = request.getfixturevalue(which)
    encoder = Encoder(load_tokenizer(path), numbers="xval")
    assert encoder.num_token_added == (which == "sentencepiece_bpe")  # our BPE ships [NUM]
    text = "Let x = -2.5 and y = 1,000; then xy = -2500. A literal [NUM] is text."
    [(ids, values)] = encoder.encode([text])
    at = ids == encoder.num_id
    assert values[at].tolist() == [-2.5, 1000.0, -2500.0]
    assert (values[~at] == 1.0).all() and values.dtype == np.float32 and len(values) == len(ids)


def test_xval_on_real_math_text(bpe, shared_data):
    """MATH solutions: every number becomes one [NUM] with its value; the text between them decodes
    back exactly (so nothing else is lost or reordered)."""
    rows = read_jsonl(shared_data / "benchmarks" / "math" / "test.jsonl")[:300]
    texts = [r["problem"] + "\n" + r["solution"] for r in rows]
    encoder = Encoder(load_tokenizer(bpe), numbers="xval", add_eos=False)
    total = 0
    for text, (ids, values) in zip(texts, encoder.encode(texts)):
        segments, expected = split_numbers(text)
        at = np.flatnonzero(ids == encoder.num_id)
        assert values[at].tolist() == pytest.approx(expected, rel=1e-6)
        chunks = np.split(ids, at)
        decoded = [encoder.tokenizer.decode(c[c != encoder.num_id].tolist()) for c in chunks]
        assert decoded == segments
        total += len(at)
    assert total > 3000  # MATH is full of numbers


def test_recipe_rejects_unknown_number_mode():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        TokenizeSpec(tokenizer="t.json", numbers="words")
    assert json.loads(TokenizeSpec(tokenizer="t").model_dump_json())["packing"] == "packed"


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 200), min_size=1, max_size=60),
    seq_len=st.integers(1, 32),
    shard_tokens=st.integers(1, 300),
    units=st.integers(1, 5),
    packed=st.booleans(),
)
def test_shards_from_token_spills_hold_every_token_once_in_unit_order(lengths, seq_len, shard_tokens, units, packed):
    """Documents spread over work units' token spills; each shard is read back from the spills it
    overlaps: the shards' stream (packed) or rows (unpacked) are the documents in unit, then read order."""
    import tempfile

    from mathcorpus.pipeline.tokenize import make_plan, shard_pieces
    from mathcorpus.pipeline.tokenize.spill import TokenSpillWriter, token_spill_path

    spec = TokenizeSpec(
        tokenizer="t.json",
        seq_len=seq_len,
        shard_tokens=shard_tokens,
        packing="packed" if packed else "unpacked",
        final_row="drop",
    )
    docs = [(f"d{i:03d}", np.arange(n, dtype=np.int32) + 1000 * i) for i, n in enumerate(lengths)]
    with tempfile.TemporaryDirectory() as out:
        unit_lengths = []
        for u in range(units):
            writer = TokenSpillWriter(token_spill_path(out, u), with_values=False)
            for doc_id, ids in docs[u::units]:
                writer.write(doc_id, ids, None)
            unit_lengths.append((u, writer.close()))
        plan = make_plan(list(reversed(unit_lengths)), spec)
        order = [d for u in range(units) for d in docs[u::units]]
        shards = {k: list(shard_pieces(plan, k, spec, out)) for k in range(plan["shards"])}
    if packed:
        capacity = shard_capacity(shard_tokens, seq_len)
        built = {
            k: assemble_rows(p, seq_len, "pad" if k != plan["shards"] - 1 else "drop", -1) for k, p in shards.items()
        }
        stream = np.concatenate([built[k][0].reshape(-1) for k in sorted(built)]) if built else np.empty(0)
        expected = np.concatenate([ids for _, ids in order])
        assert stream.tolist() == expected[: len(stream)].tolist() and len(expected) - len(stream) < seq_len
        assert all(built[k][0].size == capacity for k in sorted(built)[:-1])
    else:
        rows = [(r, owner[0]) for k in sorted(shards) for r, owner in zip(*assemble_unpacked(shards[k])[::2])]
        assert len(rows) == plan["total"]
        assert [o for _, o in rows] == [d for d, ids in order for _ in range(-(-len(ids) // seq_len))]
        for doc_id, ids in docs:
            assert np.concatenate([r for r, o in rows if o == doc_id] or [np.empty(0)]).tolist() == ids.tolist()
