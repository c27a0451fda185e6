"""Dedup stage: exact (normalized hash) then MinHash LSH near-duplicates.

Exact: the surviving copy is the smallest document id of each group. Near: the survivor of each
cluster follows `keep` (smallest id, longest, highest math_score; ties by id), so the result does not
depend on worker order. Every removed document is a Rejection whose `duplicate_of` names the survivor.

Documents arrive and leave in batches (batches.py). Bounded memory: exact dedup counts 64-bit
text hashes as arrays, then shuffles (hash, id) pairs only for documents whose hash repeats; the ids it
removes are a side input.
Near-dup clustering ships only ids: signatures are computed per batch in NumPy, band hashes are grouped by (band, hash range) as
arrays, equal hashes inside a group become edges, and the connected components of the edge list are
computed on one worker, so that step holds O(number of documents that have a near-duplicate) ids
in memory, never texts.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
import numpy as np

from mathcorpus.batches import (BATCH_DOCS, REJECTED, Batch, RepeatedHashes, batched, emit, hash64, hashes64,
                                is_member, unbatch)
from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.outputs import ROWS, FilterAndWrite, TableSink
from mathcorpus.pipeline.dedup.exact import exact_key
from mathcorpus.pipeline.dedup.lines import LineDedup
from mathcorpus.pipeline.dedup.components import DistributedComponents
from mathcorpus.pipeline.dedup.minhash import (ShingleSets, band_hashes, batch_shingle_hashes, choose_bands,
                                               connected_components, distinct_shingles, flat_signatures,
                                               permutations, set_jaccard)
from mathcorpus.recipe import DedupSpec, MinHashSpec
from mathcorpus.workers import WorkerDoFn

SIGNATURES = "signatures"
SUSPECT_RANGES = 64
STAGE = "dedup"


def _duplicates_of_keeper(group) -> list[tuple[str, str]]:
    """(removed id, keeper id) for every document but the smallest id of one exact-key group."""
    _, ids = group
    ids = sorted(ids)
    return [(other, ids[0]) for other in ids[1:]]


def _key_hashes(keys: list[str]) -> np.ndarray:
    """The first 8 bytes of each hex SHA-1 key, as uint64 (the keys are already uniform hashes)."""
    return np.array([int(k[:16], 16) for k in keys], dtype=np.uint64)


def _with_exact_keys(batch: list[Document], normalize: str, normalize_by_source: dict[str, str]):
    if normalize_by_source:
        keys = [exact_key(d.text, normalize_by_source.get(d.source, normalize)) for d in batch]
    else:
        keys = [exact_key(d.text, normalize) for d in batch]
    yield keys, _key_hashes(keys), [d.id for d in batch]


def _suspect_pairs(keyed_batch, repeated: np.ndarray):
    """(exact key, id) of the documents of a batch whose key hash occurs more than once in the run,
    as batches keyed by a range of the hash (all copies of a text meet in one group)."""
    keys, hashes, ids = keyed_batch
    by_range: dict[int, Batch] = {}
    for i in is_member(hashes, repeated).nonzero()[0].tolist():
        by_range.setdefault(int(hashes[i]) % SUSPECT_RANGES, Batch()).append((keys[i], ids[i]))
    yield from by_range.items()


def _exact_duplicates(keyed):
    """(removed id, keeper id) pairs of one range's suspects, as one element."""
    _, parts = keyed
    ids_by_key: dict[str, list] = {}
    for part in parts:
        for key, doc_id in part:
            ids_by_key.setdefault(key, []).append(doc_id)
    pairs = Batch(pair for group in ids_by_key.items() for pair in _duplicates_of_keeper(group))
    if pairs:
        yield pairs


def _merged(parts: list) -> dict:
    return {removed: keeper for part in parts for removed, keeper in part}


class ExactKeepers(beam.PTransform):
    """Batches -> one dict {removed id: keeper id} (a singleton). Text hashes are counted as arrays;
    (key, id) pairs are shuffled only for repeated hashes, never texts. Texts are normalized as
    `spec.normalize` / `spec.normalize_by_source` say."""

    def __init__(self, spec: DedupSpec):
        super().__init__()
        self._spec = spec

    def expand(self, batches):
        keyed = batches | "ExactKeys" >> beam.FlatMap(_with_exact_keys, self._spec.normalize,
                                                      dict(self._spec.normalize_by_source))
        repeated = keyed | "RepeatedKeys" >> RepeatedHashes(lambda kb: kb[1])
        return (keyed
                | "Suspects" >> beam.FlatMap(_suspect_pairs, beam.pvalue.AsSingleton(repeated))
                | "GroupByRange" >> beam.GroupByKey()
                | "Duplicates" >> beam.FlatMap(_exact_duplicates)
                | "AllDuplicates" >> beam.combiners.ToList()
                | "KeeperOf" >> beam.Map(_merged))


class ExactDedup(beam.PTransform):
    """Exact dedup alone: the side input holds the removed ids. With a sink, the documents table is
    written in the same pass (see `_drop`)."""

    def __init__(self, spec: DedupSpec, sink: TableSink | None = None):
        super().__init__()
        self._spec = spec
        self._sink = sink

    def expand(self, batches):
        keeper_of = batches | "Keepers" >> ExactKeepers(self._spec)
        return _drop(batches, "DropExactDuplicates", self._sink, BATCH_DOCS, survivor_of={},
                     keeper_of=beam.pvalue.AsSingleton(keeper_of))


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


def split_duplicates(batch: list[Document], survivor_of: dict[str, str], keeper_of: dict[str, str] | None = None
                     ) -> tuple[list[Document], list[Rejection]]:
    """(kept, rejected) of a batch: exact copies (`keeper_of`: removed id -> the copy kept) and near
    copies (`survivor_of`: id -> its cluster's survivor) are rejected, in one pass."""
    keeper_of = keeper_of or {}
    if not keeper_of and not survivor_of:
        return list(batch), []
    kept, rejected = [], []
    for doc in batch:
        keeper = keeper_of.get(doc.id)
        root = survivor_of.get(doc.id, doc.id)
        if keeper is not None:
            rejected.append(Rejection.of(doc, STAGE, "exact_duplicate", f"same normalized text as {keeper}",
                                         duplicate_of=keeper))
        elif root != doc.id:
            rejected.append(Rejection.of(doc, STAGE, "near_duplicate", f"MinHash LSH candidate of {root}",
                                         duplicate_of=root))
        else:
            kept.append(doc)
    return kept, rejected


def _drop_duplicates(batch: list[Document], survivor_of: dict[str, str], keeper_of: dict[str, str] | None = None):
    yield from emit(*split_duplicates(batch, survivor_of, keeper_of))


def _drop(batches, label: str, sink: TableSink | None, batch_size: int, **side) -> dict:
    """The documents, less the duplicates that the side inputs name: ``documents``, ``rejected`` and,
    with a sink (dedup is the last document stage), ``rows`` of the documents table written in the
    same pass (outputs.FilterAndWrite)."""
    if sink is not None:
        result = batches | label >> FilterAndWrite(sink, split_duplicates, batch_size, **side)
        return {"documents": result.documents, REJECTED: result[REJECTED], ROWS: result[ROWS]}
    result = batches | label >> beam.FlatMap(_drop_duplicates, **side).with_outputs(REJECTED, main="documents")
    return {"documents": result.documents, REJECTED: result[REJECTED]}


def band_range_parts(hashes: np.ndarray, members: list, ranges: int):
    """A batch's band hashes [documents, bands] -> (hash range, part) for every range present; a part
    is (hashes, their bands, their documents' index in `members`, members): all bands of a range
    travel together, so a batch costs Beam `ranges` elements, not bands x ranges."""
    bands = hashes.shape[1]
    flat = hashes.ravel()
    which = flat % np.uint64(ranges)
    order = np.argsort(which, kind="stable")
    which = which[order]
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]]) if len(which) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(which)]
    members = Batch(members)
    for a, b in zip(starts.tolist(), ends.tolist()):
        at = order[a:b]
        yield int(which[a]), (flat[at], (at % bands).astype(np.uint16), (at // bands).astype(np.uint32), members)


def bucket_edges(parts, excluded=()) -> set[tuple]:
    """Edges (survivor candidate, other) between documents that share a hash in the same band, over
    the parts of one hash range; an edge found in several bands is listed once. Documents whose id
    is in `excluded` (exact copies that exact dedup removes) take no part."""
    parts = list(parts)
    if not parts:
        return set()
    hashes = np.concatenate([p[0] for p in parts])
    bands = np.concatenate([p[1] for p in parts])
    local = np.concatenate([p[2] for p in parts])
    part_of = np.repeat(np.arange(len(parts)), [len(p[0]) for p in parts])
    order = np.lexsort((bands, hashes))
    hashes, bands = hashes[order], bands[order]
    starts = np.flatnonzero(np.r_[True, (hashes[1:] != hashes[:-1]) | (bands[1:] != bands[:-1])])
    ends = np.r_[starts[1:], len(hashes)]
    sizes = ends - starts
    edges: set[tuple] = set()
    pairs = sizes == 2
    if pairs.any():  # most buckets hold two documents: their pairs are deduplicated as integers first
        members = [member for part in parts for member in part[3]]
        entry = (np.r_[0, np.cumsum([len(part[3]) for part in parts])][part_of] + local)[order]
        first, second = entry[starts[pairs]], entry[starts[pairs] + 1]
        low, high = np.minimum(first, second).astype(np.int64), np.maximum(first, second).astype(np.int64)
        for key in np.unique(low * len(members) + high).tolist():
            x, y = members[key // len(members)], members[key % len(members)]
            if x != y and not (excluded and (x[1] in excluded or y[1] in excluded)):
                edges.add((x, y) if x < y else (y, x))
    many = sizes > 2
    for a, b in zip(starts[many].tolist(), ends[many].tolist()):
        at = order[a:b]
        group = sorted({parts[p][3][i] for p, i in zip(part_of[at].tolist(), local[at].tolist())})
        if excluded:
            group = [m for m in group if m[1] not in excluded]
        edges.update((group[0], other) for other in group[1:])
    return edges


class _BandBucketsDoFn(WorkerDoFn):
    """A batch of documents -> one element per hash range present (band_range_parts)."""

    def __init__(self, spec: MinHashSpec, bands: int, rows: int):
        self._spec, self._bands, self._rows = spec, bands, rows
        self._compare_sets = spec.verify_exact and spec.verify_cutoff() is not None

    def setup(self):
        super().setup()
        self._perms = permutations(self._spec.num_perm)
        self._pool = ThreadPoolExecutor(self._spec.threads) if self._spec.threads > 1 else None

    def teardown(self):
        if self._pool is not None:
            self._pool.shutdown()

    def process(self, batch: list[Document]):
        for part in batched(batch, self._spec.batch_size):
            yield from self._buckets(part)

    def _signatures(self, texts: list[str]) -> tuple[np.ndarray, list | None, np.ndarray]:
        """The texts' signatures, their shingle sets (one array each) when verification compares
        those, and their number of shingles."""
        flat, sizes = batch_shingle_hashes(texts, self._spec.ngram, self._spec.unit)
        sigs = flat_signatures(flat, sizes, self._perms)
        return sigs, distinct_shingles(flat, sizes) if self._compare_sets else None, sizes

    def _buckets(self, batch: list[Document]):
        spec = self._spec
        texts = [d.text for d in batch]
        if self._pool is None or len(texts) < 2 * spec.threads:
            sigs, sets, sizes = self._signatures(texts)
        else:  # NumPy releases the GIL: slices of the batch on several cores, in order
            step = -(-len(texts) // spec.threads)
            slices = list(self._pool.map(self._signatures, [texts[i:i + step] for i in range(0, len(texts), step)]))
            sigs, sizes = np.concatenate([s[0] for s in slices]), np.concatenate([s[2] for s in slices])
            sets = [x for s in slices for x in s[1]] if self._compare_sets else None
        if not sizes.all():
            # a text without a single word ("}}}", "---") has no shingle: its signature would be all
            # maximal, the same as every other such text's, and they would all become one cluster.
            # It has no near copy; exact dedup still sees it.
            at = np.flatnonzero(sizes).tolist()
            batch, sigs = [batch[i] for i in at], sigs[at]
            sets = [sets[i] for i in at] if sets is not None else None
        if spec.verify_cutoff() is not None:
            rows = ShingleSets.from_arrays(sets) if sets is not None else sigs
            for part in signature_parts([d.id for d in batch], rows, spec.hash_ranges):
                yield beam.pvalue.TaggedOutput(SIGNATURES, part)
        yield from band_range_parts(band_hashes(sigs, self._bands, self._rows),
                                    [(survivor_rank(d, spec.keep), d.id) for d in batch], spec.hash_ranges)


def _edge_batches_by_range(keyed, ranges: int, excluded=()):
    """One group's edges as batches keyed by the id range of their first document, so that an edge
    found in two groups meets its copy."""
    by_range: dict[int, set] = {}
    for edge in bucket_edges(keyed[1], excluded):
        by_range.setdefault(id_range(edge[0][1], ranges), set()).add(edge)
    for r, edges in by_range.items():
        yield r, Batch(edges)


def _unique_edges(keyed):
    r, parts = keyed
    edges = set().union(*parts)
    if edges:
        yield r, Batch(sorted(edges))


def _all_edges(batches: list) -> list:
    return [edge for batch in batches for edge in batch]


def id_range(doc_id: str, ranges: int) -> int:
    return hash64(doc_id) % ranges


def signature_parts(ids: list[str], sigs, ranges: int):
    """A batch's signatures (or ShingleSets) as (range of the document id, (ids, their rows))."""
    which = np.array([id_range(i, ranges) for i in ids], dtype=np.int64)
    for r in np.unique(which).tolist():
        at = np.flatnonzero(which == r)
        yield r, (Batch(ids[i] for i in at.tolist()), sigs[at])


def _signatures_by_id(parts) -> dict[str, np.ndarray]:
    return {doc_id: sig for ids, sigs in parts for doc_id, sig in zip(ids, sigs)}


def _attach_first_signatures(joined, ranges: int):
    """One id range's edges (keyed by their first document) and signatures -> (edge, signature of its
    first document), keyed by the range of its second document."""
    _, grouped = joined
    sig_of = _signatures_by_id(grouped["sig"])
    by_second: dict[int, Batch] = {}
    for edges in grouped["edge"]:
        for edge in edges:
            by_second.setdefault(id_range(edge[1][1], ranges), Batch()).append((edge, sig_of[edge[0][1]]))
    yield from by_second.items()


def _verified(joined, cutoff: float, exact: bool = False):
    """Edges whose two signatures agree on at least `cutoff` of their positions or, `exact`, whose
    two shingle sets have a Jaccard similarity of at least `cutoff`."""
    _, grouped = joined
    sig_of = _signatures_by_id(grouped["sig"])
    pairs = [pair for part in grouped["edge"] for pair in part]
    if not pairs:
        return
    if exact:
        agree = [set_jaccard(first, sig_of[edge[1][1]]) >= cutoff for edge, first in pairs]
    else:
        first = np.stack([sig for _, sig in pairs])
        second = np.stack([sig_of[edge[1][1]] for edge, _ in pairs])
        agree = ((first == second).mean(axis=1) >= cutoff).tolist()
    kept = Batch(edge for (edge, _), ok in zip(pairs, agree) if ok)
    if kept:
        yield kept


def _endpoint_hashes(keyed_edges) -> np.ndarray:
    """The sorted id hashes of the documents at either end of one batch of edges."""
    _, edges = keyed_edges
    return np.unique(hashes64(node[1] for edge in edges for node in edge))


def _union(arrays) -> np.ndarray:
    arrays = list(arrays)
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.uint64)


def _endpoint_signatures(part, endpoints: np.ndarray):
    """A signature part restricted to the documents that have a candidate edge (`endpoints`: sorted id
    hashes; a hash collision only lets one more signature through)."""
    r, (ids, sigs) = part
    at = np.flatnonzero(is_member(hashes64(ids), endpoints))
    if len(at):
        yield r, (Batch(ids[i] for i in at.tolist()), sigs[at])


class VerifyEdges(beam.PTransform):
    """Candidate edges checked against the documents' whole signatures (or, `exact`, their shingle
    sets): two joins by id range, each group holding the signatures of 1/`ranges` of the documents
    that have a candidate edge (num_perm x 4 bytes each; shingle sets: 4 bytes per distinct
    shingle). Only those signatures are joined: the others are dropped against the
    sorted id hashes of the edges' ends (8 bytes per such document, on every worker, as exact dedup's
    repeated hashes), so that the bulk of the signatures crosses Beam's shuffle once, not twice."""

    def __init__(self, cutoff: float, ranges: int, exact: bool = False):
        super().__init__()
        self._cutoff, self._ranges, self._exact = cutoff, ranges, exact

    def expand(self, inputs):
        edges_by_first, sigs = inputs  # (range of the first id, edge batch), (id range, signature part)
        endpoints = (edges_by_first | "EndpointHashes" >> beam.Map(_endpoint_hashes)
                     | "AllEndpoints" >> beam.CombineGlobally(_union))
        sigs = sigs | "EndpointSignatures" >> beam.FlatMap(_endpoint_signatures, beam.pvalue.AsSingleton(endpoints))
        with_first = (({"edge": edges_by_first, "sig": sigs}) | "JoinFirst" >> beam.CoGroupByKey()
                      | "AttachFirst" >> beam.FlatMap(_attach_first_signatures, self._ranges))
        return (({"edge": with_first, "sig": sigs}) | "JoinSecond" >> beam.CoGroupByKey()
                | "Verify" >> beam.FlatMap(_verified, self._cutoff, self._exact))


def _survivor_ids(components: dict) -> dict[str, str]:
    return {node[1]: root[1] for node, root in components.items() if node != root}


def _drop_or_keep(joined, keeper_of: dict[str, str] | None = None):
    """(id, {"doc": [doc], "root": [root id]}) -> the document, or its rejection as an exact copy or in
    favour of root (one-element batches: the distributed mode joins documents one by one)."""
    _, grouped = joined
    roots = list(grouped["root"])
    for doc in grouped["doc"]:
        yield from _drop_duplicates([doc], {doc.id: roots[0]} if roots else {}, keeper_of)


def _warn_unconverged(count: int, rounds: int) -> None:
    if count:
        logging.getLogger(__name__).warning(
            "near dedup: %d documents were in clusters that did not become stars in %d rounds; their "
            "clusters keep more than one survivor (raise minhash.component_rounds)", count, rounds)


class NearDedup(beam.PTransform):
    """MinHash LSH near-duplicates. Clustering: union-find over the candidate edges on one worker
    (``components: single_worker``; memory about 200 bytes per document that has a near duplicate,
    never texts), or large-star/small-star rounds over the edges (``components: distributed``;
    components.py), whose survivors are joined to the documents by id.

    With `exact_keepers` (ExactKeepers' {removed id: keeper id} over the same batches), the
    exact copies take no part in the candidate groups and are dropped in the same pass as the near
    ones: the result equals exact dedup followed by near dedup, with the documents held back once
    for a side input instead of twice. With a `sink` (single_worker components only), the documents
    table is written in that pass too (see `_drop`)."""

    def __init__(self, spec: MinHashSpec, exact_keepers=None, sink: TableSink | None = None):
        super().__init__()
        self._spec, self._exact_keepers, self._sink = spec, exact_keepers, sink
        if sink is not None and spec.components == "distributed":
            raise ValueError("distributed components join the documents by id: they cannot write the table")
        if spec.bands:
            self.bands, self.rows = spec.bands, spec.num_perm // spec.bands
        else:
            self.bands, self.rows = choose_bands(spec.threshold, spec.num_perm, spec.false_negative_weight)

    def expand(self, batches):
        spec = self._spec
        exact = ({"keeper_of": beam.pvalue.AsSingleton(self._exact_keepers)} if self._exact_keepers is not None
                 else {})
        excluded = {"excluded": exact["keeper_of"]} if exact else {}
        buckets = (batches
                   | "BandBuckets" >> beam.ParDo(_BandBucketsDoFn(spec, self.bands, self.rows)
                                                 ).with_outputs(SIGNATURES, main="buckets"))
        edge_batches = (buckets.buckets
                        | "GroupByRange" >> beam.GroupByKey()
                        | "BucketEdges" >> beam.FlatMap(_edge_batches_by_range, spec.hash_ranges, **excluded)
                        | "GroupByEdgeRange" >> beam.GroupByKey()
                        | "UniqueEdges" >> beam.FlatMap(_unique_edges))
        if spec.verify_cutoff() is not None:
            edge_batches = ((edge_batches, buckets[SIGNATURES])
                            | "VerifyEdges" >> VerifyEdges(spec.verify_cutoff(), spec.hash_ranges, spec.verify_exact))
        else:
            edge_batches = edge_batches | "EdgeBatches" >> beam.Values()
        if spec.components == "distributed":
            edges = unbatch(edge_batches, "Edges")  # the star rounds go edge by edge
            node_roots = edges | "Components" >> DistributedComponents(spec.component_rounds)
            rounds = spec.component_rounds
            as_node = node_roots | "AsNode" >> beam.Map(lambda nr: (nr[0], 1))
            as_root = node_roots | "AsRoot" >> beam.Map(lambda nr: (nr[1], 1))
            _ = (({"node": as_node, "root": as_root}) | "RootsOfRoots" >> beam.CoGroupByKey()
                 | "Unconverged" >> beam.Map(lambda kg: len(list(kg[1]["root"])) if list(kg[1]["node"]) else 0)
                 | "CountUnconverged" >> beam.CombineGlobally(sum)
                 | "Warn" >> beam.Map(_warn_unconverged, rounds))
            by_id = node_roots | "RootById" >> beam.Map(lambda nr: (nr[0][1], nr[1][1]))
            docs_by_id = unbatch(batches, "Documents") | "DocById" >> beam.Map(lambda d: (d.id, d))
            joined = (({"doc": docs_by_id, "root": by_id}) | "JoinRoots" >> beam.CoGroupByKey()
                      | "DropNearDuplicates" >> beam.FlatMap(_drop_or_keep, **exact).with_outputs(
                          REJECTED, main="documents"))
            return {"documents": (unbatch(joined.documents, "KeptDocuments")
                                  | "Rebatch" >> beam.BatchElements(min_batch_size=spec.batch_size,
                                                                    max_batch_size=spec.batch_size)
                                  | "AsBatches" >> beam.Map(Batch)),
                    REJECTED: joined[REJECTED]}
        survivors = (edge_batches
                     | "AllEdges" >> beam.combiners.ToList()
                     | "Components" >> beam.Map(lambda batches: connected_components(_all_edges(batches)))
                     | "SurvivorIds" >> beam.Map(_survivor_ids))
        return _drop(batches, "DropNearDuplicates", self._sink, spec.batch_size,
                     survivor_of=beam.pvalue.AsSingleton(survivors), **exact)


class Dedup(beam.PTransform):
    """Batches -> ``documents`` and ``rejected`` (boilerplate, exact_duplicate, near_duplicate), batched.

    With `documents_sink` (dedup is the last document stage) and a drop that waits for side inputs
    (exact, or near with single_worker components), the documents table is written in the drop's
    pass and ``rows`` holds its row counts; `writes_documents` tells whether it does."""

    def __init__(self, spec: DedupSpec, documents_sink: TableSink | None = None):
        super().__init__()
        self._spec = spec
        minhash = spec.minhash
        self.writes_documents = documents_sink is not None and (
            (minhash is None and spec.exact) or (minhash is not None and minhash.components != "distributed"))
        self._sink = documents_sink if self.writes_documents else None

    def expand(self, docs):
        rejected: list = []
        rows = None
        if self._spec.lines:
            lines = docs | "Lines" >> LineDedup(self._spec.lines)
            docs, rejected = lines.documents, rejected + [lines[REJECTED]]
        if self._spec.exact and not self._spec.minhash:
            exact = docs | "Exact" >> ExactDedup(self._spec, self._sink)
            docs, rejected, rows = exact["documents"], rejected + [exact[REJECTED]], exact.get(ROWS)
        if self._spec.minhash:
            keepers = docs | "ExactKeepers" >> ExactKeepers(self._spec) if self._spec.exact else None
            near = docs | "MinHash" >> NearDedup(self._spec.minhash, keepers, self._sink)
            docs, rejected, rows = near["documents"], rejected + [near[REJECTED]], near.get(ROWS)
        out = {"documents": docs, REJECTED: rejected | "FlattenRejected" >> beam.Flatten(pipeline=docs.pipeline)}
        if rows is not None:
            out[ROWS] = rows
        return out
