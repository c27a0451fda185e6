"""Line-level dedup: lines repeated in many documents (license headers, generated banners, cookie
notices) are removed from every document; a document left blank is rejected as ``boilerplate``.

A line's key is a 64-bit hash of its stripped, lowercased text; each document counts a line once.
The scan pass writes the keys to its line key files by hash range (keyfiles.py: 8 bytes per distinct
line of each document, on disk); each range is counted on its own, so a worker holds one range's
keys. Only the keys of lines that reach ``min_documents`` become a side input (a sorted array).
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.batches import hash64
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.pipeline.ids import sorted_union
from mathcorpus.pipeline.keyfiles import PerRange
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


def strip_document(doc: Document, frequent: set[int], spec: LineDedupSpec) -> Verdict:
    """The document without its boilerplate lines, or its rejection when nothing else is left."""
    text, removed = strip_lines(doc.text, frequent, spec.min_chars)
    if not removed:
        return doc
    if not text.strip():
        return Rejection.of(doc, "dedup", "boilerplate", f"all {removed} non-blank lines are repeated across documents")
    return doc.replace(text=text, meta={**doc.meta, "boilerplate_lines_removed": removed})


def batch_line_keys(docs: list[Document], min_chars: int) -> np.ndarray:
    """Each document's distinct line keys, for a whole batch (counted once per document)."""
    return np.fromiter((k for d in docs for k in document_line_keys(d.text, min_chars)), dtype=np.uint64)


LINES = "lines"  # the key kind
RANGES = 16


def line_key_parts(keys: np.ndarray, ranges: int = RANGES):
    """(hash range, keys) for every range present."""
    which = keys % np.uint64(ranges)
    for r in np.unique(which).tolist():
        yield r, keys[which == r]


def _frequent_in_range(frames: list, min_documents: int):
    if frames:
        values, counts = np.unique(np.concatenate(frames), return_counts=True)
        frequent = values[counts >= min_documents]
        if len(frequent):
            yield frequent


class Boilerplate(beam.PTransform):
    """Scan receipts -> one sorted array (a singleton) of the line keys found in at least
    `min_documents` documents, counted range by range from the units' line key files."""

    def __init__(self, spec: LineDedupSpec, out_dir: str):
        super().__init__()
        self._spec, self._out_dir = spec, out_dir

    def expand(self, receipts):
        return (
            receipts
            | "PerRange" >> PerRange(self._out_dir, LINES, _frequent_in_range, self._spec.min_documents)
            | "AllFrequent" >> beam.combiners.ToList()
            | "Union" >> beam.Map(sorted_union)
        )
