"""What dedup needs of a batch of documents, made where the texts are: exact hashes and band entries
(to the unit's key files, by hash range: keyfiles.py), and the unit's key spill (numbers, ids,
signatures or shingle sets) for verification and survivor ids.

``DedupKeys`` is used by the scan pass, or, with line dedup on, by the key pass after the boilerplate
lines are known (so that exact and near dedup see the cleaned text, as the recipe says).
"""

from __future__ import annotations

import numpy as np

from mathcorpus.document import Document
from mathcorpus.pipeline.dedup.exact import EXACT, exact_hashes, exact_parts
from mathcorpus.pipeline.dedup.lines import strip_document
from mathcorpus.pipeline.dedup.minhash import (
    batch_shingle_hashes,
    choose_bands,
    distinct_shingles,
    flat_signatures,
    permutations,
)
from mathcorpus.pipeline.dedup.near import BANDS, band_parts, has_ranks, survivor_rank
from mathcorpus.pipeline.dedup.verify import KEYS, shingle_rows
from mathcorpus.pipeline.keyfiles import KeyFiles
from mathcorpus.pipeline.spill import SpillWriter, read_spill, spill_path
from mathcorpus.recipe import DedupSpec
from mathcorpus.workers import WorkerDoFn


def bands_and_rows(minhash) -> tuple[int, int]:
    if minhash.bands:
        return minhash.bands, minhash.num_perm // minhash.bands
    return choose_bands(minhash.threshold, minhash.num_perm, minhash.false_negative_weight)


class DedupKeys:
    """Per work unit: ``start(unit)``, ``batch(docs, nums)`` for every batch, ``finish()`` -> the key
    files written ({kind: ranges}); ``abort()`` on failure."""

    def __init__(self, spec: DedupSpec, out_dir: str):
        self._spec, self._out_dir = spec, out_dir
        self._minhash = spec.minhash
        self._writer = None
        self._files: dict[str, KeyFiles] = {}

    def setup(self) -> None:
        if self._minhash:
            self._perms = permutations(self._minhash.num_perm)
            self._bands, self._rows = bands_and_rows(self._minhash)
            self._sets = self._minhash.verify_exact and self._minhash.verify_cutoff() is not None

    def start(self, unit: int) -> None:
        self._writer = SpillWriter(spill_path(self._out_dir, unit, KEYS))
        kinds = ([EXACT] if self._spec.exact else []) + ([BANDS] if self._minhash else [])
        self._files = {kind: KeyFiles(self._out_dir, kind, unit) for kind in kinds}

    def finish(self) -> dict[str, list[int]]:
        self._writer.close()
        self._writer = None
        return {kind: files.close() for kind, files in self._files.items()}

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.__exit__(RuntimeError, None, None)
            self._writer = None
        for files in self._files.values():
            files.abort()

    def batch(self, docs: list, nums: np.ndarray) -> None:
        if not len(docs):
            return
        spec, frame = self._spec, {"nums": nums, "ids": [d.id for d in docs]}
        if spec.exact:
            by_source = spec.normalize_by_source
            hi, lo = exact_hashes([d.text for d in docs], [by_source.get(d.source, spec.normalize) for d in docs])
            self._files[EXACT].write_parts(exact_parts(hi, lo, nums))
        if self._minhash:
            self._near(docs, nums, frame)
        self._writer.write(frame)

    def _near(self, docs: list, nums: np.ndarray, frame: dict) -> None:
        m, near = self._minhash, []
        for lo in range(0, len(docs), m.batch_size):
            part, part_nums = docs[lo : lo + m.batch_size], nums[lo : lo + m.batch_size]
            flat, sizes = batch_shingle_hashes([d.text for d in part], m.ngram, m.unit)
            sigs = flat_signatures(flat, sizes, self._perms)
            sets = distinct_shingles(flat, sizes) if self._sets else None
            # a text without a word has no shingle: its all-maximal signature would make every such
            # text one cluster; it has no near copy (exact dedup still sees it)
            at = np.flatnonzero(sizes)
            ranks = (
                np.array([survivor_rank(part[i], m.keep) for i in at.tolist()], dtype=np.float64)
                if has_ranks(m.keep)
                else None
            )
            self._files[BANDS].write_parts(
                band_parts(sigs[at], part_nums[at], ranks, self._bands, self._rows, m.hash_ranges)
            )
            near.append((part_nums[at], sigs[at], shingle_rows([sets[i] for i in at.tolist()]) if sets else None))
        frame["near_nums"] = np.concatenate([n for n, _, _ in near])
        frame["sigs"] = np.concatenate([s for _, s, _ in near])
        if self._sets:
            frame["sets"] = np.concatenate([s for _, _, s in near])


class KeyPassDoFn(WorkerDoFn):
    """With line dedup: unit index -> (unit, key files written), the dedup keys of its spilled
    documents once their boilerplate lines are removed (documents left blank make none: the apply
    pass rejects them)."""

    def __init__(self, spec: DedupSpec, out_dir: str, docs_spill: str):
        self._spec, self._out_dir, self._docs_spill = spec, out_dir, docs_spill

    def setup(self):
        super().setup()
        self._keys = DedupKeys(self._spec, self._out_dir)
        self._keys.setup()
        self._frequent = None

    def process(self, receipt, boilerplate: np.ndarray):
        unit = receipt[0]
        if self._frequent is None:
            self._frequent = set(boilerplate.tolist())
        self._keys.start(unit)
        try:
            for frame in read_spill(spill_path(self._out_dir, unit, self._docs_spill)):
                docs, nums = [], []
                for doc, num in zip(frame["docs"], frame["nums"].tolist()):
                    verdict = strip_document(doc, self._frequent, self._spec.lines)
                    if isinstance(verdict, Document):
                        docs.append(verdict)
                        nums.append(num)
                self._keys.batch(docs, np.array(nums, dtype=np.uint64))
            written = self._keys.finish()
        except BaseException:
            self._keys.abort()
            raise
        yield unit, written
