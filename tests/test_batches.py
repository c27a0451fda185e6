"""Batches and the worker settings: reading in batches, and repeated hashes found as arrays."""

from __future__ import annotations

import apache_beam as beam
import numpy as np
from apache_beam.testing.util import assert_that, equal_to

from mathcorpus.batches import RepeatedHashes, batched


def test_batches_are_bounded_by_count_and_text():
    items = ["x" * n for n in (5, 5, 5, 20, 1, 1)]
    assert [len(b) for b in batched(items, max_items=2, max_chars=100, size=len)] == [2, 2, 2]
    assert [len(b) for b in batched(items, max_items=10, max_chars=12, size=len)] == [2, 1, 1, 2]


def test_repeated_hashes_are_found_across_elements():
    with beam.Pipeline() as p:
        arrays = p | beam.Create(
            [np.array([1, 2, 3], np.uint64), np.array([3, 4, 1], np.uint64), np.array([1], np.uint64)]
        )
        twice = arrays | "Twice" >> RepeatedHashes(lambda a: a, min_count=2)
        thrice = arrays | "Thrice" >> RepeatedHashes(lambda a: a, min_count=3)
        assert_that(twice | "L2" >> beam.Map(lambda a: a.tolist()), equal_to([[1, 3]]), label="twice")
        assert_that(thrice | "L3" >> beam.Map(lambda a: a.tolist()), equal_to([[1]]), label="thrice")


def test_worker_allocator_tuning_is_set_on_glibc_and_repeatable():
    import platform

    from mathcorpus.workers import tune_allocator

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tune_allocator() is expected and tune_allocator() is expected
