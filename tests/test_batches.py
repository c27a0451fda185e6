"""Batches: how documents cross Beam's boundaries."""

from __future__ import annotations

import pickle

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from mathcorpus.batches import RECORD_OVERHEAD_BYTES, Batch
from mathcorpus.document import Document

PICKLED = []


class CountedBatch(Batch):
    """A Batch that records each time it is pickled."""

    __slots__ = ()

    def __reduce__(self):
        PICKLED.append(len(self))
        return CountedBatch, (list(self),)


def _docs(n: int, prefix: str = "d") -> list[Document]:
    return [Document(id=f"{prefix}{i}", text="x" * (100 + i), source="s") for i in range(n)]


def test_a_batch_pickles_whole_and_round_trips():
    batch = Batch(_docs(3))
    back = pickle.loads(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
    assert type(back) is Batch and back == batch


def test_beam_takes_a_batch_size_estimate_without_encoding_it():
    """Beam samples the encoded size of PCollection elements for its metrics; a fused stage's batches
    are never materialized, and must not be pickled just to be measured."""
    PICKLED.clear()
    with beam.Pipeline() as p:
        documents = (p
                     | beam.Create([0, 1, 2])
                     | beam.FlatMap(lambda i: [CountedBatch(_docs(50, f"b{i}-{j}-")) for j in range(20)])
                     | beam.Map(len)
                     | beam.CombineGlobally(sum))
        assert_that(documents, equal_to([3 * 20 * 50]))
    assert PICKLED == []
    batch = Batch(_docs(4))
    seen = []
    batch.register_observer(lambda value, is_encoded=False: seen.append((len(value), is_encoded)))
    assert seen == [(sum(len(d.text) for d in batch) + 4 * RECORD_OVERHEAD_BYTES, True)]


def test_worker_allocator_tuning_is_set_on_glibc_and_repeatable():
    import platform

    from mathcorpus.workers import tune_allocator

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tune_allocator() is expected and tune_allocator() is expected
