"""The table writer: records to columns, and files written a row group at a time whose bytes depend on
the records alone."""

import io
import random

import pyarrow.parquet as pq

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.sinks import DOCUMENT_SCHEMA, REJECTION_SCHEMA, TableWriter


def _documents(n: int, rng: random.Random) -> list[Document]:
    return [
        Document(
            id=f"s/{rng.randint(0, n // 2)}",
            text="x" * rng.randint(0, 30),
            source="s",
            kind=rng.choice(["code", "text"]),
            language=rng.choice([None, "python"]),
            path=rng.choice([None, "a/b.py"]),
            url=rng.choice([None, "https://e.org/"]),
            meta=rng.choice([{}, {"b": [1, 2], "a": 1}]),
            scores=rng.choice([{}, {"math_score": 0.5}, {"z": 1.0, "math_score": 0.25}]),
        )
        for _ in range(n)
    ]


def _rejections(n: int, rng: random.Random) -> list[Rejection]:
    # ids tie often (a tar member name given twice): the whole row breaks the tie
    return [
        Rejection(
            id=f"s/{rng.randint(0, n // 10)}",
            source="s",
            stage="dedup",
            reason=rng.choice(["a", "b"]),
            text=rng.choice([None, "t"]),
            detail=rng.choice([None, "d1", "d2"]),
            duplicate_of=rng.choice([None, "s/0"]),
        )
        for _ in range(n)
    ]


def test_columns_are_the_rows_field_by_field():
    rng = random.Random(0)
    for records in (_documents(200, rng), _rejections(200, rng)):
        columns = type(records[0]).to_columns(records)
        rows = [r.to_row() for r in records]
        assert set(columns) == set(rows[0])
        for name, values in columns.items():
            assert values == [row[name] for row in rows], name


def test_table_file_holds_the_records_in_order_and_the_same_bytes_every_time(tmp_path):
    rng = random.Random(1)
    for table, records, schema in (
        ("documents", _documents(20_000, rng), DOCUMENT_SCHEMA),
        ("rejected", _rejections(20_000, rng), REJECTION_SCHEMA),
    ):
        written = []
        for attempt in range(2):
            writer = TableWriter(str(tmp_path / str(attempt)), table, 0)
            for lo in range(0, len(records), 777):  # batches of any size: row groups of 8,192
                writer.write(records[lo : lo + 777])
            assert writer.close() == len(records)
            written.append((tmp_path / str(attempt) / table / "part-00000.parquet").read_bytes())
        assert written[0] == written[1]
        read = pq.read_table(io.BytesIO(written[0]))
        assert read.schema.names == schema.names and read.to_pylist() == [r.to_row() for r in records]
