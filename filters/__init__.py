"""Filters keep or reject documents one at a time.

A filter is a plain object with ``setup()`` (load heavy state: parsers, models) and
``apply(doc) -> Document | Rejection``; it is tested without Beam. ``ApplyFilter`` runs any filter as
a Beam ParDo whose heavy state loads once per worker in ``DoFn.setup``. A filter that also has
``apply_batch(docs) -> list[verdict]`` (the classifier: one model call for many documents) gets its
documents in batches (``BatchElements``).
"""

from __future__ import annotations

import time

import apache_beam as beam

from mathcorpus.document import Rejection

REJECTED = "rejected"


class _FilterDoFn(beam.DoFn):
    def __init__(self, doc_filter):
        self._filter = doc_filter

    def setup(self):
        self._filter.setup()

    def process(self, doc):
        verdict = self._filter.apply(doc)
        if isinstance(verdict, Rejection):
            yield beam.pvalue.TaggedOutput(REJECTED, verdict)
        else:
            yield verdict


class _BatchFilterDoFn(_FilterDoFn):
    def __init__(self, doc_filter):
        super().__init__(doc_filter)
        # microseconds spent in apply_batch: the stage's own cost inside a pipeline, apart from Beam's
        self._busy = beam.metrics.Metrics.counter("mathcorpus", f"{doc_filter.stage}_busy_us")

    def process(self, docs):
        start = time.perf_counter()
        verdicts = self._filter.apply_batch(docs)
        self._busy.inc(int((time.perf_counter() - start) * 1e6))
        for verdict in verdicts:
            if isinstance(verdict, Rejection):
                yield beam.pvalue.TaggedOutput(REJECTED, verdict)
            else:
                yield verdict


class ApplyFilter(beam.PTransform):
    """Outputs ``documents`` (kept, possibly annotated) and ``rejected``."""

    def __init__(self, doc_filter):
        super().__init__(label=f"Filter[{doc_filter.stage}]")
        self._filter = doc_filter

    def expand(self, docs):
        if hasattr(self._filter, "apply_batch"):
            return (docs
                    | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=512)
                    | beam.ParDo(_BatchFilterDoFn(self._filter)).with_outputs(REJECTED, main="documents"))
        return docs | beam.ParDo(_FilterDoFn(self._filter)).with_outputs(REJECTED, main="documents")
