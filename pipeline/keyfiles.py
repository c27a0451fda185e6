"""Key files: how the keys of the global steps reach them without crossing a Beam shuffle.

Every key kind (id hashes, exact hashes, band hashes, line hashes) is split by hash range where it is
made: each work unit appends its keys of range r to its own spill file ``<kind>-<unit>-r<r>``, a
uint64 array per frame. A global step then runs once per range, reading that range's files of every
unit, so a worker holds 1/ranges of one key kind at a time (datatrove's MinHash stages meet the same
way, through files). What crosses Beam is the list of files each unit wrote (a receipt per unit) and
the step's decisions, never the keys themselves: the local runner keeps a stage's whole input in
memory, and the keys grow with the corpus.
"""

from __future__ import annotations

from typing import Iterator

import apache_beam as beam
import numpy as np

from mathcorpus import storage
from mathcorpus.pipeline.spill import SPILL_DIR, SpillWriter, read_spill


def key_path(out_dir: str, kind: str, unit: int, key_range: int) -> str:
    return storage.join(out_dir, SPILL_DIR, f"{kind}-{unit:06d}-r{key_range:03d}.zst")


class KeyFiles:
    """One work unit's files of one key kind: ``write(range, rows)`` as often as keys come,
    ``close()`` -> the ranges written (sorted)."""

    def __init__(self, out_dir: str, kind: str, unit: int):
        self._out_dir, self.kind, self._unit = out_dir, kind, unit
        self._writers: dict[int, SpillWriter] = {}

    def write(self, key_range: int, rows: np.ndarray) -> None:
        writer = self._writers.get(key_range)
        if writer is None:
            writer = self._writers[key_range] = SpillWriter(key_path(self._out_dir, self.kind, self._unit, key_range))
        writer.write(rows)

    def write_parts(self, parts) -> None:
        for key_range, rows in parts:
            self.write(key_range, rows)

    def close(self) -> list[int]:
        for writer in self._writers.values():
            writer.close()
        return sorted(self._writers)

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.__exit__(RuntimeError, None, None)
        self._writers = {}


def read_range(out_dir: str, kind: str, units: list[int], key_range: int) -> Iterator[np.ndarray]:
    """Every frame of one range's files, unit by unit."""
    for unit in units:
        yield from read_spill(key_path(out_dir, kind, unit, key_range))


def ranges_of(receipts: list, kind: str) -> list[tuple[int, list[int]]]:
    """(range, the units that wrote it) from the units' receipts ((unit, {kind: ranges}))."""
    by_range: dict[int, list[int]] = {}
    for unit, written in sorted(receipts, key=lambda r: r[0]):
        for key_range in written.get(kind, ()):
            by_range.setdefault(key_range, []).append(unit)
    return sorted(by_range.items())


class PerRange(beam.PTransform):
    """Receipts -> `decide(rows of one range, *side)` for every range of one key kind that some unit
    wrote, on as many workers as there are ranges; `decide` reads nothing else and yields results."""

    def __init__(self, out_dir: str, kind: str, decide, *side):
        super().__init__()
        self._out_dir, self._kind, self._decide, self._side = out_dir, kind, decide, side

    def expand(self, receipts):
        out_dir, kind, decide = self._out_dir, self._kind, self._decide

        def run(range_units, *side):
            key_range, units = range_units
            yield from decide(list(read_range(out_dir, kind, units, key_range)), *side)

        return (
            receipts
            | "AllReceipts" >> beam.combiners.ToList()
            | "Ranges" >> beam.FlatMap(ranges_of, kind)
            | "SpreadRanges" >> beam.Reshuffle()
            | "Decide" >> beam.FlatMap(run, *self._side)
        )
