"""MinHash LSH near-duplicates from small records: band hashes and document numbers.

The scan pass computes each document's signature in NumPy, writes it to the unit's key spill (for
verification) and one (band hash, number[, rank]) entry per band to its band key files by hash range
(keyfiles.py): 16 bytes per band per document, on disk, never through a shuffle. Inside a range,
documents that share a band hash become edges from the best-ranked one (``survivor_rank``; ties by
number) to the others; the connected components of the edges give each removed document its
cluster's survivor.
"""

from __future__ import annotations

import logging
from datetime import datetime

import apache_beam as beam
import numpy as np

from mathcorpus.document import Document
from mathcorpus.pipeline.dedup.components import DistributedComponents
from mathcorpus.pipeline.dedup.minhash import band_hashes, connected_components
from mathcorpus.pipeline.docnums import member
from mathcorpus.pipeline.keyfiles import PerRange

BANDS = "bands"  # the key kind
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
_EPOCH = datetime(1970, 1, 1)


def survivor_rank(doc: Document, keep: str) -> float:
    """A document's rank in its cluster (smallest survives; ties: the smaller document number)."""
    if keep == "longest":
        return -float(len(doc.text))
    if keep == "highest_math_score":
        return -float(doc.scores.get("math_score", 0.0))
    if keep == "most_recent":
        date = doc.meta.get("date")  # normalized ISO text (sources/jsonl.normalize_date), UTC
        if not date:
            return float("inf")
        return -(datetime.fromisoformat(date) - _EPOCH).total_seconds()
    return 0.0


def has_ranks(keep: str) -> bool:
    return keep not in ("first", "first_id")


def band_parts(sigs: np.ndarray, nums: np.ndarray, ranks: np.ndarray | None, bands: int, rows: int, ranges: int):
    """(hash range, [band hash | number (| rank's float64 bits)] as one uint64 array) for every range
    present in a batch of signatures. The band's index is mixed into its hash, so one array holds
    every band."""
    with np.errstate(over="ignore"):
        hashes = band_hashes(sigs, bands, rows) ^ (np.arange(1, bands + 1, dtype=np.uint64) * _BAND_MIX)
    flat = hashes.ravel()
    owner = np.repeat(np.arange(len(nums)), bands)
    columns = [flat, nums[owner]] + ([ranks.astype(np.float64).view(np.uint64)[owner]] if ranks is not None else [])
    rows = np.stack(columns, axis=1)
    which = flat % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, rows[which == r]


def edge_rows(a, b, ra, rb) -> np.ndarray:
    """Edges as one [k, 4] uint64 array: numbers of both ends and their ranks' float64 bits."""
    return (
        np.stack([a, b, np.asarray(ra, np.float64).view(np.uint64), np.asarray(rb, np.float64).view(np.uint64)], axis=1)
        if len(a)
        else np.empty((0, 4), np.uint64)
    )


def edge_columns(edges: np.ndarray):
    """(a, b, rank of a, rank of b) of an `edge_rows` array."""
    return edges[:, 0], edges[:, 1], edges[:, 2].view(np.float64), edges[:, 3].view(np.float64)


def bucket_edges(parts, excluded: np.ndarray = np.empty(0, np.uint64)) -> np.ndarray:
    """Edges (survivor candidate, other) as `edge_rows` between documents that share a band hash,
    over one range's parts; an edge found in several bands is listed once. Documents in `excluded`
    (sorted numbers) take no part."""
    rows = np.concatenate(list(parts))
    hashes, nums = rows[:, 0], rows[:, 1]
    ranks = rows[:, 2].view(np.float64) if rows.shape[1] > 2 else np.zeros(len(nums))
    keep = ~member(nums, excluded)
    hashes, nums, ranks = hashes[keep], nums[keep], ranks[keep]
    order = np.lexsort((nums, ranks, hashes))
    hashes, nums, ranks = hashes[order], nums[order], ranks[order]
    starts = np.r_[True, hashes[1:] != hashes[:-1]] if len(hashes) else np.empty(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(nums)), 0)) if len(nums) else np.empty(0, int)
    other = ~starts
    a, b = nums[first[other]], nums[other]
    ra, rb = ranks[first[other]], ranks[other]
    distinct = a != b  # a document repeated in one bucket (two bands hashing alike) is no edge
    a, b, ra, rb = a[distinct], b[distinct], ra[distinct], rb[distinct]
    order = np.lexsort((b, a))
    a, b, ra, rb = a[order], b[order], ra[order], rb[order]
    unique = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.empty(0, bool)
    return edge_rows(a[unique], b[unique], ra[unique], rb[unique])


def _edges_of_range(frames: list, excluded):
    if frames:
        edges = bucket_edges(frames, excluded)
        if len(edges):
            yield edges


def nodes(edges, with_ranks: bool) -> list[tuple]:
    """Edge rows -> (node, node) pairs; a node is (rank, number) or the number alone."""
    a, b, ra, rb = edge_columns(edges)
    if with_ranks:
        return list(zip(zip(ra.tolist(), a.tolist()), zip(rb.tolist(), b.tolist())))
    return list(zip(a.tolist(), b.tolist()))


def number_of(node) -> int:
    return node[1] if isinstance(node, tuple) else node


def _survivors(edge_arrays: list, with_ranks: bool):
    """(removed numbers, survivor numbers) from every edge, by union-find on one worker."""
    roots = connected_components(e for edges in edge_arrays for e in nodes(edges, with_ranks))
    pairs = sorted((number_of(n), number_of(r)) for n, r in roots.items() if n != r)
    yield (np.array([p[0] for p in pairs], np.uint64), np.array([p[1] for p in pairs], np.uint64))


def _warn_unconverged(count: int, rounds: int) -> None:
    if count:
        logging.getLogger(__name__).warning(
            "near dedup: %d documents were in clusters that did not become stars in %d rounds; their "
            "clusters keep more than one survivor (raise minhash.component_rounds)",
            count,
            rounds,
        )


class NearCopies(beam.PTransform):
    """Key receipts -> (removed numbers, survivor numbers) array pairs, from the units' band key files
    range by range. `excluded`: a singleton sorted array of documents that take no part (exact
    copies, documents already dropped); `verify`: a PTransform over edge rows (verify.py) or None."""

    def __init__(self, spec, out_dir: str, excluded, verify=None):
        super().__init__()
        self._spec, self._out_dir, self._excluded, self._verify = spec, out_dir, excluded, verify

    def expand(self, receipts):
        spec, ranked = self._spec, has_ranks(self._spec.keep)
        excluded = beam.pvalue.AsSingleton(self._excluded)
        edges = receipts | "BucketEdges" >> PerRange(self._out_dir, BANDS, _edges_of_range, excluded)
        if self._verify is not None:
            edges = edges | "Verify" >> self._verify
        if spec.components != "distributed":
            return edges | "AllEdges" >> beam.combiners.ToList() | "Components" >> beam.FlatMap(_survivors, ranked)
        node_roots = (
            edges
            | "EdgeNodes" >> beam.FlatMap(nodes, ranked)
            | "Components" >> DistributedComponents(spec.component_rounds)
        )
        as_node = node_roots | "AsNode" >> beam.Map(lambda nr: (nr[0], 1))
        as_root = node_roots | "AsRoot" >> beam.Map(lambda nr: (nr[1], 1))
        _ = (
            ({"node": as_node, "root": as_root})
            | "RootsOfRoots" >> beam.CoGroupByKey()
            | "Unconverged" >> beam.Map(lambda kg: len(list(kg[1]["root"])) if list(kg[1]["node"]) else 0)
            | "CountUnconverged" >> beam.CombineGlobally(sum)
            | "Warn" >> beam.Map(_warn_unconverged, spec.component_rounds)
        )
        return node_roots | "AsArrays" >> beam.Map(
            lambda nr: (np.array([number_of(nr[0])], np.uint64), np.array([number_of(nr[1])], np.uint64))
        )
