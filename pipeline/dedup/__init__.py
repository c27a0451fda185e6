"""Dedup stage: exact (normalized hash) then MinHash LSH near-duplicates.

Exact: the surviving copy is the smallest document id of each group. Near: the survivor of each
cluster follows `keep` (smallest id, longest, highest math_score; ties by id), so the result does not
depend on worker order. Every removed document is a Rejection whose `duplicate_of` names the survivor.

Bounded memory: exact dedup shuffles (hash, id) pairs only; the ids it removes are a side input.
Near-dup clustering ships only ids: signatures are computed per batch in NumPy, band hashes are grouped by (band, hash range) as
arrays, equal hashes inside a group become edges, and the connected components of the edge list are
computed on one worker, so that step holds O(number of documents that have a near-duplicate) ids
in memory, never texts.
"""

from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.dedup.exact import exact_key
from mathcorpus.pipeline.dedup.lines import LineDedup
from mathcorpus.pipeline.dedup.components import DistributedComponents
from mathcorpus.pipeline.dedup.minhash import (band_hashes, batch_shingle_hashes, choose_bands, connected_components,
                                               flat_signatures, permutations)
from mathcorpus.recipe import DedupSpec, MinHashSpec

REJECTED = "rejected"
SIGNATURES = "signatures"
STAGE = "dedup"


def _duplicates_of_keeper(group) -> list[tuple[str, str]]:
    """(removed id, keeper id) for every document but the smallest id of one exact-key group."""
    _, ids = group
    ids = sorted(ids)
    return [(other, ids[0]) for other in ids[1:]]


def _drop_exact_duplicates(doc: Document, keeper_of: dict[str, str]):
    keeper = keeper_of.get(doc.id)
    if keeper is None:
        yield doc
    else:
        yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
            doc, STAGE, "exact_duplicate", f"same normalized text as {keeper}", duplicate_of=keeper))


class ExactDedup(beam.PTransform):
    """Only (hash, id) pairs are shuffled, never texts; the side input holds the removed ids."""

    def expand(self, docs):
        keeper_of = (docs
                     | "KeyByHash" >> beam.Map(lambda d: (exact_key(d.text), d.id))
                     | "GroupByHash" >> beam.GroupByKey()
                     | "Duplicates" >> beam.FlatMap(_duplicates_of_keeper))
        return docs | "DropExactDuplicates" >> beam.FlatMap(
            _drop_exact_duplicates, keeper_of=beam.pvalue.AsDict(keeper_of)).with_outputs(REJECTED, main="documents")


def survivor_rank(doc: Document, keep: str) -> tuple:
    """Sort key of a document in its cluster: the smallest key survives."""
    if keep == "longest":
        return (-len(doc.text), doc.id)
    if keep == "highest_math_score":
        return (-float(doc.scores.get("math_score", 0.0)), doc.id)
    if keep == "most_recent":
        date = doc.meta.get("date")  # normalized ISO text: later sorts greater
        return (0, _inverted(date), doc.id) if date else (1, "", doc.id)
    return (doc.id,)


def _inverted(text: str) -> str:
    """A key that sorts ISO dates latest first (their characters are ASCII)."""
    return "".join(chr(0x7F - ord(c)) for c in text)


def _drop_near_duplicates(doc: Document, survivor_of: dict[str, str]):
    root = survivor_of.get(doc.id, doc.id)
    if root == doc.id:
        yield doc
    else:
        yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
            doc, STAGE, "near_duplicate", f"MinHash LSH candidate of {root}", duplicate_of=root))


class _BandBucketsDoFn(beam.DoFn):
    """A batch of documents -> one element per (band, hash range) present: the band hashes and the
    members' (rank, id), so Beam pays per batch and band, not per document and band."""

    def __init__(self, spec: MinHashSpec, bands: int, rows: int):
        self._spec, self._bands, self._rows = spec, bands, rows

    def setup(self):
        self._perms = permutations(self._spec.num_perm)

    def process(self, batch: list[Document]):
        spec = self._spec
        sigs = flat_signatures(*batch_shingle_hashes([d.text for d in batch], spec.ngram, spec.unit), self._perms)
        hashes = band_hashes(sigs, self._bands, self._rows)  # [docs, bands]
        members = [(survivor_rank(d, spec.keep), d.id) for d in batch]
        if spec.verify_cutoff() is not None:
            for d, sig in zip(batch, sigs):
                yield beam.pvalue.TaggedOutput(SIGNATURES, (d.id, sig))
        ranges = (hashes % np.uint64(spec.hash_ranges)).astype(np.int64)
        for band in range(self._bands):
            for r in np.unique(ranges[:, band]).tolist():
                at = np.flatnonzero(ranges[:, band] == r)
                yield (band, r), (hashes[at, band], [members[i] for i in at])


def bucket_edges_from_arrays(keyed) -> list[tuple]:
    """Edges (survivor candidate, other) between documents sharing a band hash in one group."""
    _, parts = keyed
    parts = list(parts)
    hashes = np.concatenate([h for h, _ in parts])
    members = [m for _, ms in parts for m in ms]
    order = np.argsort(hashes, kind="stable")
    hashes = hashes[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    ends = np.r_[starts[1:], len(hashes)]
    edges = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        if b - a > 1:
            group = sorted({members[i] for i in order[a:b].tolist()})
            edges += [(group[0], other) for other in group[1:]]
    return edges


def _attach_first_signature(joined):
    """Edges keyed by their first document, with that document's signature -> keyed by the second."""
    _, grouped = joined
    sigs = list(grouped["sig"])
    for edge in grouped["edge"]:
        yield edge[1][1], (edge, sigs[0])


def _verified(joined, cutoff: float):
    """Edges whose two signatures agree on at least `cutoff` of their positions."""
    _, grouped = joined
    sigs = list(grouped["sig"])
    for edge, first_sig in grouped["edge"]:
        if float(np.mean(first_sig == sigs[0])) >= cutoff:
            yield edge


class VerifyEdges(beam.PTransform):
    """Candidate edges checked against the documents' whole signatures (two joins by id)."""

    def __init__(self, cutoff: float):
        super().__init__()
        self._cutoff = cutoff

    def expand(self, inputs):
        edges, sigs = inputs
        by_first = edges | "KeyByFirst" >> beam.Map(lambda e: (e[0][1], e))
        with_first = (({"edge": by_first, "sig": sigs}) | "JoinFirst" >> beam.CoGroupByKey()
                      | "AttachFirst" >> beam.FlatMap(_attach_first_signature))
        return (({"edge": with_first, "sig": sigs}) | "JoinSecond" >> beam.CoGroupByKey()
                | "Verify" >> beam.FlatMap(_verified, self._cutoff))


def _survivor_ids(components: dict) -> dict[str, str]:
    return {node[1]: root[1] for node, root in components.items() if node != root}


def _drop_or_keep(joined):
    """(id, {"doc": [doc], "root": [root id]}) -> the document, or its rejection in favour of root."""
    _, grouped = joined
    roots = list(grouped["root"])
    for doc in grouped["doc"]:
        if roots:
            yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
                doc, STAGE, "near_duplicate", f"MinHash LSH candidate of {roots[0]}", duplicate_of=roots[0]))
        else:
            yield doc


def _warn_unconverged(count: int, rounds: int) -> None:
    if count:
        logging.getLogger(__name__).warning(
            "near dedup: %d documents were in clusters that did not become stars in %d rounds; their "
            "clusters keep more than one survivor (raise minhash.component_rounds)", count, rounds)


class NearDedup(beam.PTransform):
    """MinHash LSH near-duplicates. Clustering: union-find over the candidate edges on one worker
    (``components: single_worker``; memory about 200 bytes per document that has a near duplicate,
    never texts), or large-star/small-star rounds over the edges (``components: distributed``;
    components.py), whose survivors are joined to the documents by id."""

    def __init__(self, spec: MinHashSpec):
        super().__init__()
        self._spec = spec
        if spec.bands:
            self.bands, self.rows = spec.bands, spec.num_perm // spec.bands
        else:
            self.bands, self.rows = choose_bands(spec.threshold, spec.num_perm, spec.false_negative_weight)

    def expand(self, docs):
        spec = self._spec
        buckets = (docs
                   | "Batch" >> beam.BatchElements(min_batch_size=spec.batch_size, max_batch_size=spec.batch_size)
                   | "BandBuckets" >> beam.ParDo(_BandBucketsDoFn(spec, self.bands, self.rows)
                                                 ).with_outputs(SIGNATURES, main="buckets"))
        edges = (buckets.buckets
                 | "GroupByBandRange" >> beam.GroupByKey()
                 | "BucketEdges" >> beam.FlatMap(bucket_edges_from_arrays)
                 | "UniqueEdges" >> beam.Distinct())
        if spec.verify_cutoff() is not None:
            edges = (edges, buckets[SIGNATURES]) | "VerifyEdges" >> VerifyEdges(spec.verify_cutoff())
        if spec.components == "distributed":
            node_roots = edges | "Components" >> DistributedComponents(spec.component_rounds)
            rounds = spec.component_rounds
            as_node = node_roots | "AsNode" >> beam.Map(lambda nr: (nr[0], 1))
            as_root = node_roots | "AsRoot" >> beam.Map(lambda nr: (nr[1], 1))
            _ = (({"node": as_node, "root": as_root}) | "RootsOfRoots" >> beam.CoGroupByKey()
                 | "Unconverged" >> beam.Map(lambda kg: len(list(kg[1]["root"])) if list(kg[1]["node"]) else 0)
                 | "CountUnconverged" >> beam.CombineGlobally(sum)
                 | "Warn" >> beam.Map(_warn_unconverged, rounds))
            by_id = node_roots | "RootById" >> beam.Map(lambda nr: (nr[0][1], nr[1][1]))
            docs_by_id = docs | "DocById" >> beam.Map(lambda d: (d.id, d))
            return (({"doc": docs_by_id, "root": by_id}) | "JoinRoots" >> beam.CoGroupByKey()
                    | "DropNearDuplicates" >> beam.FlatMap(_drop_or_keep).with_outputs(REJECTED, main="documents"))
        survivors = (edges
                     | "AllEdges" >> beam.combiners.ToList()
                     | "Components" >> beam.Map(connected_components)
                     | "SurvivorIds" >> beam.Map(_survivor_ids))
        return docs | "DropNearDuplicates" >> beam.FlatMap(
            _drop_near_duplicates, survivor_of=beam.pvalue.AsSingleton(survivors)
        ).with_outputs(REJECTED, main="documents")


class Dedup(beam.PTransform):
    """Outputs ``documents`` and ``rejected`` (boilerplate, exact_duplicate, near_duplicate)."""

    def __init__(self, spec: DedupSpec):
        super().__init__()
        self._spec = spec

    def expand(self, docs):
        rejected: list = []
        if self._spec.lines:
            lines = docs | "Lines" >> LineDedup(self._spec.lines)
            docs, rejected = lines.documents, rejected + [lines[REJECTED]]
        if self._spec.exact:
            exact = docs | "Exact" >> ExactDedup()
            docs, rejected = exact.documents, rejected + [exact[REJECTED]]
        if self._spec.minhash:
            near = docs | "MinHash" >> NearDedup(self._spec.minhash)
            docs, rejected = near.documents, rejected + [near[REJECTED]]
        return {"documents": docs,
                REJECTED: rejected | "FlattenRejected" >> beam.Flatten(pipeline=docs.pipeline)}
