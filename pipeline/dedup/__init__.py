"""Dedup stage: exact (normalized hash) then MinHash LSH near-duplicates.

The surviving copy is the smallest document id of each group, so the result does not depend on
worker order. Every removed document is a Rejection whose `duplicate_of` names the survivor.

Bounded memory: exact dedup groups documents by hash (Beam shuffles). Near-dup clustering ships only
ids: band keys are grouped (GroupByKey), buckets become edges, and the connected components of the
edge list are computed on one worker, so that step holds O(number of documents that have a
near-duplicate) ids in memory, never texts.
"""

from __future__ import annotations

import apache_beam as beam

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.dedup.exact import exact_key
from mathcorpus.pipeline.dedup.minhash import (band_keys, bucket_edges, choose_bands,
                                               connected_components, signature)
from mathcorpus.recipe import DedupSpec, MinHashSpec

REJECTED = "rejected"
STAGE = "dedup"


def _keep_first(group) -> list:
    _, docs = group
    docs = sorted(docs, key=lambda d: d.id)
    keeper = docs[0]
    return [keeper] + [beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
        d, STAGE, "exact_duplicate", f"same normalized text as {keeper.id}", duplicate_of=keeper.id))
        for d in docs[1:]]


class ExactDedup(beam.PTransform):
    def expand(self, docs):
        return (docs
                | "KeyByHash" >> beam.Map(lambda d: (exact_key(d.text), d))
                | "GroupByHash" >> beam.GroupByKey()
                | "KeepFirst" >> beam.FlatMap(_keep_first).with_outputs(REJECTED, main="documents"))


def _drop_near_duplicates(doc: Document, survivor_of: dict[str, str]):
    root = survivor_of.get(doc.id, doc.id)
    if root == doc.id:
        yield doc
    else:
        yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
            doc, STAGE, "near_duplicate", f"MinHash LSH candidate of {root}", duplicate_of=root))


class _BandKeysDoFn(beam.DoFn):
    def __init__(self, spec: MinHashSpec, bands: int, rows: int):
        self._spec, self._bands, self._rows = spec, bands, rows

    def process(self, doc: Document):
        sig = signature(doc.text, self._spec.num_perm, self._spec.ngram)
        for key in band_keys(sig, self._bands, self._rows):
            yield key, doc.id


class NearDedup(beam.PTransform):
    def __init__(self, spec: MinHashSpec):
        super().__init__()
        self._spec = spec
        if spec.bands:
            self.bands, self.rows = spec.bands, spec.num_perm // spec.bands
        else:
            self.bands, self.rows = choose_bands(spec.threshold, spec.num_perm)

    def expand(self, docs):
        survivors = (docs
                     | "BandKeys" >> beam.ParDo(_BandKeysDoFn(self._spec, self.bands, self.rows))
                     | "GroupByBand" >> beam.GroupByKey()
                     | "BucketEdges" >> beam.FlatMap(lambda kv: bucket_edges(kv[1]))
                     | "UniqueEdges" >> beam.Distinct()
                     | "AllEdges" >> beam.combiners.ToList()
                     | "Components" >> beam.Map(connected_components))
        return docs | "DropNearDuplicates" >> beam.FlatMap(
            _drop_near_duplicates, survivor_of=beam.pvalue.AsSingleton(survivors)
        ).with_outputs(REJECTED, main="documents")


class Dedup(beam.PTransform):
    """Outputs ``documents`` and ``rejected`` (exact_duplicate, near_duplicate)."""

    def __init__(self, spec: DedupSpec):
        super().__init__()
        self._spec = spec

    def expand(self, docs):
        rejected: list = []
        if self._spec.exact:
            exact = docs | "Exact" >> ExactDedup()
            docs, rejected = exact.documents, rejected + [exact[REJECTED]]
        if self._spec.minhash:
            near = docs | "MinHash" >> NearDedup(self._spec.minhash)
            docs, rejected = near.documents, rejected + [near[REJECTED]]
        return {"documents": docs,
                REJECTED: rejected | "FlattenRejected" >> beam.Flatten(pipeline=docs.pipeline)}
