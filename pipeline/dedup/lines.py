"""Line-level dedup: lines repeated in many documents (license headers, generated banners, cookie
notices) are removed from every document; a document left blank is rejected as ``boilerplate``.

A line's key is a 64-bit hash of its stripped, lowercased text; each document counts a line once.
The keys are counted as arrays grouped by hash range (``RepeatedHashes``: 8 bytes per distinct line of a
document, distributed over the ranges); only the keys of lines that reach ``min_documents`` become a
side input (a sorted array), so memory is bounded by the number of boilerplate lines.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.document import Document, Rejection
from mathcorpus.batches import REJECTED, RepeatedHashes, emit, hash64
from mathcorpus.recipe import LineDedupSpec


def line_key(line: str) -> int:
    return hash64(line.strip().lower())


def document_line_keys(text: str, min_chars: int) -> set[int]:
    return {line_key(line) for line in text.splitlines() if len(line.strip()) >= min_chars}


def strip_lines(text: str, boilerplate: set[int], min_chars: int) -> tuple[str, int]:
    """The text without its boilerplate lines (line endings kept), and how many were removed."""
    kept, removed = [], 0
    for line in text.splitlines(keepends=True):
        if len(line.strip()) >= min_chars and line_key(line) in boilerplate:
            removed += 1
        else:
            kept.append(line)
    return "".join(kept), removed


def strip_batch(batch: list[Document], boilerplate: np.ndarray, spec: LineDedupSpec):
    if not len(boilerplate):
        yield from emit(batch)
        return
    frequent = set(boilerplate.tolist())
    kept, rejected = [], []
    for doc in batch:
        text, removed = strip_lines(doc.text, frequent, spec.min_chars)
        if not removed:
            kept.append(doc)
        elif not text.strip():
            rejected.append(Rejection.of(doc, "dedup", "boilerplate",
                                         f"all {removed} non-blank lines are repeated across documents"))
        else:
            kept.append(doc.replace(text=text, meta={**doc.meta, "boilerplate_lines_removed": removed}))
    yield from emit(kept, rejected)


def _batch_line_keys(batch: list[Document], min_chars: int) -> np.ndarray:
    return np.fromiter((k for d in batch for k in document_line_keys(d.text, min_chars)), dtype=np.uint64)


class LineDedup(beam.PTransform):
    def __init__(self, spec: LineDedupSpec):
        super().__init__()
        self._spec = spec

    def expand(self, batches):
        spec = self._spec
        boilerplate = batches | "FrequentLines" >> RepeatedHashes(
            lambda batch: _batch_line_keys(batch, spec.min_chars), spec.min_documents)
        return batches | "StripBoilerplate" >> beam.FlatMap(
            strip_batch, boilerplate=beam.pvalue.AsSingleton(boilerplate), spec=spec
        ).with_outputs(REJECTED, main="documents")
