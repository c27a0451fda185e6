"""The table writer's pure parts: records to columns, and files whose bytes do not depend on the order
in which a worker saw the records."""

import io
import random

import pyarrow.parquet as pq

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.outputs import DOCUMENT_SCHEMA, REJECTION_SCHEMA, parquet_bytes


def _documents(n: int, rng: random.Random) -> list[Document]:
    return [Document(id=f"s/{rng.randint(0, n // 2)}", text="x" * rng.randint(0, 30), source="s",
                     kind=rng.choice(["code", "text"]), language=rng.choice([None, "python"]),
                     path=rng.choice([None, "a/b.py"]), url=rng.choice([None, "https://e.org/"]),
                     meta=rng.choice([{}, {"b": [1, 2], "a": 1}]),
                     scores=rng.choice([{}, {"math_score": 0.5}, {"z": 1.0, "math_score": 0.25}]))
            for _ in range(n)]


def _rejections(n: int, rng: random.Random) -> list[Rejection]:
    # ids tie often (a tar member name given twice): the whole row breaks the tie
    return [Rejection(id=f"s/{rng.randint(0, n // 10)}", source="s", stage="dedup", reason=rng.choice(["a", "b"]),
                      text=rng.choice([None, "t"]), detail=rng.choice([None, "d1", "d2"]),
                      duplicate_of=rng.choice([None, "s/0"]))
            for _ in range(n)]


def test_columns_are_the_rows_field_by_field():
    rng = random.Random(0)
    for records in (_documents(200, rng), _rejections(200, rng)):
        columns = type(records[0]).to_columns(records)
        rows = [r.to_row() for r in records]
        assert set(columns) == set(rows[0])
        for name, values in columns.items():
            assert values == [row[name] for row in rows], name


def test_table_file_is_sorted_and_the_same_bytes_in_any_input_order():
    rng = random.Random(1)
    for records, schema in ((_documents(20_000, rng), DOCUMENT_SCHEMA), (_rejections(20_000, rng), REJECTION_SCHEMA)):
        data = parquet_bytes(records, schema)
        shuffled = list(records)
        rng.shuffle(shuffled)
        assert parquet_bytes(shuffled, schema) == data  # several row groups (8,192 rows each)
        table = pq.read_table(io.BytesIO(data))
        assert table.schema.names == schema.names and table.num_rows == len(records)
        ids = table.column("id").to_pylist()
        assert ids == sorted(ids)
        assert sorted(map(str, table.to_pylist())) == sorted(str(r.to_row()) for r in records)
    assert pq.read_table(io.BytesIO(parquet_bytes([], DOCUMENT_SCHEMA))).num_rows == 0
