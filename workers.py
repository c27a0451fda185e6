"""What a pipeline worker process sets once: the cyclic garbage collector's thresholds and, with
glibc, when malloc maps and unmaps memory.

Python runs a full collection, which walks every live object, every 100 young collections; a worker
allocates per document (records, verdicts, the classifier's lines) while it holds batches in flight,
so with the defaults those walks cost more the more work is under way. Documents and verdicts hold no
reference cycles, so collecting less often only frees the rare cyclic garbage a little later.

glibc's malloc serves blocks above its mmap threshold with freshly mapped memory and unmaps them on
free, and gives free memory at the top of its heap back above a trim threshold; either way the next
block of that size is new zeroed memory, faulted in a page at a time. A worker allocates and frees
blocks of megabytes all the time (batches, NumPy arrays over a batch, Arrow row groups), so higher
thresholds let the process reuse freed memory instead (figures: bench/dedup.py, docs/benchmarks.md).
Up to ``MALLOC_TRIM_THRESHOLD`` of free heap may stay with the process. ``tune_allocator`` overrides
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
