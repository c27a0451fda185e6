"""What a pipeline worker process sets once: the cyclic garbage collector's thresholds and, with
glibc, when malloc maps and unmaps memory.

Python runs a collection every 700 net allocations of container objects and, every 100 of those, a
full one that walks every live object of the process. A worker allocates per document (records,
verdicts, the classifier's lines) while it holds batches in flight, so those walks cost more the more
work is under way: with the defaults, the classifier stage ran at 0.53-0.65x bare fastText inside a
DirectRunner pipeline, with (10000, 20, 100) at 0.62-0.74x, and a 100k-document dedup run took 7%
less time (bench/classifier.py, bench/dedup.py). Documents and verdicts hold no reference cycles, so
collecting less often only frees the rare cyclic garbage (Beam's and the libraries') a little later.

glibc's malloc serves a block above its mmap threshold (128 KB, rising to at most 32 MB as such
blocks are freed) with freshly mapped memory and unmaps it on free, and gives free memory at the top
of its heap back to the OS above a trim threshold; either way the next block of that size is new
zeroed memory, faulted in a page at a time. A worker allocates and frees blocks of megabytes to
hundreds of megabytes all the time (pickled batches, Beam's buffers of a stage's input, NumPy arrays
over a batch): a 100k-document dedup run took ~1.35M page faults. With the mmap threshold at 256 MB
and the trim threshold at 1 GB it took ~0.83M and ~0.8 s (4%) less time, at the same peak RSS
(bench/dedup.py's recipe, A/B): freed memory is reused by the process instead of being returned and
faulted in again. Up to 1 GB of free heap may stay with the process. ``tune_allocator`` overrides
glibc's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ environment variables.

Every DoFn of ours that does per-document work calls ``tune_collector()`` and ``tune_allocator()``
in ``setup`` (WorkerDoFn; a remote runner's worker process runs only the pipeline); ``run_recipe``
sets the same GC thresholds for the duration of an in-process run and gives the caller's process its
own back afterwards (malloc's settings cannot be read back: they stay).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import sys

import apache_beam as beam

GC_THRESHOLDS = (10_000, 20, 100)


MALLOC_MMAP_THRESHOLD = 256 << 20
MALLOC_TRIM_THRESHOLD = 1 << 30
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def tune_collector() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


@functools.cache
def tune_allocator() -> bool:
    """Set glibc malloc's mmap and trim thresholds (see above), once per process; True if they were
    set. Nothing on other C libraries and systems."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt worth calling
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD))


@contextlib.contextmanager
def collector_tuned():
    """GC_THRESHOLDS while the block runs, the process's own thresholds after; the malloc thresholds
    from then on."""
    before = gc.get_threshold()
    tune_collector()
    tune_allocator()  # before the runner allocates its first buffers (and it cannot be undone)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class WorkerDoFn(beam.DoFn):
    """A DoFn whose worker process gets GC_THRESHOLDS and the malloc thresholds (subclasses call
    ``super().setup()``)."""

    def setup(self):
        tune_collector()
        tune_allocator()
