"""Candidate edges checked against the documents' whole signatures (or, exact, their shingle sets).

Signatures wait in each work unit's key spill. The edges (32 bytes each) are grouped by the unit of
their first end; that unit's worker reads its key spill once, attaches the first end's row to each of
its edges and writes them to a file per unit of the second end (``attached-<from>-<to>``); then each
second-end unit's worker reads its own rows and the files addressed to it and keeps the edges whose
rows agree. Rows cross no shuffle: a worker holds the edge-end rows of one unit at a time.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus import storage
from mathcorpus.pipeline.dedup.minhash import set_jaccard
from mathcorpus.pipeline.docnums import POSITION_BITS, member
from mathcorpus.pipeline.spill import SPILL_DIR, SpillWriter, read_spill, spill_path

KEYS = "keys"  # the per-unit key spill: numbers, ids, signatures (or shingle sets)


def attached_path(out_dir: str, from_unit: int, to_unit: int) -> str:
    return storage.join(out_dir, SPILL_DIR, f"attached-{from_unit:06d}-{to_unit:06d}.zst")


def shingle_rows(sets: list) -> np.ndarray:
    """Shingle sets as an object array, indexable like signature rows."""
    out = np.empty(len(sets), dtype=object)
    out[:] = list(sets)
    return out


def unit_rows(out_dir: str, unit: int, wanted: np.ndarray, exact: bool) -> dict:
    """{number: row} of the unit's documents in `wanted` (sorted), read from its key spill."""
    field, rows = ("sets" if exact else "sigs"), {}
    for frame in read_spill(spill_path(out_dir, unit, KEYS)):
        at = np.flatnonzero(member(frame["near_nums"], wanted))
        for num, row in zip(frame["near_nums"][at].tolist(), frame[field][at]):
            rows[num] = row
    return rows


def _units_of(nums: np.ndarray) -> np.ndarray:
    return nums >> np.uint64(POSITION_BITS)


def _by_first_unit(edges: np.ndarray):
    units = _units_of(edges[:, 0])
    for u in np.unique(units).tolist():
        yield u, edges[units == u]


def attach_first(keyed, out_dir: str, exact: bool):
    """One unit's edges (as first end) -> files of (edges, first-end rows) per second end's unit;
    yields (second unit, first unit) for each file written."""
    unit, parts = keyed
    edges = np.unique(np.concatenate(list(parts)), axis=0)  # an edge found in several band ranges once
    rows = unit_rows(out_dir, unit, np.unique(edges[:, 0]), exact)
    targets = _units_of(edges[:, 1])
    for target in np.unique(targets).tolist():
        mine = edges[targets == target]
        first = [rows[n] for n in mine[:, 0].tolist()]
        with SpillWriter(attached_path(out_dir, unit, target)) as writer:
            writer.write((mine, shingle_rows(first) if exact else np.stack(first)))
        yield target, unit


def compare_second(keyed, out_dir: str, cutoff: float, exact: bool):
    """One unit's incoming attached edges -> the edges whose two rows agree on at least `cutoff`."""
    unit, sources = keyed
    frames = [frame for source in sorted(set(sources)) for frame in read_spill(attached_path(out_dir, source, unit))]
    wanted = np.unique(np.concatenate([edges[:, 1] for edges, _ in frames]))
    rows = unit_rows(out_dir, unit, wanted, exact)
    for edges, first in frames:
        second = [rows[n] for n in edges[:, 1].tolist()]
        yield from verified(edges, first, second, cutoff, exact)


def verified(edges: np.ndarray, first, second: list, cutoff: float, exact: bool):
    """The edges (as one array) whose rows agree: signatures on at least `cutoff` of their positions,
    or (exact) shingle sets with a Jaccard similarity of at least `cutoff`."""
    if exact:
        agree = np.array([set_jaccard(x, y) >= cutoff for x, y in zip(first, second)], dtype=bool)
    else:
        agree = (first == np.stack(second)).mean(axis=1) >= cutoff
    if agree.any():
        yield edges[agree]


class VerifyEdges(beam.PTransform):
    """Edge rows (near.edge_rows) -> the edges that pass verification (see the module docstring)."""

    def __init__(self, out_dir: str, cutoff: float, exact: bool = False):
        super().__init__()
        self._out_dir, self._cutoff, self._exact = out_dir, cutoff, exact

    def expand(self, edges):
        return (
            edges
            | "ByFirstUnit" >> beam.FlatMap(_by_first_unit)
            | "GroupByFirstUnit" >> beam.GroupByKey()
            | "AttachFirst" >> beam.FlatMap(attach_first, self._out_dir, self._exact)
            | "GroupBySecondUnit" >> beam.GroupByKey()
            | "CompareSecond" >> beam.FlatMap(compare_second, self._out_dir, self._cutoff, self._exact)
        )
