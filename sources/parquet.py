"""Parquet files (The Stack, OpenWebMath and most Hugging Face datasets ship as Parquet): one Document
per row, read one row group at a time so that workers share a large file.

Rows use the same fields and aliases as JSONL rows (`text_field`, `id_field`, Stack-style `lang`,
`path`, `repo`, `license`, `url`). Rows without an id field are named ``<file>:<row number>`` (1-based
across the whole file). A file or row group that cannot be read is one ``corrupt_file`` rejection;
the other row groups still count.
"""

from __future__ import annotations

import os
from typing import Iterator

import pyarrow.parquet as pq

from mathcorpus import storage
from mathcorpus.document import Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources.jsonl import row_verdict


def _open(path: str) -> pq.ParquetFile:
    return pq.ParquetFile(storage.open_read(path) if storage.is_remote(path) else path)


def row_group_units(path: str) -> list[tuple[str, int, int]]:
    """(path, row group, number of the group's first row) for every row group; (path, -1, 0) when
    the footer cannot be read, so the reader reports the file."""
    try:
        meta = _open(path).metadata
    except Exception:  # noqa: BLE001 - reported as corrupt_file by read_parquet
        return [(path, -1, 0)]
    units, first = [], 1
    for group in range(meta.num_row_groups):
        units.append((path, group, first))
        first += meta.row_group(group).num_rows
    return units or [(path, -1, 0)]


def read_parquet(path: str, group: int, first_row: int, spec: SourceSpec) -> Iterator[Verdict]:
    name = os.path.basename(path)
    try:
        if group < 0:
            pf = _open(path)  # raises for a corrupt footer; an empty file has no rows
            if pf.metadata.num_row_groups == 0:
                return
        table = _open(path).read_row_group(group)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several types for broken files
        yield Rejection(
            id=f"{spec.name}/{name}#{max(group, 0)}",
            source=spec.name,
            stage="sources",
            reason="corrupt_file",
            path=path,
            detail=f"row group {group}: {type(err).__name__}: {err}"[:2000],
        )
        return
    for i, row in enumerate(table.to_pylist()):
        number = first_row + i
        yield row_verdict(row, f"{spec.name}/{name}:{number}", f"row {number}", path, spec, {"row": number})


# -- the source interface (sources/__init__.py) ----------------------------------------------------


def read_units(spec: SourceSpec) -> list[tuple[str, int, int]]:
    paths = storage.expand_patterns([spec.path])
    if not paths:
        raise RecipeError(f"source {spec.name!r}: no file matches {spec.path}")
    return [unit for path in paths for unit in row_group_units(path)]


def read_unit(unit: tuple, spec: SourceSpec) -> Iterator[Verdict]:
    path, group, first_row = unit
    yield from read_parquet(path, group, first_row, spec)


def input_bytes(spec: SourceSpec) -> int:
    return sum(storage.size(p) for p in storage.expand_patterns([spec.path]))
