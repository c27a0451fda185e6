"""Sources turn a recipe's `sources:` entries into a PCollection of Documents.

Each source kind is a module with a pure reader (tested without Beam); ``ReadSource`` is the one
PTransform over them. Its main output is batches (lists) of Documents (see batches.py); its
``rejected`` output holds batches of what could not be read, with a reason, so every input is
accounted for from the first stage on.
"""

from __future__ import annotations

import os
from typing import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from mathcorpus import storage
from mathcorpus.batches import batched, emit_verdicts
from mathcorpus.document import Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources import arxiv, git, hf
from mathcorpus.sources.files import list_files, read_path
from mathcorpus.sources.jsonl import is_compressed, read_jsonl, split_ranges
from mathcorpus.sources.parquet import read_parquet, row_group_units
from mathcorpus.workers import WorkerDoFn

REJECTED = "rejected"
# Read units per Beam element, for kinds whose unit is one document (a file, a paper), so that their
# batches are full ones; jsonl, parquet, hf and git units already hold many documents.
UNITS_PER_ELEMENT = {"files": 256, "arxiv": 32}


def read_units(spec: SourceSpec) -> list:
    """The independent read units of a source (files), listed when the pipeline is built."""
    if spec.kind == "files":
        if not storage.is_remote(spec.path) and not os.path.isdir(spec.path):
            raise RecipeError(f"source {spec.name!r}: folder not found: {spec.path}")
        return list_files(spec)
    if spec.kind == "jsonl":
        paths = storage.expand_patterns([spec.path])
        if not paths:
            raise RecipeError(f"source {spec.name!r}: no file matches {spec.path}")
        # Large uncompressed files are read in byte ranges by many workers; compressed streams
        # cannot be entered in the middle and stay one unit each.
        return [(path, start, end) for path in paths
                for start, end in (split_ranges(storage.size(path), spec.split_bytes)
                                   if not is_compressed(path) else [(0, None)])]
    if spec.kind == "parquet":
        paths = storage.expand_patterns([spec.path])
        if not paths:
            raise RecipeError(f"source {spec.name!r}: no file matches {spec.path}")
        return [unit for path in paths for unit in row_group_units(path)]
    if spec.kind == "arxiv":
        return arxiv.read_units(spec)
    if spec.kind == "git":
        return git.read_units(spec)
    if spec.kind == "hf":
        return hf.read_units(spec)
    raise RecipeError(f"source {spec.name!r}: unknown kind {spec.kind!r}")


def input_bytes(spec: SourceSpec) -> int:
    """About how many bytes a source holds (compressed sizes as they are), from listings only."""
    if spec.kind == "hf":
        return hf.input_bytes(spec)
    if spec.kind == "git":
        return git.input_bytes(spec)
    if spec.kind in ("jsonl", "parquet") or (spec.kind == "arxiv" and not storage.is_remote(spec.path)
                                             and not os.path.isdir(spec.path)):
        return sum(storage.size(p) for p in storage.expand_patterns([spec.path]))
    if storage.is_remote(spec.path):  # one listing of everything under the folder
        prefix = spec.path.rstrip("/") + "/**"
        return sum(m.size_in_bytes for r in FileSystems.match([prefix]) for m in r.metadata_list)
    total = 0
    for path, _ in list_files(spec):
        try:
            total += os.lstat(path).st_size
        except OSError:
            pass
    return total


def read_unit(unit, spec: SourceSpec) -> Iterator[Verdict]:
    if spec.kind == "files":
        path, rel = unit
        yield from read_path(path, rel, spec)
    elif spec.kind == "arxiv":
        yield from arxiv.read_unit(unit, spec)
    elif spec.kind == "git":
        yield from git.read_unit(unit, spec)
    elif spec.kind == "hf":
        yield from hf.read_unit(unit, spec)
    elif spec.kind == "parquet":
        path, group, first_row = unit
        yield from read_parquet(path, group, first_row, spec)
    else:
        path, start, end = unit
        yield from read_jsonl(path, spec, start, end)


class _ReadUnitDoFn(WorkerDoFn):
    def __init__(self, spec: SourceSpec):
        self._spec = spec

    def process(self, units):
        for verdicts in batched(v for unit in units for v in read_unit(unit, self._spec)):
            yield from emit_verdicts(verdicts)


class ReadSource(beam.PTransform):
    """Read one recipe source: outputs ``documents`` (main) and ``rejected``, both as batches."""

    def __init__(self, spec: SourceSpec):
        super().__init__(label=f"Read[{spec.name}]")
        self._spec = spec

    def expand(self, pbegin):
        units = read_units(self._spec)
        per_element = UNITS_PER_ELEMENT.get(self._spec.kind, 1)
        groups = [units[i:i + per_element] for i in range(0, len(units), per_element)]
        return (pbegin
                | "Units" >> beam.Create(groups, reshuffle=False)
                | "Spread" >> beam.Reshuffle()
                | "Read" >> beam.ParDo(_ReadUnitDoFn(self._spec)).with_outputs(REJECTED, main="documents"))
