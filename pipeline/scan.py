"""The scan pass: per work unit, read the sources, run the filters, spill what is kept, emit keys.

    work unit -> read (sources/) -> filters (filters/) -> spill: kept documents and rejections (spill.py)
                                                       -> key files by hash range: id hashes, dedup keys
                                                          or line keys (keyfiles.py)
                                                       -> small records: package counts, held-back files, counts

A work unit is a group of a source's read units (files, byte ranges, row groups, archives), listed
from the recipe and the input alone: its index names its spill and output files and makes the first
half of its documents' numbers (docnums.py). Everything that leaves the unit through Beam is small: the
keys go to files that the global steps read range by range.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from mathcorpus.batches import batched, hashes64, split_verdicts
from mathcorpus.filters import filters_for, split_batch
from mathcorpus.filters.language.packages import is_pending, needed_shares, package_counts, package_key
from mathcorpus.pipeline import stats as S
from mathcorpus.pipeline.dedup.keys import DedupKeys
from mathcorpus.pipeline.dedup.lines import LINES, batch_line_keys, line_key_parts
from mathcorpus.pipeline.docnums import numbers
from mathcorpus.pipeline.ids import IDS, id_key_parts
from mathcorpus.pipeline.keyfiles import KeyFiles
from mathcorpus.pipeline.spill import SpillWriter, spill_path
from mathcorpus.recipe import Recipe
from mathcorpus.sources import read_unit, read_units
from mathcorpus.workers import WorkerDoFn

DOCS = "docs"  # the spill of kept documents and rejections
PACKAGES, PENDING, STATS = "packages", "pending", "stats"
# Read units per work unit, for kinds whose read unit is one document (a file, a paper); the others'
# read units already hold many documents.
UNITS_PER_WORK_UNIT = {"files": 256, "arxiv": 32}


@dataclass(frozen=True)
class WorkUnit:
    index: int
    source: int  # index of the source in the recipe
    reads: tuple  # read units of sources.read_unit


def work_units(recipe: Recipe) -> list[WorkUnit]:
    units: list[WorkUnit] = []
    for s, spec in enumerate(recipe.sources):
        reads = read_units(spec)
        per = UNITS_PER_WORK_UNIT.get(spec.kind, 1)
        for i in range(0, len(reads), per):
            units.append(WorkUnit(len(units), s, tuple(reads[i : i + per])))
    return units


class ScanDoFn(WorkerDoFn):
    """WorkUnit -> main: the unit's receipt (index, {key kind: ranges of the key files written}) once
    its spill and key files are complete; tagged: package counts, held-back files, counts."""

    def __init__(self, recipe: Recipe, out_dir: str, dedup_here: bool):
        self._recipe, self._out_dir, self._dedup_here = recipe, out_dir, dedup_here

    def setup(self):
        super().setup()
        self._filters = filters_for(self._recipe)
        for f in self._filters:
            f.setup()
        # microseconds inside each filter: a stage's own cost within the run, apart from Beam's
        self._busy = {f.stage: Metrics.counter("mathcorpus", f"{f.stage}_busy_us") for f in self._filters}
        rules = self._filters[0].rules  # the language filter's
        self._package_languages = set(needed_shares(rules))
        self._keys = DedupKeys(self._recipe.dedup, self._out_dir) if self._dedup_here else None
        if self._keys:
            self._keys.setup()
        lines = self._recipe.dedup.lines if self._recipe.dedup else None
        self._line_chars = lines.min_chars if lines else None

    def process(self, unit: WorkUnit):
        spec = self._recipe.sources[unit.source]
        stats, position = S.Stats(), 0
        files = {IDS: KeyFiles(self._out_dir, IDS, unit.index)}
        if self._line_chars is not None:
            files[LINES] = KeyFiles(self._out_dir, LINES, unit.index)
        if self._keys:
            self._keys.start(unit.index)
        try:
            with SpillWriter(spill_path(self._out_dir, unit.index, DOCS)) as spill:
                reads = (v for r in unit.reads for v in read_unit(r, spec))
                for verdicts in batched(reads):
                    docs, rejected = split_verdicts(verdicts)
                    stats.add((S.INPUT, spec.name), len(verdicts))
                    nums = numbers(unit.index, position, len(docs))
                    position += len(docs)
                    if docs:
                        files[IDS].write_parts(id_key_parts(hashes64(d.id for d in docs), nums))
                    docs, nums, rejected = yield from self._filter(docs, list(nums), rejected)
                    nums = np.array(nums, dtype=np.uint64)
                    for r in rejected:
                        if r.stage != "sources":
                            stats.add((S.LANG_DROPPED, r.language, r.reason), 1, S.utf8_len(r.text))
                    spill.write({"nums": nums, "docs": docs, "rejected": rejected})
                    if docs and LINES in files:
                        files[LINES].write_parts(line_key_parts(batch_line_keys(docs, self._line_chars)))
                    if docs and self._keys:
                        self._keys.batch(docs, nums)
            written = {kind: f.close() for kind, f in files.items()}
            if self._keys:
                written.update(self._keys.finish())
        except BaseException:
            for f in files.values():
                f.abort()
            if self._keys:
                self._keys.abort()
            raise
        for item in stats.items():
            yield pvalue.TaggedOutput(STATS, item)
        yield unit.index, written

    def _filter(self, docs: list, nums: list, rejected: list):
        """Every filter over one batch; the language stage's package counts and held-back files are
        emitted on the way (a generator's return value: kept, their numbers, all rejections)."""
        for doc_filter in self._filters:
            if not docs:
                break
            start = time.perf_counter()
            docs, nums, dropped = split_batch(doc_filter, docs, nums)
            self._busy[doc_filter.stage].inc(int((time.perf_counter() - start) * 1e6))
            rejected = rejected + dropped
            if doc_filter is self._filters[0] and self._package_languages:
                for item in package_counts(docs + dropped, self._package_languages):
                    yield pvalue.TaggedOutput(PACKAGES, item)
                for doc, num in zip(docs, nums):
                    if is_pending(doc):
                        yield pvalue.TaggedOutput(PENDING, (int(num), package_key(doc), doc.language))
        return docs, nums, rejected
