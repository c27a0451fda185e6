"""Arrow IPC shards (zstd) written atomically, with their sha256 for the manifest.

The IPC *streaming* format, one record batch per shard: it is what Hugging Face
``datasets.Dataset.from_file`` memory-maps (it refuses the random-access file format), and pyarrow
reads it with ``pa.ipc.open_stream``; ``load_dataset("arrow", ...)`` reads either.

Columns: ``input_ids`` list<uint16|int32> (the type recorded in the manifest), ``num_values``
list<float32> (xval only, parallel to ``input_ids``), ``doc_ids`` list<string> (provenance: the
documents each row holds tokens of).
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
import pyarrow as pa

from mathcorpus import storage
from mathcorpus.shards import token_count

ARROW_TYPES = {"int32": pa.int32(), "uint16": pa.uint16()}


def shard_schema(dtype: str = "int32", with_values: bool = False) -> pa.Schema:
    fields = [("input_ids", pa.list_(ARROW_TYPES[dtype]))]
    if with_values:
        fields.append(("num_values", pa.list_(pa.float32())))
    fields.append(("doc_ids", pa.list_(pa.string())))
    return pa.schema(fields)


SHARD_SCHEMA = shard_schema()


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.arrow"


def _list_array(rows: np.ndarray | Sequence[np.ndarray], arrow_type: pa.DataType) -> pa.ListArray:
    """Rows as one Arrow list column: a 2-D array (packed) or a list of 1-D arrays (unpacked)."""
    if isinstance(rows, np.ndarray) and rows.ndim == 2:
        lengths = np.full(rows.shape[0], rows.shape[1], dtype=np.int64)
        flat = rows.reshape(-1)
    else:
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        flat = np.concatenate(list(rows)) if len(rows) else np.empty(0)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(flat.astype(arrow_type.to_pandas_dtype(), copy=False), type=arrow_type)
    )


def shard_table(rows, row_doc_ids: list[list[str]], values=None, dtype: str = "int32") -> pa.Table:
    schema = shard_schema(dtype, values is not None)
    columns = [_list_array(rows, ARROW_TYPES[dtype])]
    if values is not None:
        columns.append(_list_array(values, pa.float32()))
    columns.append(pa.array(row_doc_ids, type=pa.list_(pa.string())))
    return pa.table(columns, schema=schema)


def shard_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def write_shard(
    out_dir: str, index: int, rows, row_doc_ids: list[list[str]], values=None, dtype: str = "int32"
) -> dict:
    table = shard_table(rows, row_doc_ids, values, dtype)
    data = shard_bytes(table)
    rel = f"shards/{shard_name(index)}"
    storage.write_bytes_atomic(storage.join(out_dir, rel), data)
    return {
        "path": rel,
        "rows": table.num_rows,
        "tokens": token_count(table),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
