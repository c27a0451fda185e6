"""Decontamination stage: documents against benchmark files, every hit reported.

    benchmarks -> items -> n-gram index (one NumPy index, a side input) ----\\
    benchmarks -> formal theorems -> name/statement index (side input) ------> the apply pass:
                                                       decontaminate_document per kept document

Per document: first, in Lean/Isabelle/Coq files, declarations stating a formal benchmark theorem are
cut (``formal.py``); then the text is matched by word n-grams (``index.py``; normalization in
``ngrams.py``). Modes: ``drop`` rejects a document with an n-gram hit (reason ``contaminated``);
``mask`` removes the matching spans and keeps the rest (a document left blank is rejected);
``report`` changes nothing. Every hit, in every mode, is one line of ``reports/contamination.jsonl``.
"""

from __future__ import annotations

import apache_beam as beam

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.decontaminate.benchmarks import FormalItem, TextItem, read_benchmark
from mathcorpus.pipeline.decontaminate.formal import cut_declarations, formal_index, is_formal
from mathcorpus.pipeline.decontaminate.index import NgramIndex, build_index, masked_text, match_text
from mathcorpus.pipeline.decontaminate.ngrams import word_spans
from mathcorpus.recipe import DecontaminateSpec

STAGE = "decontaminate"
ACTIONS = {"drop": "dropped", "mask": "masked", "report": "reported"}


def decontaminate_document(
    doc: Document, index: NgramIndex, formal: dict, spec: DecontaminateSpec
) -> tuple[Document | Rejection, list[dict]]:
    """The document after decontamination (or its rejection) and its hit records. Pure."""
    base = {"doc_id": doc.id, "source": doc.source}
    hits: list[dict] = []
    text = doc.text
    if (formal["names"] or formal["statements"]) and is_formal(doc.language, doc.path):
        new_text, cuts = cut_declarations(text, formal)
        action = "reported" if spec.mode == "report" else "cut"
        for cut in cuts:
            hits.append({**base, "kind": "theorem", "action": action, **cut})
        if cuts and spec.mode != "report":
            text = new_text
    matches = match_text(text, index, spec.min_matching_ngrams)
    action = ACTIONS[spec.mode]
    for m in matches:
        record = {k: v for k, v in m.items() if k != "positions"}
        hits.append(
            {
                **base,
                "kind": "ngram",
                "ngram": index.n,
                "action": action,
                "long_overlap": m["longest_span_words"] >= spec.long_overlap,
                **record,
            }
        )
    if matches and spec.mode == "drop":
        refs = ", ".join(f"{m['benchmark']}/{m['split']}#{m['item']}" for m in matches[:5])
        return Rejection.of(doc, STAGE, "contaminated", refs), hits
    if matches and spec.mode == "mask":
        positions = sorted({int(p) for m in matches for p in m["positions"]})
        text = masked_text(text, word_spans(text), positions, index.n)
    if text is not doc.text:
        if not text.strip():
            return Rejection.of(doc, STAGE, "contaminated", "nothing left after cutting benchmark text"), hits
        kinds = sorted({h["kind"] for h in hits})
        return doc.replace(text=text, meta={**doc.meta, "decontaminated": kinds}), hits
    return doc, hits


def _text_items(item):
    if isinstance(item, TextItem):
        yield item


def _formal_items(item):
    if isinstance(item, FormalItem):
        yield item


def check_benchmarks(spec: DecontaminateSpec) -> None:
    """Fail on the launcher, with the key, not in a worker."""
    for benchmark in spec.benchmarks:
        next(iter(read_benchmark(benchmark)), None)


def benchmark_indexes(pipeline, spec: DecontaminateSpec):
    """(n-gram index, theorem index): two singleton PCollections, side inputs of the apply pass."""
    items = (
        pipeline
        | "Benchmarks" >> beam.Create(spec.benchmarks, reshuffle=False)
        | "Items" >> beam.FlatMap(read_benchmark)
    )
    index = (
        items
        | "TextItems" >> beam.FlatMap(_text_items)
        | "AllTextItems" >> beam.combiners.ToList()
        | "NgramIndex" >> beam.Map(build_index, spec.ngram, spec.max_items_per_ngram)
    )
    formal = (
        items
        | "FormalItems" >> beam.FlatMap(_formal_items)
        | "AllFormalItems" >> beam.combiners.ToList()
        | "TheoremIndex" >> beam.Map(formal_index)
    )
    return index, formal
