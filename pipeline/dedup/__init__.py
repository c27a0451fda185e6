"""Dedup decisions: which documents are copies, and of which survivor, from small keys alone.

    exact key files (16-byte hashes, numbers) --> ExactCopies --------------------------\\
    band key files (band hashes, numbers) -----> NearCopies (edges, verify, components) --> removals
                                                                                      (unit, [(position, reason, survivor id)])
Documents dropped before dedup (later id copies, held-back files their package does not save) take no
part; exact copies take no part in near dedup. Survivors: the first copy (exact), the best
``survivor_rank`` (near). Their ids are read from the key spills of the units that hold them, so
that the apply pass can name them in ``duplicate_of``. Modules: ``exact`` / ``near`` / ``verify`` /
``components`` / ``lines`` (boilerplate lines) / ``keys`` (what the scan pass emits).
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.document import Rejection
from mathcorpus.pipeline.dedup.exact import ExactCopies
from mathcorpus.pipeline.dedup.near import NearCopies
from mathcorpus.pipeline.dedup.verify import KEYS, VerifyEdges
from mathcorpus.pipeline.docnums import POSITION_BITS
from mathcorpus.pipeline.ids import sorted_union
from mathcorpus.pipeline.spill import read_spill, spill_path
from mathcorpus.recipe import DedupSpec

STAGE = "dedup"
DETAILS = {"exact_duplicate": "same normalized text as {}", "near_duplicate": "MinHash LSH candidate of {}"}


def _tagged(pair, reason: str):
    removed, keepers = pair
    yield reason, removed, keepers


def _keepers(record):
    reason, _, keepers = record
    yield reason, keepers


def cluster_sizes(keeper_arrays) -> dict[int, int]:
    """{cluster size: clusters} from the survivors' numbers of every removed copy (8 bytes per copy)."""
    arrays = list(keeper_arrays)
    if not arrays:
        return {}
    _, copies = np.unique(np.concatenate(arrays), return_counts=True)
    sizes, clusters = np.unique(copies + 1, return_counts=True)  # the survivor and its copies
    return dict(zip(sizes.tolist(), clusters.tolist()))


def _by_keeper_unit(record):
    reason, removed, keepers = record
    units = keepers >> np.uint64(POSITION_BITS)
    for u in np.unique(units).tolist():
        at = units == u
        yield u, (reason, removed[at], keepers[at])


def keeper_ids(keyed, out_dir: str):
    """One keeper unit's removal records -> (unit of the removed document, [(position, reason, keeper
    id)]), the ids read from the keeper unit's key spill."""
    unit, records = keyed
    records = list(records)
    wanted = set(int(k) for _, _, keepers in records for k in keepers.tolist())
    id_of = {}
    for frame in read_spill(spill_path(out_dir, unit, KEYS)):
        for num, doc_id in zip(frame["nums"].tolist(), frame["ids"]):
            if num in wanted:
                id_of[num] = doc_id
    out: dict[int, list] = {}
    mask = (1 << POSITION_BITS) - 1
    for reason, removed, keepers in records:
        for r, k in zip(removed.tolist(), keepers.tolist()):
            out.setdefault(r >> POSITION_BITS, []).append((r & mask, reason, id_of[k]))
    yield from out.items()


class Removals(beam.PTransform):
    """Key receipts ((unit, {key kind: ranges})) -> ``removals``: (unit, [(position, reason, survivor
    id)]) and ``clusters``: (reason, {cluster size: clusters}). `dropped_before`: singleton sorted
    array of the numbers dropped before dedup."""

    def __init__(self, spec: DedupSpec, out_dir: str, dropped_before):
        super().__init__()
        self._spec, self._out_dir, self._dropped_before = spec, out_dir, dropped_before

    def expand(self, receipts):
        spec, records, excluded = self._spec, [], self._dropped_before
        if spec.exact:
            exact = receipts | "Exact" >> ExactCopies(self._out_dir, excluded)
            records.append(exact | "TagExact" >> beam.FlatMap(_tagged, "exact_duplicate"))
            removed = exact | "ExactRemoved" >> beam.Map(lambda pair: pair[0])
            excluded = (
                (removed, excluded | "Before" >> beam.Map(lambda a: a))
                | "Excluded" >> beam.Flatten()
                | "AllExcluded" >> beam.combiners.ToList()
                | "ExcludedUnion" >> beam.Map(sorted_union)
            )
        if spec.minhash:
            m = spec.minhash
            verify = (
                VerifyEdges(self._out_dir, m.verify_cutoff(), m.verify_exact) if m.verify_cutoff() is not None else None
            )
            near = receipts | "Near" >> NearCopies(m, self._out_dir, excluded, verify)
            records.append(near | "TagNear" >> beam.FlatMap(_tagged, "near_duplicate"))
        records = records | "AllRemovals" >> beam.Flatten()
        clusters = (
            records
            | "Keepers" >> beam.FlatMap(_keepers)
            | "KeepersByReason" >> beam.GroupByKey()
            | "ClusterSizes" >> beam.MapTuple(lambda reason, keepers: (reason, cluster_sizes(keepers)))
        )
        removals = (
            records
            | "ByKeeperUnit" >> beam.FlatMap(_by_keeper_unit)
            | "GroupByKeeperUnit" >> beam.GroupByKey()
            | "KeeperIds" >> beam.FlatMap(keeper_ids, self._out_dir)
        )
        return {"removals": removals, "clusters": clusters}


def removal_rejection(doc, reason: str, keeper_id: str) -> Rejection:
    return Rejection.of(doc, STAGE, reason, DETAILS[reason].format(keeper_id), duplicate_of=keeper_id)
