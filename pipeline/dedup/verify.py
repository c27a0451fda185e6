"""Candidate edges checked against the documents' whole signatures (or, exact, their shingle sets).

Only the documents at an edge's end are read back: their numbers (a sorted array, 8 bytes each) name
the work units whose key spills hold their signatures, and only those rows travel, in two joins by
number range (the first end's row attached, then compared with the second's).
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.pipeline.dedup.minhash import ShingleSets, set_jaccard
from mathcorpus.pipeline.docnums import member, unit_of
from mathcorpus.pipeline.spill import read_spill, spill_path

KEYS = "keys"


def _range_of(nums: np.ndarray, ranges: int) -> np.ndarray:
    return ((nums * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) % np.uint64(ranges)


def _endpoints(edges) -> np.ndarray:
    return np.unique(edges[:, :2])


def _union(arrays) -> np.ndarray:
    arrays = list(arrays)
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)


def endpoint_rows(unit: int, out_dir: str, endpoints: np.ndarray, exact: bool, ranges: int):
    """(number range, (numbers, rows)) of the unit's documents that end an edge, from its key spill."""
    field = "sets" if exact else "sigs"
    for frame in read_spill(spill_path(out_dir, unit, KEYS)):
        at = np.flatnonzero(member(frame["near_nums"], endpoints))
        if not len(at):
            continue
        nums, rows = frame["near_nums"][at], frame[field][at]
        which = _range_of(nums, ranges)
        for r in np.unique(which).tolist():
            sel = np.flatnonzero(which == r)
            yield r, (nums[sel], rows[sel])


def _by_first(edges, ranges: int):
    which = _range_of(edges[:, 0], ranges)
    for r in np.unique(which).tolist():
        yield r, edges[which == r]


def _rows_by_number(parts) -> dict:
    return {int(n): row for nums, rows in parts for n, row in zip(nums.tolist(), rows)}


def _attach_first(joined, ranges: int, exact: bool):
    _, grouped = joined
    row_of = _rows_by_number(grouped["rows"])
    parts = list(grouped["edges"])
    if not parts:
        return
    edges = np.concatenate(parts)  # the group's edges together: one element per second range
    which = _range_of(edges[:, 1], ranges)
    for r in np.unique(which).tolist():
        at = edges[which == r]
        first = [row_of[int(n)] for n in at[:, 0].tolist()]
        # one array per element: a pickle each, not one per row
        yield r, (at, shingle_rows(first) if exact else np.stack(first))


def _verified(joined, cutoff: float, exact: bool):
    _, grouped = joined
    row_of = _rows_by_number(grouped["rows"])
    for edges, first in grouped["edges"]:
        second = [row_of[int(n)] for n in edges[:, 1].tolist()]
        if exact:
            agree = np.array([set_jaccard(x, y) >= cutoff for x, y in zip(first, second)], dtype=bool)
        else:
            agree = (first == np.stack(second)).mean(axis=1) >= cutoff
        if agree.any():
            yield edges[agree]


class VerifyEdges(beam.PTransform):
    """Edge rows (near.edge_rows) -> the edges whose two signatures agree on at least `cutoff` of their positions
    (or, `exact`, whose shingle sets have a Jaccard similarity of at least `cutoff`)."""

    def __init__(self, out_dir: str, cutoff: float, ranges: int, exact: bool = False):
        super().__init__()
        self._out_dir, self._cutoff, self._ranges, self._exact = out_dir, cutoff, ranges, exact

    def expand(self, edges):
        endpoints = edges | "Endpoints" >> beam.Map(_endpoints) | "AllEndpoints" >> beam.CombineGlobally(_union)
        rows = (
            endpoints
            | "Units" >> beam.FlatMap(lambda e: sorted({unit_of(n) for n in e.tolist()}))
            | "SpreadUnits" >> beam.Reshuffle()
            | "EndpointRows"
            >> beam.FlatMap(endpoint_rows, self._out_dir, beam.pvalue.AsSingleton(endpoints), self._exact, self._ranges)
        )
        by_first = edges | "ByFirst" >> beam.FlatMap(_by_first, self._ranges)
        with_first = (
            ({"edges": by_first, "rows": rows})
            | "JoinFirst" >> beam.CoGroupByKey()
            | "AttachFirst" >> beam.FlatMap(_attach_first, self._ranges, self._exact)
        )
        return (
            ({"edges": with_first, "rows": rows})
            | "JoinSecond" >> beam.CoGroupByKey()
            | "Compare" >> beam.FlatMap(_verified, self._cutoff, self._exact)
        )


def shingle_rows(sets: list) -> np.ndarray:
    """Shingle sets as an object array, indexable like signature rows."""
    out = np.empty(len(sets), dtype=object)
    out[:] = list(sets)
    return out


__all__ = ["VerifyEdges", "endpoint_rows", "shingle_rows", "ShingleSets"]
