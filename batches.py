"""Documents travel between stages in batches: Beam's per-element cost is paid per batch.

Every PCollection of documents (and of rejections) in the run holds lists: a source emits lists of up
to ``BATCH_DOCS`` documents (or about ``BATCH_TEXT_CHARS`` of text), and every stage maps one list to
a list of kept documents and a list of rejections, emitting no empty lists. In the DirectRunner one
element costs tens of microseconds through a dozen transforms; one list of 512 costs the same.

Keys that must be compared across the whole corpus (document ids, exact-text hashes, boilerplate lines)
are found in two passes that move numbers, not strings: ``RepeatedHashes`` finds the 64-bit hashes that
occur at least N times (arrays grouped by hash range, counted with a sort), then only the documents
whose hash repeats - the rare suspects - travel one element each to be confirmed on the full key.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from typing import Callable, Iterable, Iterator

import apache_beam as beam
import numpy as np
from apache_beam.coders.observable import ObservableMixin

from mathcorpus.document import Rejection

REJECTED = "rejected"
BATCH_DOCS = 512
BATCH_TEXT_CHARS = 8 << 20


class _EncodedSize:
    """Stands for encoded bytes of a given length (all a size observer reads of them)."""

    __slots__ = ("_n",)

    def __init__(self, n: int):
        self._n = n

    def __len__(self) -> int:
        return self._n


def text_length(record) -> int:
    """Characters of a record's text (0 for a record without one)."""
    return len(getattr(record, "text", None) or "")


RECORD_OVERHEAD_BYTES = 120  # a pickled Document's fields besides its text (id, source, path, meta ...)


class Batch(list, ObservableMixin):
    """A list of records that crosses Beam's shuffles and materializations as ONE pickle. Beam's default
    coder (FastPrimitivesCoder) walks a plain ``list`` element by element and pickles each Document on
    its own (one ``pickle.dumps`` call per document per stage boundary); for any other type it pickles
    the value whole, in one C call.

    Beam also samples the encoded size of the elements of every PCollection for its metrics, by
    encoding them: the first ten of each output and then about 10/N, which for a few hundred batches
    is most of them - a full pickle of most batches at every stage, even where nothing is
    materialized (6 s of a 35 s dedup run at 100k documents). An ``ObservableMixin`` value is Beam's
    case of a large value whose size is reported to observers rather than measured; a batch reports
    an estimate at once (its texts' lengths plus a fixed overhead per record) and is never encoded
    for it."""

    __slots__ = ()

    def __reduce__(self):
        return Batch, (list(self),)

    def estimated_bytes(self) -> int:
        return sum(map(text_length, self)) + RECORD_OVERHEAD_BYTES * len(self)

    def register_observer(self, callback) -> None:
        # Beam's size sampler (opcounters.OutputCounter) registers a callback that adds the length
        # of each encoded part an observable reports
        callback(_EncodedSize(self.estimated_bytes()), is_encoded=True)


def packed(items: Iterable) -> bytes:
    """Items as one pickle, for a value that crosses a GroupByKey. The DirectRunner's grouping buffer
    decodes every value it is sent and encodes it again for the reader: two more pickle passes over
    every document of a shuffled batch, where bytes cost it a copy (its re-encoding went from 0.67 to
    0.29 s for the documents table at 100k documents of 2 KB, in py-spy)."""
    return pickle.dumps(list(items), protocol=pickle.HIGHEST_PROTOCOL)


def unpacked(parts: Iterable[bytes]) -> list:
    """The items of `packed` parts, in order."""
    return [item for part in parts for item in pickle.loads(part)]


def batched(items: Iterable, max_items: int = BATCH_DOCS, max_chars: int = BATCH_TEXT_CHARS,
            size: Callable = text_length) -> Iterator[list]:
    """Lists of at most `max_items` items and about `max_chars` of text (a longer item goes alone)."""
    batch, chars = [], 0
    for item in items:
        n = size(item)
        if batch and (len(batch) >= max_items or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += n
    if batch:
        yield batch


def split_verdicts(verdicts: Iterable) -> tuple[list, list]:
    kept, rejected = [], []
    for v in verdicts:
        (rejected if isinstance(v, Rejection) else kept).append(v)
    return kept, rejected


def emit(kept: list, rejected: list = ()):
    """A stage's outputs for one batch: the kept list (main) and the rejections (tagged), never empty."""
    if kept:
        yield Batch(kept)
    if rejected:
        yield beam.pvalue.TaggedOutput(REJECTED, Batch(rejected))


def emit_verdicts(verdicts: Iterable):
    yield from emit(*split_verdicts(verdicts))


def hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def hashes64(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((hash64(t) for t in texts), dtype=np.uint64)


def count_by(batches, label: str, keys: Callable[[list], Iterable]):
    """(key, number of items) over batches; `keys(batch)` gives one key per counted item. `batches`
    may be a list of PCollections: each is counted where it is made and only the (key, count) pairs
    are flattened (a Flatten of the batches themselves would make the DirectRunner write every
    document of its inputs out and read it back, just to be counted)."""
    def count(batch):
        return Counter(keys(batch)).items()

    if isinstance(batches, (list, tuple)):
        counted = ([pcoll | f"{label}Keys{i}" >> beam.FlatMap(count) for i, pcoll in enumerate(batches)]
                   | f"{label}All" >> beam.Flatten())
    else:
        counted = batches | f"{label}Keys" >> beam.FlatMap(count)
    return counted | f"{label}Count" >> beam.CombinePerKey(sum)


def unbatch(batches, label: str):
    return batches | label >> beam.FlatMap(lambda batch: batch)


def _hash_ranges(batch, hashes_of: Callable, ranges: int):
    hashes = np.asarray(hashes_of(batch), dtype=np.uint64)
    if not len(hashes):
        return
    which = hashes % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, hashes[which == r]


def _repeated_in_range(keyed, min_count: int) -> Iterator[np.ndarray]:
    _, parts = keyed
    values, counts = np.unique(np.concatenate(list(parts)), return_counts=True)
    repeated = values[counts >= min_count]
    if len(repeated):
        yield repeated


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)


class RepeatedHashes(beam.PTransform):
    """Batches -> one sorted uint64 array (a singleton) of the hashes `hashes_of(batch)` gives at least
    `min_count` times over the whole input. Shuffled as arrays grouped by hash range; a range's group
    holds 8 bytes per hash of that range, and the result 8 bytes per repeated hash (on every worker)."""

    def __init__(self, hashes_of: Callable[[list], np.ndarray], min_count: int = 2, ranges: int = 16):
        super().__init__()
        self._hashes_of, self._min_count, self._ranges = hashes_of, min_count, ranges

    def expand(self, batches):
        return (batches
                | "HashRanges" >> beam.FlatMap(_hash_ranges, self._hashes_of, self._ranges)
                | "GroupByRange" >> beam.GroupByKey()
                | "Repeated" >> beam.FlatMap(_repeated_in_range, self._min_count)
                | "AllRepeated" >> beam.combiners.ToList()
                | "Union" >> beam.Map(_sorted_union))


def is_member(hashes: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which of `hashes` are in the sorted array `sorted_set`."""
    if not len(sorted_set) or not len(hashes):
        return np.zeros(len(hashes), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, hashes), len(sorted_set) - 1)
    return sorted_set[at] == hashes
