"""Batches and the worker settings."""

from __future__ import annotations

from mathcorpus.batches import batched


def test_batches_are_bounded_by_count_and_text():
    items = ["x" * n for n in (5, 5, 5, 20, 1, 1)]
    assert [len(b) for b in batched(items, max_items=2, max_chars=100, size=len)] == [2, 2, 2]
    assert [len(b) for b in batched(items, max_items=10, max_chars=12, size=len)] == [2, 1, 1, 2]


def test_worker_allocator_tuning_is_set_on_glibc_and_repeatable():
    import platform

    from mathcorpus.workers import tune_allocator

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tune_allocator() is expected and tune_allocator() is expected
