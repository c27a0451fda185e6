"""The apply pass: per work unit, read the unit's spill back and apply every global decision, then
decontaminate, write the unit's table files and encode its kept documents.

    spill frame -> later id copies (ids.py) -> held-back files (their package's share) -> boilerplate
    lines -> dedup removals (this unit's, joined by unit) -> decontaminate -> documents/part-NNNNN,
    rejected/part-NNNNN, token spill -> small records: counts, hits, dedup records, token lengths

The decisions arrive as side inputs (small sorted arrays and dicts) and as this unit's removals; the
texts come from the spill only.
"""

from __future__ import annotations

import numpy as np
from apache_beam import pvalue

from mathcorpus.batches import batched
from mathcorpus.document import Document, Rejection
from mathcorpus.filters.language import LanguageFilter
from mathcorpus.filters.language.packages import is_pending, pending_verdict
from mathcorpus.pipeline import stats as S
from mathcorpus.pipeline.decontaminate import decontaminate_document
from mathcorpus.pipeline.dedup import removal_rejection
from mathcorpus.pipeline.dedup.lines import strip_document
from mathcorpus.pipeline.docnums import member, position_of
from mathcorpus.pipeline.ids import duplicate_id
from mathcorpus.pipeline.scan import DOCS
from mathcorpus.pipeline.sinks import TableWriter
from mathcorpus.pipeline.spill import read_spill, spill_path
from mathcorpus.pipeline.tokenize.encode import Encoder
from mathcorpus.pipeline.tokenize.spill import TokenSpillWriter, token_spill_path
from mathcorpus.recipe import Recipe
from mathcorpus.workers import WorkerDoFn

HITS, LENGTHS, STATS = "hits", "lengths", "stats"


class ApplyDoFn(WorkerDoFn):
    """(unit, {"unit": [index], "removed": [[(position, reason, survivor id)]]}) -> tagged small records."""

    def __init__(self, recipe: Recipe, out_dir: str):
        self._recipe, self._out_dir = recipe, out_dir

    def setup(self):
        super().setup()
        self._rules = LanguageFilter(self._recipe.filters.language).rules
        tok = self._recipe.tokenize
        self._encoder = Encoder.from_spec(tok) if tok else None
        self._frequent: set | None = None

    def process(self, keyed, later_ids: np.ndarray, shares: dict, boilerplate=None, index=None, formal=None):
        unit, grouped = keyed
        if not list(grouped["unit"]):
            raise RuntimeError(f"work unit {unit}: dedup decisions for a unit the scan did not finish")
        removed = {pos: (reason, keeper) for part in grouped["removed"] for pos, reason, keeper in part}
        if boilerplate is not None and self._frequent is None:
            self._frequent = set(boilerplate.tolist())
        stats = S.Stats()
        tables = {name: TableWriter(self._out_dir, name, unit) for name in ("documents", "rejected")}
        tokens = (
            TokenSpillWriter(token_spill_path(self._out_dir, unit), self._recipe.tokenize.numbers == "xval")
            if self._encoder
            else None
        )
        try:
            for frame in read_spill(spill_path(self._out_dir, unit, DOCS)):
                kept, rejected = self._decide(frame, later_ids, shares, removed)
                kept, rejected, hits = self._decontaminate(kept, rejected, index, formal)
                yield from (pvalue.TaggedOutput(HITS, h) for h in hits)
                tables["documents"].write(kept)
                tables["rejected"].write(rejected)
                self._count(kept, rejected, frame["rejected"], stats)
                if tokens is not None:
                    self._encode(kept, rejected, tokens, stats)
            for table in tables.values():
                table.close()
            if tokens is not None:
                yield pvalue.TaggedOutput(LENGTHS, (unit, tokens.close()))
        except BaseException:
            for table in tables.values():
                table.abort()
            if tokens is not None:
                tokens.abort()
            raise
        for item in stats.items():
            yield pvalue.TaggedOutput(STATS, item)

    def _decide(self, frame: dict, later_ids: np.ndarray, shares: dict, removed: dict):
        docs, nums = frame["docs"], frame["nums"]
        rejected = list(frame["rejected"])
        is_later = member(nums, later_ids)
        kept = []
        lines = self._recipe.dedup.lines if self._recipe.dedup else None
        for doc, num, later in zip(docs, nums.tolist(), is_later.tolist()):
            verdict = duplicate_id(doc) if later else doc
            if isinstance(verdict, Document) and is_pending(verdict):
                verdict = pending_verdict(verdict, shares, self._rules)
            if isinstance(verdict, Document) and self._frequent:
                verdict = strip_document(verdict, self._frequent, lines)
            if isinstance(verdict, Document) and position_of(num) in removed:
                verdict = removal_rejection(verdict, *removed[position_of(num)])
            (rejected if isinstance(verdict, Rejection) else kept).append(verdict)
        return kept, rejected

    def _decontaminate(self, kept: list, rejected: list, index, formal):
        if index is None:
            return kept, rejected, []
        spec, out, hits = self._recipe.decontaminate, [], []
        for doc in kept:
            verdict, doc_hits = decontaminate_document(doc, index, formal, spec)
            hits.extend(doc_hits)
            (rejected if isinstance(verdict, Rejection) else out).append(verdict)
        return out, rejected, hits

    @staticmethod
    def _count(kept: list, rejected: list, scanned: list, stats: S.Stats) -> None:
        for doc in kept:
            stats.add((S.KEPT, doc.source), 1)
            stats.add((S.LANG_KEPT, doc.language), 1, S.utf8_len(doc.text))
            if "analysis" in doc.meta:
                stats.add((S.ANALYSIS, doc.language, doc.meta["analysis"]), 1)
        for r in rejected:
            stats.add((S.DROPPED, r.source, r.reason), 1)
            if r.stage == "dedup":
                stats.add((S.DEDUP, r.reason, r.source), 1, S.utf8_len(r.text))
        for r in rejected[len(scanned) :]:  # the scan pass counted its own by language
            if r.stage != "sources":
                stats.add((S.LANG_DROPPED, r.language, r.reason), 1, S.utf8_len(r.text))

    def _encode(self, kept: list, rejected: list, tokens: TokenSpillWriter, stats: S.Stats) -> None:
        size = self._recipe.tokenize.batch_size
        for part in batched(kept, size):
            for doc, (ids, values) in zip(part, self._encoder.encode([d.text for d in part])):
                tokens.write(doc.id, ids, values)
                stats.add((S.TOKENS, doc.source, doc.language or "unknown"), 1, len(ids))
        if not self._recipe.tokenize.count_dropped:
            return
        counted = [r for r in rejected if r.stage != "sources"]
        for part in batched(counted, size):
            texts = [r.text or "" for r in part]
            lengths = iter([len(ids) for ids, _ in self._encoder.encode([t for t in texts if t])])
            for r, text in zip(part, texts):
                stats.add((S.DROPPED_TOKENS, r.language, r.reason), 1, next(lengths) if text else 0)
