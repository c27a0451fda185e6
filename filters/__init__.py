"""Filters keep or reject documents.

A filter is a plain object with ``setup()`` (load heavy state: parsers, models) and
``apply(doc) -> Document | Rejection``; it is tested without Beam. A filter may also have
``apply_batch(docs) -> list[verdict]`` (the classifier: one model call for many documents).
``ApplyFilter`` runs any filter as a Beam ParDo over batches of documents (batches.py) whose
heavy state loads once per worker in ``DoFn.setup``.
"""

from __future__ import annotations

import time

import apache_beam as beam

from mathcorpus.batches import REJECTED, emit_verdicts
from mathcorpus.workers import WorkerDoFn


class _FilterDoFn(WorkerDoFn):
    def __init__(self, doc_filter):
        self._filter = doc_filter
        # microseconds spent in the filter itself: the stage's own cost inside a pipeline, apart from Beam's
        self._busy = beam.metrics.Metrics.counter("mathcorpus", f"{doc_filter.stage}_busy_us")

    def setup(self):
        super().setup()
        self._filter.setup()
        apply_batch = getattr(self._filter, "apply_batch", None)
        self._apply_batch = apply_batch or (lambda docs: [self._filter.apply(d) for d in docs])

    def process(self, docs):
        start = time.perf_counter()
        verdicts = self._apply_batch(docs)
        self._busy.inc(int((time.perf_counter() - start) * 1e6))
        yield from emit_verdicts(verdicts)


class ApplyFilter(beam.PTransform):
    """Batches of documents -> ``documents`` (kept, possibly annotated) and ``rejected``, batched."""

    def __init__(self, doc_filter):
        super().__init__(label=f"Filter[{doc_filter.stage}]")
        self._filter = doc_filter

    def expand(self, batches):
        return batches | beam.ParDo(_FilterDoFn(self._filter)).with_outputs(REJECTED, main="documents")
