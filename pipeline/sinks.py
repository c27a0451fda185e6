"""Streaming writers of the run's outputs: one Parquet file per work unit for each table.

A work unit's worker writes its own ``documents/part-NNNNN.parquet`` and ``rejected/part-NNNNN.parquet``
(NNNNN: the unit's index, fixed by the recipe and the input listing) in the order it reads the
documents, a row group at a time, so a file never exists whole in memory and its bytes do not depend
on workers or scheduling. Files are written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from mathcorpus import storage
from mathcorpus.document import Document, Rejection

DOCUMENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("language", pa.string()),
        ("path", pa.string()),
        ("url", pa.string()),
        ("repo", pa.string()),
        ("license", pa.string()),
        ("math_score", pa.float64()),
        ("scores", pa.string()),
        ("meta", pa.string()),
    ]
)
REJECTION_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("text", pa.string()),
        ("path", pa.string()),
        ("detail", pa.string()),
        ("duplicate_of", pa.string()),
        ("language", pa.string()),
    ]
)
TABLES = {"documents": (Document, DOCUMENT_SCHEMA), "rejected": (Rejection, REJECTION_SCHEMA)}
ROW_GROUP_ROWS = 8192  # rows converted to Arrow and written at a time (one Parquet row group each)
ROW_GROUP_CHARS = 64 << 20  # ... or fewer, when their texts reach this size


def table_path(out_dir: str, table: str, unit: int) -> str:
    return storage.join(out_dir, table, f"part-{unit:05d}.parquet")


class TableWriter:
    """Records appended in order, written a row group at a time; ``close()`` returns the row count.
    The file is written even when no row is (an empty table file with the schema), so that the set
    of files depends on the input alone."""

    def __init__(self, out_dir: str, table: str, unit: int):
        self._type, self._schema = TABLES[table]
        self.path = table_path(out_dir, table, unit)
        storage.mkdirs_for(self.path)
        self._tmp = f"{self.path}.tmp-{uuid.uuid4().hex[:12]}"
        self._raw = FileSystems.create(self._tmp, compression_type=CompressionTypes.UNCOMPRESSED)
        self._writer = pq.ParquetWriter(self._raw, self._schema, compression="zstd")
        self._pending: list = []
        self._chars = 0
        self._groups = 0
        self.rows = 0

    def write(self, records) -> None:
        for record in records:
            self._pending.append(record)
            self._chars += len(record.text or "")
            if len(self._pending) >= ROW_GROUP_ROWS or self._chars >= ROW_GROUP_CHARS:
                self._flush()

    def _flush(self) -> None:
        columns = self._type.to_columns(self._pending)
        self._writer.write_table(pa.table({n: columns[n] for n in self._schema.names}, schema=self._schema))
        self.rows += len(self._pending)
        self._groups += 1
        self._pending, self._chars = [], 0

    def close(self) -> int:
        if self._pending or not self._groups:
            self._flush()
        self._writer.close()
        self._raw.close()
        if FileSystems.exists(self.path):
            FileSystems.delete([self.path])
        FileSystems.rename([self._tmp], [self.path])
        return self.rows

    def abort(self) -> None:
        self._writer.close()
        self._raw.close()
        FileSystems.delete([self._tmp])
