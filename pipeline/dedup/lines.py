"""Line-level dedup: lines repeated in many documents (license headers, generated banners, cookie
notices) are removed from every document; a document left blank is rejected as ``boilerplate``.

A line's key is the SHA-1 of its stripped, lowercased text; each document counts a line once. The
counts are a Beam combiner over all distinct lines (distributed); only the keys of lines that reach
``min_documents`` become a side input, so memory is bounded by the number of boilerplate lines.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam

from mathcorpus.document import Document, Rejection
from mathcorpus.recipe import LineDedupSpec

REJECTED = "rejected"


def line_key(line: str) -> str:
    return hashlib.sha1(line.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:16]


def document_line_keys(text: str, min_chars: int) -> set[str]:
    return {line_key(line) for line in text.splitlines() if len(line.strip()) >= min_chars}


def strip_lines(text: str, boilerplate: set | dict, min_chars: int) -> tuple[str, int]:
    """The text without its boilerplate lines (line endings kept), and how many were removed."""
    kept, removed = [], 0
    for line in text.splitlines(keepends=True):
        if len(line.strip()) >= min_chars and line_key(line) in boilerplate:
            removed += 1
        else:
            kept.append(line)
    return "".join(kept), removed


def _strip(doc: Document, boilerplate: dict, spec: LineDedupSpec):
    text, removed = strip_lines(doc.text, boilerplate, spec.min_chars)
    if not removed:
        yield doc
    elif not text.strip():
        yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(
            doc, "dedup", "boilerplate", f"all {removed} non-blank lines are repeated across documents"))
    else:
        yield doc.replace(text=text, meta={**doc.meta, "boilerplate_lines_removed": removed})


class LineDedup(beam.PTransform):
    def __init__(self, spec: LineDedupSpec):
        super().__init__()
        self._spec = spec

    def expand(self, docs):
        spec = self._spec
        boilerplate = (docs
                       | "LineKeys" >> beam.FlatMap(lambda d: [(k, 1) for k in document_line_keys(d.text, spec.min_chars)])
                       | "CountLines" >> beam.CombinePerKey(sum)
                       | "Frequent" >> beam.Filter(lambda kv: kv[1] >= spec.min_documents))
        return docs | "StripBoilerplate" >> beam.FlatMap(
            _strip, boilerplate=beam.pvalue.AsDict(boilerplate), spec=spec).with_outputs(REJECTED, main="documents")
