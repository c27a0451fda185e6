"""Decontamination stage: n-gram overlap against benchmark files, every hit reported.

The benchmark index (64-bit n-gram hash -> benchmark item) is built inside the pipeline and handed to
workers as a side input, so it works unchanged on any runner. Modes: ``drop`` rejects a document with
any hit (reason ``contaminated``); ``report`` keeps it. Either way each (document, benchmark item)
pair becomes one line of ``reports/contamination.jsonl``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Iterator

import apache_beam as beam

from mathcorpus import storage
from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.decontaminate.ngrams import ngram_hashes, normalize_words
from mathcorpus.recipe import BenchmarkSpec, DecontaminateSpec, RecipeError

REJECTED, HITS = "rejected", "hits"
STAGE = "decontaminate"
_ITEM_ID_FIELDS = ("id", "idx", "name", "unique_id", "problem_id")


def benchmark_name(spec: BenchmarkSpec) -> str:
    if spec.name:
        return spec.name
    parent = os.path.basename(os.path.dirname(spec.path.rstrip("/")))
    stem = os.path.basename(spec.path).split(".")[0]
    return f"{parent}/{stem}" if parent else stem


def read_benchmark_items(spec: BenchmarkSpec) -> Iterator[tuple[str, str, str]]:
    """(benchmark, item id, text) for every row of a benchmark JSONL file."""
    name = benchmark_name(spec)
    fields = spec.fields or ["text"]
    with storage.open_read(spec.path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as err:
                raise RecipeError(f"benchmark {spec.path}:{lineno}: not JSON ({err})") from None
            missing = [f for f in fields if f not in row]
            if missing:
                raise RecipeError(f"benchmark {spec.path}:{lineno}: no field(s) {missing}; set `fields:` "
                                  f"for this benchmark in the recipe (row keys: {sorted(row)})")
            item_id = next((str(row[k]) for k in _ITEM_ID_FIELDS if k in row), str(lineno))
            yield name, item_id, "\n".join(str(row[f]) for f in fields)


def item_ngrams(item: tuple[str, str, str], n: int) -> list[tuple[int, str]]:
    benchmark, item_id, text = item
    ref = f"{benchmark}#{item_id}"
    return [(h, ref) for h in set(ngram_hashes(normalize_words(text), n))]


def find_hits(doc: Document, index: dict[int, str], n: int) -> list[dict]:
    """One record per benchmark item sharing at least one n-gram with `doc`."""
    words = normalize_words(doc.text)
    matches: dict[str, list[int]] = defaultdict(list)
    for pos, h in enumerate(ngram_hashes(words, n)):
        ref = index.get(h)
        if ref is not None:
            matches[ref].append(pos)
    hits = []
    for ref, positions in sorted(matches.items()):
        benchmark, _, item = ref.rpartition("#")
        first = positions[0]
        hits.append({"doc_id": doc.id, "source": doc.source, "benchmark": benchmark, "item": item,
                     "ngram": n, "matching_ngrams": len(positions),
                     "first_match": " ".join(words[first:first + n])})
    return hits


class _MatchDoFn(beam.DoFn):
    def __init__(self, spec: DecontaminateSpec):
        self._spec = spec

    def process(self, doc: Document, index: dict[int, str]):
        hits = find_hits(doc, index, self._spec.ngram)
        for hit in hits:
            yield beam.pvalue.TaggedOutput(HITS, hit)
        if hits and self._spec.mode == "drop":
            refs = ", ".join(f"{h['benchmark']}#{h['item']}" for h in hits[:5])
            yield beam.pvalue.TaggedOutput(REJECTED, Rejection.of(doc, STAGE, "contaminated", refs))
        else:
            yield doc


class Decontaminate(beam.PTransform):
    """Outputs ``documents``, ``rejected`` and ``hits`` (report records)."""

    def __init__(self, spec: DecontaminateSpec):
        super().__init__()
        self._spec = spec

    def expand(self, docs):
        n = self._spec.ngram
        index = (docs.pipeline
                 | "Benchmarks" >> beam.Create(self._spec.benchmarks, reshuffle=False)
                 | "Items" >> beam.FlatMap(read_benchmark_items)
                 | "ItemNgrams" >> beam.FlatMap(item_ngrams, n)
                 | "OneItemPerNgram" >> beam.CombinePerKey(min))
        return docs | "Match" >> beam.ParDo(_MatchDoFn(self._spec), index=beam.pvalue.AsDict(index)
                                            ).with_outputs(REJECTED, HITS, main="documents")
