"""Document ids are unique in a run: the first copy of a repeated id keeps it, later ones are rejected.

Ids repeat when the input says so: a JSONL id field with repeats, a tar that holds one member name
twice. Every later stage keys by id (dedup survivors, the packing plan, the output tables), so a
repeat must not get that far. "First" is the smallest origin key: (file or archive member, line or
member number, sha1 of the text) - a pure function of the input, whatever the worker order.

Memory: a combiner over (id -> count, smallest key) and a side input holding only the repeated ids.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam

from mathcorpus.document import Document, Rejection

REJECTED = "rejected"


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


def _split(doc: Document, repeated: dict):
    first = repeated.get(doc.id)
    if first is None or origin_key(doc) == first:
        yield doc
    else:
        yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
            doc, "sources", "duplicate_id", detail=f"id already used by {first[0]} #{first[1]}",
            duplicate_of=doc.id))


class UniqueIds(beam.PTransform):
    """Outputs ``documents`` (ids unique) and ``rejected`` (``duplicate_id``)."""

    def expand(self, docs):
        repeated = (docs
                    | "IdOrigin" >> beam.Map(lambda d: (d.id, origin_key(d)))
                    | "CountIds" >> beam.CombinePerKey(_CountAndFirst())
                    | "Repeated" >> beam.Filter(lambda kv: kv[1][0] > 1)
                    | "FirstOrigin" >> beam.Map(lambda kv: (kv[0], kv[1][1])))
        return docs | "KeepFirst" >> beam.FlatMap(_split, repeated=beam.pvalue.AsDict(repeated)).with_outputs(
            REJECTED, main="documents")
