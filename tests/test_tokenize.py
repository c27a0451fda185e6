import numpy as np
import pyarrow as pa
from hypothesis import given, settings, strategies as st

from mathcorpus.pipeline.tokenize.encode import encode_documents, eos_id, load_tokenizer
from mathcorpus.pipeline.tokenize.pack import (assemble_rows, plan_offsets, shard_capacity,
                                               split_for_shards)
from mathcorpus.pipeline.tokenize.shards import write_shard
from mathcorpus.shards import read_table as read_shard
from mathcorpus.pipeline.tokenize.train import train_bpe

TEXTS = ["The integral of x^2 from 0 to 12345 is 12345^3/3.", "def f(x):\n    return x ** 2\n",
         "Eigenvalues λ of a symmetric matrix are real."] * 30


def pack_all(lengths, seq_len, shard_tokens, final_row="pad"):
    docs = {f"d{i:03d}": np.arange(n, dtype=np.int32) + 1000 * i for i, n in enumerate(lengths)}
    offsets, total = plan_offsets((k, len(v)) for k, v in docs.items())
    capacity = shard_capacity(shard_tokens, seq_len)
    shards = {}
    for doc_id, ids in docs.items():
        for shard, offset, piece in split_for_shards(offsets[doc_id], ids, capacity):
            shards.setdefault(shard, []).append((offset, doc_id, piece))
    last = (total - 1) // capacity if total else -1
    out = {i: assemble_rows(p, seq_len, final_row if i == last else "pad", -1) for i, p in shards.items()}
    return docs, capacity, out


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 300), min_size=1, max_size=40), seq_len=st.integers(1, 64),
       shard_tokens=st.integers(1, 500), final_row=st.sampled_from(["pad", "drop"]))
def test_packing_conserves_tokens_in_order(lengths, seq_len, shard_tokens, final_row):
    docs, capacity, shards = pack_all(lengths, seq_len, shard_tokens, final_row)
    stream = np.concatenate([shards[i][0].reshape(-1) for i in sorted(shards)])
    expected = np.concatenate([docs[k] for k in sorted(docs)])
    padding = sum(s[2] for s in shards.values())
    dropped = sum(s[3] for s in shards.values())
    assert len(stream) == len(expected) + padding - dropped
    assert (stream[:len(expected) - dropped] == expected[:len(expected) - dropped]).all()
    assert padding < seq_len and dropped < seq_len
    for i in sorted(shards)[:-1]:  # every shard but the last holds exactly `capacity` tokens
        assert shards[i][0].size == capacity
    assert all(rows.shape[1] == seq_len for rows, *_ in shards.values())


def test_row_provenance_lists_overlapping_documents():
    _, _, shards = pack_all([5, 3, 10], seq_len=4, shard_tokens=100)
    rows, row_doc_ids, padding, _ = shards[0]
    assert rows.shape == (5, 4) and padding == 2
    # d000 = tokens 0-4, d001 = 5-7, d002 = 8-17; rows are 4 tokens wide
    assert row_doc_ids == [["d000"], ["d000", "d001"], ["d002"], ["d002"], ["d002"]]


def test_shard_roundtrip_is_byte_stable(tmp_path):
    rows = np.arange(24, dtype=np.int32).reshape(3, 8)
    ids = [["a"], ["a", "b"], ["b"]]
    info = write_shard(str(tmp_path / "x"), 0, rows, ids)
    again = write_shard(str(tmp_path / "y"), 0, rows, ids)
    assert info == again and info["path"] == "shards/shard-00000.arrow"
    table = read_shard(str(tmp_path / "x" / info["path"]))
    assert table.column("input_ids").to_pylist() == rows.tolist()
    assert table.schema.field("input_ids").type == pa.list_(pa.int32())
    mapped = pa.ipc.open_file(pa.memory_map(str(tmp_path / "x" / info["path"]))).read_all()
    assert mapped.num_rows == 3


def test_trained_tokenizer_splits_digits_roundtrips_and_is_deterministic(tmp_path):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    train_bpe(iter(TEXTS), a, vocab_size=300)
    train_bpe(iter(TEXTS), b, vocab_size=300)
    assert open(a, "rb").read() == open(b, "rb").read()
    tok = load_tokenizer(a)
    eos = eos_id(tok)
    [ids] = encode_documents(tok, ["x = 12345 λ"], eos)
    assert ids[-1] == eos and ids.dtype == np.int32
    pieces = [tok.id_to_token(int(i)) for i in ids[:-1]]
    assert all(p in pieces for p in "12345")  # every digit its own token
    assert tok.decode(ids[:-1].tolist()) == "x = 12345 λ"
