"""Token spills: the apply pass writes each work unit's token arrays where it encodes them, and the
shard pass reads back only the record batches a shard needs.

An Arrow IPC file (random access, LZ4 buffers) with one row per kept document - ``doc_id``,
``input_ids`` and, for xval, ``num_values`` - in record batches of exactly ``ROWS_PER_BATCH`` rows
(the last may be shorter), so that document i of a unit is in batch i // ROWS_PER_BATCH.
"""

from __future__ import annotations

import uuid

import numpy as np
import pyarrow as pa
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from mathcorpus import storage
from mathcorpus.pipeline.spill import SPILL_DIR

ROWS_PER_BATCH = 256


def token_spill_path(out_dir: str, unit: int) -> str:
    return storage.join(out_dir, SPILL_DIR, f"tokens-{unit:06d}.arrow")


def _schema(with_values: bool) -> pa.Schema:
    fields = [("doc_id", pa.string()), ("input_ids", pa.list_(pa.int32()))]
    if with_values:
        fields.append(("num_values", pa.list_(pa.float32())))
    return pa.schema(fields)


def _list_column(arrays: list[np.ndarray], dtype) -> pa.ListArray:
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    offsets = np.zeros(len(arrays) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


class TokenSpillWriter:
    def __init__(self, path: str, with_values: bool):
        self.path, self._with_values = path, with_values
        storage.mkdirs_for(path)
        self._tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
        self._raw = FileSystems.create(self._tmp, compression_type=CompressionTypes.UNCOMPRESSED)
        self._schema = _schema(with_values)
        self._writer = pa.ipc.new_file(self._raw, self._schema, options=pa.ipc.IpcWriteOptions(compression="lz4"))
        self._rows: list[tuple] = []
        self.lengths: list[int] = []

    def write(self, doc_id: str, ids: np.ndarray, values: np.ndarray | None) -> None:
        self._rows.append((doc_id, ids, values))
        self.lengths.append(len(ids))
        if len(self._rows) == ROWS_PER_BATCH:
            self._flush()

    def _flush(self) -> None:
        columns = [
            pa.array([r[0] for r in self._rows], pa.string()),
            _list_column([r[1] for r in self._rows], np.int32),
        ]
        if self._with_values:
            columns.append(_list_column([r[2] for r in self._rows], np.float32))
        self._writer.write_batch(pa.record_batch(columns, schema=self._schema))
        self._rows = []

    def close(self) -> np.ndarray:
        """Completes the file; returns the documents' token counts in order."""
        if self._rows:
            self._flush()
        self._writer.close()
        self._raw.close()
        if FileSystems.exists(self.path):
            FileSystems.delete([self.path])
        FileSystems.rename([self._tmp], [self.path])
        return np.array(self.lengths, dtype=np.int64)

    def abort(self) -> None:
        self._raw.close()
        FileSystems.delete([self._tmp])


def read_documents(path: str, first: int, end: int):
    """(doc_id, input_ids, num_values or None) of documents first..end-1 of a unit's token spill."""
    if first >= end:
        return
    with storage.open_read(path) as raw:
        reader = pa.ipc.open_file(pa.PythonFile(raw, mode="r"))
        for b in range(first // ROWS_PER_BATCH, (end - 1) // ROWS_PER_BATCH + 1):
            batch = reader.get_batch(b)
            lo = max(first - b * ROWS_PER_BATCH, 0)
            hi = min(end - b * ROWS_PER_BATCH, batch.num_rows)
            doc_ids = batch.column(0).to_pylist()
            ids, id_offsets = _flat(batch.column(1))
            values, value_offsets = _flat(batch.column(2)) if batch.num_columns > 2 else (None, None)
            for i in range(lo, hi):
                yield (
                    doc_ids[i],
                    ids[id_offsets[i] : id_offsets[i + 1]],
                    values[value_offsets[i] : value_offsets[i + 1]] if values is not None else None,
                )


def _flat(column: pa.ListArray) -> tuple[np.ndarray, np.ndarray]:
    return column.values.to_numpy(zero_copy_only=False), column.offsets.to_numpy()
