"""What a pipeline worker process sets once: the cyclic garbage collector's thresholds.

Python runs a collection every 700 net allocations of container objects and, every 100 of those, a
full one that walks every live object of the process. A worker allocates per document (records,
verdicts, the classifier's lines) while it holds batches in flight, so those walks cost more the more
work is under way: with the defaults, the classifier stage ran at 0.53-0.65x bare fastText inside a
DirectRunner pipeline, with (10000, 20, 100) at 0.62-0.74x, and a 100k-document dedup run took 7%
less time (bench/classifier.py, bench/dedup.py). Documents and verdicts hold no reference cycles, so
collecting less often only frees the rare cyclic garbage (Beam's and the libraries') a little later.

Every DoFn of ours that does per-document work calls ``tune_collector()`` in ``setup`` (a remote
runner's worker process runs only the pipeline); ``run_recipe`` sets the same thresholds for the
duration of an in-process run and gives the caller's process its own back afterwards.
"""

from __future__ import annotations

import contextlib
import gc

import apache_beam as beam

GC_THRESHOLDS = (10_000, 20, 100)


def tune_collector() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.contextmanager
def collector_tuned():
    """GC_THRESHOLDS while the block runs, the process's own thresholds after."""
    before = gc.get_threshold()
    tune_collector()
    try:
        yield
    finally:
        gc.set_threshold(*before)


class WorkerDoFn(beam.DoFn):
    """A DoFn whose worker process gets GC_THRESHOLDS (subclasses call ``super().setup()``)."""

    def setup(self):
        tune_collector()
