"""Document ids are unique in a run: the first copy of a repeated id keeps it, later ones are rejected.

Ids repeat when the input says so: a JSONL id field with repeats, a tar that holds one member name
twice. Every later stage keys by id (dedup survivors, the packing plan, the output tables), so a
repeat must not get that far. "First" is the smallest origin key: (file or archive member, line or
member number, sha1 of the text) - a pure function of the input, whatever the worker order.

Memory and cost: the ids' 64-bit hashes are counted as arrays (``RepeatedHashes``: 8 bytes per id,
grouped by hash range); only documents whose id hash repeats go one by one through a combiner over
(id -> count, smallest key), and the side input holds only the repeated ids. The suspects are read from
each batch's (id, origin key) pairs, not from the documents; the documents wait for the side input
only where `first_copies` is applied: in the language stage's package pass
(filters/language/packages.py), which holds them back once for both.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam

from mathcorpus.document import Document, Rejection
from mathcorpus.batches import Batch, RepeatedHashes, hashes64, is_member


def origin_key(doc: Document) -> tuple[str, int, str]:
    meta = doc.meta or {}
    number = meta.get("line", meta.get("member", meta.get("offset", 0)))
    return (str(meta.get("origin") or doc.path or ""), int(number or 0),
            hashlib.sha1(doc.text.encode("utf-8", "surrogatepass")).hexdigest())


class _CountAndFirst(beam.CombineFn):
    def create_accumulator(self):
        return 0, None

    def add_input(self, acc, key):
        n, first = acc
        return n + 1, key if first is None or key < first else first

    def merge_accumulators(self, accs):
        n, first = 0, None
        for m, f in accs:
            n += m
            if f is not None and (first is None or f < first):
                first = f
        return n, first

    def extract_output(self, acc):
        return acc


def _id_keys(batch: list[Document]) -> Batch:
    """(id, origin key) of each document of a batch: what finding repeated ids needs, without texts."""
    return Batch((d.id, origin_key(d)) for d in batch)


def _id_hashes(id_keys: list[tuple]):
    return hashes64(doc_id for doc_id, _ in id_keys)


def _suspects(id_keys: list[tuple], repeated_hashes):
    """(id, origin key) of the documents whose id hash repeats somewhere in the run."""
    for i in is_member(_id_hashes(id_keys), repeated_hashes).nonzero()[0].tolist():
        yield id_keys[i]


def first_copies(batch: list[Document], repeated: dict) -> tuple[list[Document], list[Rejection]]:
    """The documents of a batch that are the first copy of their id (`repeated`: id -> the smallest
    origin key of an id that occurs more than once), and the later copies as ``duplicate_id``."""
    if not repeated:
        return list(batch), []
    kept, rejected = [], []
    for doc in batch:
        first = repeated.get(doc.id)
        if first is None or origin_key(doc) == first:
            kept.append(doc)
        else:
            rejected.append(Rejection.of(doc, "sources", "duplicate_id", detail=f"id already used by {first[0]} "
                                         f"#{first[1]}", duplicate_of=doc.id))
    return kept, rejected


class RepeatedIds(beam.PTransform):
    """Batches of documents -> (id, smallest origin key) of every id that occurs more than once: the
    side input (``AsDict``) of `first_copies`. Found in each batch's ids and origin keys, never the
    documents, so that only the stage that applies it holds the documents back (the DirectRunner
    writes out and reads back every document once per stage that waits for a side input)."""

    def expand(self, batches):
        id_keys = batches | "IdKeys" >> beam.Map(_id_keys)
        repeated_hashes = id_keys | "RepeatedIdHashes" >> RepeatedHashes(_id_hashes)
        return (id_keys
                | "Suspects" >> beam.FlatMap(_suspects, beam.pvalue.AsSingleton(repeated_hashes))
                | "CountIds" >> beam.CombinePerKey(_CountAndFirst())
                | "Repeated" >> beam.Filter(lambda kv: kv[1][0] > 1)
                | "FirstOrigin" >> beam.Map(lambda kv: (kv[0], kv[1][1])))
