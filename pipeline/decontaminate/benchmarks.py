"""Benchmark files -> items: (benchmark, split, item id, field, text) and formal theorems.

Formats: JSONL (plain, .gz, .zst), JSON (a list of rows, or an object holding one), Parquet, Arrow
(IPC file or stream), and folders: a Hugging Face ``save_to_disk`` dataset (``Dataset`` or
``DatasetDict``; local folders) or a folder of the files above (each file's stem is its split).
Files are read through Beam FileSystems.

Split: the recipe's ``split`` (which DatasetDict split to read, or a label), else the row's
``split`` field, else the DatasetDict split, else the file name when it is or ends in a split name
(``test.jsonl``, ``math500_test.jsonl`` -> ``test``), else ``all``. Name: the recipe's ``name``, else
the folder's name for a folder, the folder name when the file stem is a split name (``gsm8k/test.jsonl`` -> ``gsm8k``), else
``folder/stem``.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from typing import Iterator

from mathcorpus import storage
from mathcorpus.recipe import BenchmarkSpec, RecipeError

SPLIT_NAMES = {"test", "train", "validation", "valid", "val", "dev", "eval"}
ID_FIELDS = ("id", "idx", "unique_id", "problem_id", "task_id", "name")
DEFAULT_FIELDS = ("problem", "solution", "question", "answer")
DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".parquet", ".arrow")


@dataclass(frozen=True)
class TextItem:
    benchmark: str
    split: str
    item: str
    field: str
    text: str


@dataclass(frozen=True)
class FormalItem:
    benchmark: str
    split: str
    item: str
    name: str
    statement: str


def benchmark_name(spec: BenchmarkSpec) -> str:
    if spec.name:
        return spec.name
    path = spec.path.rstrip("/")
    if not storage.is_remote(path) and os.path.isdir(path):
        return os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path))
    stem = os.path.basename(path).split(".")[0]
    if stem.lower() in SPLIT_NAMES and parent:
        return parent
    return f"{parent}/{stem}" if parent else stem


def split_of_file(path: str) -> str:
    """test.jsonl -> test, math500_test.jsonl -> test, anything else -> all."""
    stem = os.path.basename(path).split(".")[0].lower()
    last = stem.replace("-", "_").rsplit("_", 1)[-1]
    return stem if stem in SPLIT_NAMES else last if last in SPLIT_NAMES else "all"


def _file_rows(path: str) -> Iterator[dict]:
    lower = path.lower()
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        with storage.open_read(path) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        yield from table.to_pylist()
    elif lower.endswith(".arrow"):
        import pyarrow as pa

        data = storage.read_bytes(path)
        try:
            table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
        except pa.ArrowInvalid:
            table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
        yield from table.to_pylist()
    elif lower.endswith(".json"):
        data = json.loads(storage.read_bytes(path))
        if isinstance(data, dict):
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise RecipeError(f"benchmark {path}: a JSON object must hold exactly one list of rows")
            data = lists[0]
        if not isinstance(data, list):
            raise RecipeError(f"benchmark {path}: JSON must be a list of rows")
        yield from data
    else:
        from mathcorpus.sources.jsonl import byte_lines, open_byte_stream

        with open_byte_stream(path) as stream:
            for lineno, (_, raw, _complete) in enumerate(byte_lines(stream, 1 << 30), start=1):
                if not raw.strip():
                    continue
                try:
                    yield json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as err:
                    raise RecipeError(f"benchmark {path}:{lineno}: not JSON ({err})") from None


def _rows_with_split(spec: BenchmarkSpec) -> Iterator[tuple[str, dict]]:
    """(split, row) for every row of the benchmark."""
    path = spec.path.rstrip("/")
    if not storage.is_remote(path) and os.path.isdir(path):
        if any(os.path.exists(os.path.join(path, f)) for f in ("dataset_dict.json", "state.json")):
            import datasets

            loaded = datasets.load_from_disk(path)
            splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [(spec.split or "test", loaded)]
            for split, dataset in splits:
                if spec.split and isinstance(loaded, datasets.DatasetDict) and split != spec.split:
                    continue
                for row in dataset:
                    yield split, row
            return
        files = sorted(f for f in os.listdir(path) if f.lower().endswith(DATA_SUFFIXES))
        if not files:
            raise RecipeError(f"benchmark folder {path} holds no dataset and no {', '.join(DATA_SUFFIXES)} file")
        for f in files:
            for row in _file_rows(os.path.join(path, f)):
                yield split_of_file(f), row
        return
    for row in _file_rows(path):
        yield split_of_file(path), row


def _is_formal(spec: BenchmarkSpec, row: dict) -> bool:
    if spec.formal is not None:
        return spec.formal
    return spec.fields is None and spec.statement_field in row


def _fields(spec: BenchmarkSpec, row: dict) -> list[str]:
    if spec.fields:
        return spec.fields
    if "text" in row:
        return ["text"]
    found = [f for f in DEFAULT_FIELDS if f in row]
    if not found:
        raise RecipeError(
            f"benchmark {spec.path}: rows have no 'text' field; set `fields:` for this benchmark "
            f"in the recipe (row keys: {sorted(row)})"
        )
    return found


def read_benchmark(spec: BenchmarkSpec) -> Iterator[TextItem | FormalItem]:
    name = benchmark_name(spec)
    for number, (split_hint, row) in enumerate(_rows_with_split(spec), start=1):
        if not isinstance(row, dict):
            raise RecipeError(f"benchmark {spec.path}: row {number} is not an object")
        split = spec.split or (str(row["split"]) if row.get("split") else split_hint)
        id_keys = [spec.id_field] if spec.id_field else ID_FIELDS
        item = next((str(row[k]) for k in id_keys if row.get(k) is not None), str(number))
        if _is_formal(spec, row):
            statement = row.get(spec.statement_field)
            if not isinstance(statement, str):
                raise RecipeError(f"benchmark {spec.path}: row {number} has no string {spec.statement_field!r}")
            yield FormalItem(name, split, item, str(row.get(spec.name_field) or item), statement)
            continue
        fields = _fields(spec, row)
        missing = [f for f in fields if f not in row]
        if missing:
            raise RecipeError(
                f"benchmark {spec.path}: row {number} has no field(s) {missing}; set `fields:` "
                f"for this benchmark in the recipe (row keys: {sorted(row)})"
            )
        for field in fields:
            if row[field] is not None:
                yield TextItem(name, split, item, field, str(row[field]))
