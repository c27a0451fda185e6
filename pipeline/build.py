"""Recipe -> Beam graph, and running it.

    sources -> language -> quality -> classifier -> dedup -> decontaminate -> tokenize -> shards
                  every stage's rejections ---------------------------------------> rejected/
Documents and rejections travel in batches (lists, batches.py): Beam's per-element cost is
paid per batch.
Accounting is a property of the graph: inputs are counted where sources emit, kept documents where
they are written, rejections where they are written; the manifest step checks that they add up.
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from mathcorpus import storage
from mathcorpus.filters import ApplyFilter
from mathcorpus.filters.classifier import MathClassifier
from mathcorpus.filters.language.packages import ResolveRelativeImports
from mathcorpus.filters.language import LanguageFilter
from mathcorpus.filters.quality import QualityFilter
from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.batches import Batch, count_by
from mathcorpus.pipeline.decontaminate import Decontaminate
from mathcorpus.pipeline.dedup import Dedup
from mathcorpus.pipeline.ids import RepeatedIds
from mathcorpus.pipeline.runner import data_sent_whole, prepare_for_runner, with_default_runner
from mathcorpus.pipeline.outputs import (DOCUMENT_SCHEMA, REJECTION_SCHEMA, ROWS, TableSink, WriteTable,
                                         build_manifest, language_summary, summarize_counts, write_manifest,
                                         write_report)
from mathcorpus.pipeline.tokenize import CountDroppedTokens, Tokenize
from mathcorpus.recipe import Recipe
from mathcorpus.sources import ReadSource, input_bytes
from mathcorpus.workers import collector_tuned

REJECTED = "rejected"
OUTPUT_PARTS = ("documents", "rejected", "shards", "reports", "manifest.json")


def _count_by(batches, label: str, key: Callable, where: Callable = lambda x: True):
    """(key, items) over batches (a PCollection, or a list of them), counting the items for which
    `where` holds."""
    return count_by(batches, label, lambda batch: [key(x) for x in batch if where(x)])


def _files_and_bytes(values):
    files = nbytes = 0
    for f, b in values:
        files += f
        nbytes += b
    return files, nbytes


def _files_and_bytes_by(batch: list, key: Callable, text: Callable, where: Callable):
    out: dict = {}
    for x in batch:
        if where(x):
            k = key(x)
            files, nbytes = out.get(k, (0, 0))
            out[k] = (files + 1, nbytes + len(text(x).encode("utf-8", "surrogatepass")))
    return list(out.items())


def _sum_by(batches, label: str, key: Callable, text: Callable, where: Callable = lambda x: True):
    """(key, (files, UTF-8 bytes of the text)) per key, over batches."""
    return (batches
            | f"{label}Key" >> beam.FlatMap(_files_and_bytes_by, key, text, where)
            | f"{label}Sum" >> beam.CombinePerKey(_files_and_bytes))


def _dedup_records(batch: list):
    """(reason, source, survivor, UTF-8 bytes) of a batch's dedup rejections, as one element."""
    records = Batch((r.reason, r.source, r.duplicate_of, len((r.text or "").encode("utf-8", "surrogatepass")))
                    for r in batch if r.stage == "dedup")
    if records:
        yield records


def table_files(recipe: Recipe) -> int:
    """Parquet files per output table: one per `document_file_bytes` of input (at least one)."""
    total = sum(input_bytes(spec) for spec in recipe.sources)
    return max(1, min(100_000, -(-total // recipe.document_file_bytes)))


def build_pipeline(p: beam.Pipeline, recipe: Recipe, out_dir: str) -> None:
    reads = [p | ReadSource(spec) for spec in recipe.sources]
    docs = [r.documents for r in reads] | "AllSources" >> beam.Flatten()
    rejected = [r[REJECTED] for r in reads]
    inputs = [docs] + rejected  # counted each where it is made (batches.count_by)
    # repeated ids are found now and applied with the language stage's package verdicts (one pass
    # that holds the documents back: ResolveRelativeImports)
    repeated_ids = docs | "RepeatedIds" >> RepeatedIds()

    doc_filters = [LanguageFilter(recipe.filters.language)]  # always: it also detects the language
    if recipe.filters.quality:
        doc_filters.append(QualityFilter(recipe.filters.quality))
    if recipe.filters.math_classifier:
        doc_filters.append(MathClassifier(recipe.filters.math_classifier))
    for doc_filter in doc_filters:
        result = docs | ApplyFilter(doc_filter)
        docs, rejected = result.documents, rejected + [result[REJECTED]]
        if isinstance(doc_filter, LanguageFilter):  # files held back for their package's verdict
            resolved = (docs, result[REJECTED]) | ResolveRelativeImports(doc_filter.rules, repeated_ids)
            docs, rejected = resolved["documents"], rejected + [resolved[REJECTED]]

    num_files = recipe.document_files or table_files(recipe)
    documents_sink = TableSink(out_dir, "documents", DOCUMENT_SCHEMA, num_files)
    kept_rows = None
    if recipe.dedup:
        # as the last document stage, dedup writes the documents table in its own held-back pass
        dedup = Dedup(recipe.dedup, documents_sink=None if recipe.decontaminate else documents_sink)
        result = docs | "Dedup" >> dedup
        docs, rejected = result["documents"], rejected + [result[REJECTED]]
        if dedup.writes_documents:
            kept_rows = result[ROWS]

    hits = p | "NoBenchmarks" >> beam.Create([])
    if recipe.decontaminate:
        result = docs | "Decontaminate" >> Decontaminate(recipe.decontaminate)
        docs, rejected, hits = result.documents, rejected + [result[REJECTED]], result.hits

    all_rejected = rejected | "AllRejected" >> beam.Flatten()
    if kept_rows is None:
        kept_rows = docs | "WriteDocuments" >> WriteTable(documents_sink)
    rejected_rows = all_rejected | "WriteRejected" >> WriteTable(
        TableSink(out_dir, "rejected", REJECTION_SCHEMA, num_files))
    all_hits = hits | "AllHits" >> beam.combiners.ToList()
    _ = all_hits | "WriteReport" >> beam.Map(lambda h: write_report(out_dir, h))

    tokenizer = None
    shards = p | "NoShards" >> beam.Create([])
    token_counts = p | "NoTokens" >> beam.Create([])
    dropped_tokens = p | "NoDroppedTokens" >> beam.Create([])
    count_dropped = bool(recipe.tokenize and recipe.tokenize.count_dropped)
    if recipe.tokenize:
        tokenize = Tokenize(recipe.tokenize, out_dir)
        result = docs | "Tokenize" >> tokenize
        shards, token_counts, tokenizer = result["shards"], result["token_counts"], tokenize.info
        if count_dropped:
            dropped_tokens = all_rejected | "DroppedTokens" >> CountDroppedTokens(recipe.tokenize)

    side = beam.pvalue.AsList
    recipe_dict = recipe.to_dict()

    duplicates = all_rejected | "DedupRecords" >> beam.FlatMap(_dedup_records)

    def finish(_, inputs, kept, dropped, kept_rows, rejected_rows, shards, token_counts, hits, duplicates,
               lang_kept, lang_dropped, lang_analysis, dropped_tokens):
        counts = summarize_counts(inputs, kept, dropped)  # raises AccountingError if anything is lost
        tables = {"documents": {"rows": sum(kept_rows)}, "rejected": {"rows": sum(rejected_rows)}}
        manifest = build_manifest(recipe=recipe_dict, counts=counts, tables=tables, tokenizer=tokenizer,
                                  duplicates=[d for part in duplicates for d in part],
                                  shards=shards, token_counts=token_counts, hits=hits[0] if hits else [],
                                  languages=language_summary(lang_kept, lang_dropped, lang_analysis, token_counts,
                                                             dropped_tokens if count_dropped else None))
        write_manifest(out_dir, manifest)

    _ = (p
         | "ManifestTrigger" >> beam.Create([None])
         | "WriteManifest" >> beam.Map(
             finish,
             inputs=side(_count_by(inputs, "Input", lambda x: x.source)),
             kept=side(_count_by(docs, "Kept", lambda d: d.source)),
             dropped=side(_count_by(all_rejected, "Dropped", lambda r: (r.source, r.reason))),
             kept_rows=side(kept_rows), rejected_rows=side(rejected_rows),
             shards=side(shards), token_counts=side(token_counts), hits=side(all_hits),
             duplicates=side(duplicates),
             lang_kept=side(_sum_by(docs, "KeptByLanguage", lambda d: d.language, lambda d: d.text)),
             lang_dropped=side(_sum_by(all_rejected, "DroppedByLanguage", lambda r: (r.language, r.reason),
                                       lambda r: r.text or "", where=lambda r: r.stage != "sources")),
             lang_analysis=side(_count_by(docs, "Analysis", lambda d: (d.language, d.meta["analysis"]),
                                          where=lambda d: "analysis" in d.meta)),
             dropped_tokens=side(dropped_tokens)))


class OutputExists(RuntimeError):
    pass


def prepare_output(out_dir: str, force: bool) -> None:
    """Refuse to overwrite a finished run unless forced; clear any half-written one."""
    if storage.exists(storage.join(out_dir, "manifest.json")) and not force:
        raise OutputExists(f"{out_dir} already holds a finished run (manifest.json); use --force to redo it")
    for part in OUTPUT_PARTS:
        storage.delete_tree(storage.join(out_dir, part))
    storage.mkdirs(out_dir)


def run_recipe(recipe: Recipe, output: str | None = None, beam_args: Sequence[str] = (),
               force: bool = False, status: Callable[[str], None] = lambda _: None) -> dict:
    """Run a recipe to completion and return its manifest."""
    out_dir = output or recipe.output
    prepare_output(out_dir, force)
    ensure_assets(recipe, status)
    recipe.check_inputs_exist()
    recipe = prepare_for_runner(recipe, beam_args)  # remote runners: staged assets, shared sources
    status("running the Beam pipeline")
    options = PipelineOptions(with_default_runner(beam_args))
    with collector_tuned(), data_sent_whole(), beam.Pipeline(options=options) as p:
        build_pipeline(p, recipe, out_dir)
    return json.loads(storage.read_bytes(storage.join(out_dir, "manifest.json")))
