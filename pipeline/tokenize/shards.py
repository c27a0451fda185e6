"""Arrow IPC shards (zstd) written atomically, with their sha256 for the manifest."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from mathcorpus import storage

SHARD_SCHEMA = pa.schema([
    ("input_ids", pa.list_(pa.int32())),
    ("doc_ids", pa.list_(pa.string())),  # provenance: the documents each row holds tokens of
])


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.arrow"


def shard_table(rows: np.ndarray, row_doc_ids: list[list[str]]) -> pa.Table:
    n_rows, seq_len = rows.shape
    offsets = pa.array(np.arange(0, (n_rows + 1) * seq_len, seq_len, dtype=np.int32))
    input_ids = pa.ListArray.from_arrays(offsets, pa.array(rows.reshape(-1), type=pa.int32()))
    return pa.table([input_ids, pa.array(row_doc_ids, type=pa.list_(pa.string()))], schema=SHARD_SCHEMA)


def shard_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def write_shard(out_dir: str, index: int, rows: np.ndarray, row_doc_ids: list[list[str]]) -> dict:
    data = shard_bytes(shard_table(rows, row_doc_ids))
    rel = f"shards/{shard_name(index)}"
    storage.write_bytes_atomic(storage.join(out_dir, rel), data)
    return {"path": rel, "rows": int(rows.shape[0]), "tokens": int(rows.size), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}

