"""Recipe -> one Beam graph, and running it. Decisions are small, texts stream:

    work units --> SCAN (read, filters, spill texts, key files) --> DECIDE, range by range (ids,
                                                                   packages, lines, exact, near)
    work units + this unit's decisions --> APPLY (spill -> decisions, decontaminate, tables, tokens)
    token lengths --> PLAN --> SHARDS (each shard read from the token spills) --> MANIFEST, reports

Only receipts, numbers, decisions, counts and report records cross a shuffle, a side input or a stage
boundary; keys go through per-range key files (keyfiles.py); texts and token arrays stay inside a work unit's scan or apply, or a shard's write
(docs/architecture.md, "Execution model"). Accounting: inputs are counted where the sources emit,
kept and dropped documents where they are written; the manifest step checks that they add up.
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions

from mathcorpus import storage
from mathcorpus.filters.language import LanguageFilter
from mathcorpus.filters.language.packages import add_pairs, would_drop
from mathcorpus.pipeline import stats as S
from mathcorpus.pipeline.apply import HITS, LENGTHS, ApplyDoFn
from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.pipeline.decontaminate import benchmark_indexes, check_benchmarks
from mathcorpus.pipeline.dedup import Removals
from mathcorpus.pipeline.dedup.keys import KeyPassDoFn
from mathcorpus.pipeline.dedup.lines import Boilerplate
from mathcorpus.pipeline.ids import LaterIdCopies, sorted_union
from mathcorpus.pipeline.manifest import (
    build_manifest,
    dedup_summary,
    language_summary,
    summarize_counts,
    write_manifest,
    write_report,
)
from mathcorpus.pipeline.runner import data_sent_whole, prepare_for_runner, with_default_runner
from mathcorpus.pipeline.scan import DOCS, PACKAGES, PENDING, ScanDoFn, work_units
from mathcorpus.pipeline.spill import SPILL_DIR
from mathcorpus.pipeline.tokenize import WriteShards, tokenizer_info
from mathcorpus.recipe import Recipe
from mathcorpus.workers import collector_tuned

OUTPUT_PARTS = ("documents", "rejected", "shards", "reports", SPILL_DIR, "manifest.json")


def _dropped_before_dedup(pending: list, shares: dict, rules: dict, later_ids) -> np.ndarray:
    """Numbers of the documents the apply pass drops before dedup: later id copies and held-back
    files whose package does not save them."""
    failing = np.array(
        sorted(num for num, package, language in pending if would_drop(package, language, shares, rules)),
        dtype=np.uint64,
    )
    return sorted_union([later_ids, failing])


def build_pipeline(p: beam.Pipeline, recipe: Recipe, out_dir: str) -> None:
    side, single = beam.pvalue.AsList, beam.pvalue.AsSingleton
    dedup = recipe.dedup
    lines = dedup.lines if dedup else None
    dedup_keys_in_scan = bool(dedup) and lines is None and bool(dedup.exact or dedup.minhash)
    rules = LanguageFilter(recipe.filters.language).rules
    units = p | "WorkUnits" >> beam.Create(work_units(recipe), reshuffle=False) | "SpreadUnits" >> beam.Reshuffle()

    # SCAN: texts go to the unit's spill, keys to its key files; receipts and small records come out
    scan = units | "Scan" >> beam.ParDo(ScanDoFn(recipe, out_dir, dedup_keys_in_scan)).with_outputs(
        PACKAGES, PENDING, S.STATS_TAG, main="receipts"
    )
    receipts = scan.receipts

    # DECIDE: global steps, each over one hash range of the key files at a time
    later_ids = receipts | "LaterIdCopies" >> LaterIdCopies(out_dir)
    shares = scan[PACKAGES] | "PackageShares" >> beam.CombinePerKey(add_pairs)
    pending = scan[PENDING] | "AllPending" >> beam.combiners.ToList()
    dropped_before = pending | "DroppedBeforeDedup" >> beam.Map(
        _dropped_before_dedup, beam.pvalue.AsDict(shares), rules, single(later_ids)
    )
    apply_side = {"later_ids": single(later_ids), "shares": beam.pvalue.AsDict(shares)}
    removals = p | "NoRemovals" >> beam.Create([])
    clusters = p | "NoClusters" >> beam.Create([])
    if dedup:
        key_receipts = receipts
        if lines is not None:
            boilerplate = receipts | "Boilerplate" >> Boilerplate(lines, out_dir)
            apply_side["boilerplate"] = single(boilerplate)
            if dedup.exact or dedup.minhash:
                key_receipts = receipts | "KeyPass" >> beam.ParDo(
                    KeyPassDoFn(dedup, out_dir, DOCS), single(boilerplate)
                )
        if dedup.exact or dedup.minhash:
            decided = key_receipts | "Dedup" >> Removals(dedup, out_dir, dropped_before)
            removals, clusters = decided["removals"], decided["clusters"]
    if recipe.decontaminate:
        index, formal = benchmark_indexes(p, recipe.decontaminate)
        apply_side.update(index=single(index), formal=single(formal))

    # APPLY: each unit's spill with its decisions -> tables, token spill, small records
    by_unit = {
        "unit": receipts | "KeyUnits" >> beam.Map(lambda r: (r[0], r[0])),
        "removed": removals,
    } | "UnitDecisions" >> beam.CoGroupByKey()
    applied = by_unit | "Apply" >> beam.ParDo(ApplyDoFn(recipe, out_dir), **apply_side).with_outputs(
        HITS, LENGTHS, S.STATS_TAG, main="done"
    )

    tokenizer, shards = None, p | "NoShards" >> beam.Create([])
    if recipe.tokenize:
        tokenizer = tokenizer_info(recipe.tokenize)
        shards = applied[LENGTHS] | "Shards" >> WriteShards(recipe.tokenize, out_dir, tokenizer)

    stats = (
        (scan[S.STATS_TAG], applied[S.STATS_TAG])
        | "AllStats" >> beam.Flatten()
        | "SumStats" >> beam.CombinePerKey(S.add_tuples)
    )
    hits = applied[HITS] | "AllHits" >> beam.combiners.ToList()
    recipe_dict = recipe.to_dict()

    def finish(_, stats, shards, hits, clusters):
        counts = summarize_counts(
            S.select(stats, S.INPUT), S.select(stats, S.KEPT), S.select(stats, S.DROPPED)
        )  # raises AccountingError if anything is lost
        tables = {"documents": {"rows": counts["kept"]}, "rejected": {"rows": counts["input"] - counts["kept"]}}
        token_counts = S.select(stats, S.TOKENS)
        write_report(out_dir, hits[0] if hits else [])
        manifest = build_manifest(
            recipe=recipe_dict,
            counts=counts,
            tables=tables,
            tokenizer=tokenizer,
            duplicates=dedup_summary(S.select(stats, S.DEDUP), clusters),
            quality_by_kind=recipe.filters.quality.by_kind() if recipe.filters.quality else None,
            shards=shards,
            token_counts=token_counts,
            hits=hits[0] if hits else [],
            languages=language_summary(
                S.select(stats, S.LANG_KEPT),
                S.select(stats, S.LANG_DROPPED),
                S.select(stats, S.ANALYSIS),
                token_counts,
                S.select(stats, S.DROPPED_TOKENS) if recipe.tokenize and recipe.tokenize.count_dropped else None,
            ),
        )
        write_manifest(out_dir, manifest)
        storage.delete_tree(storage.join(out_dir, SPILL_DIR))

    _ = (
        p
        | "ManifestTrigger" >> beam.Create([None])
        | "WriteManifest"
        >> beam.Map(finish, stats=side(stats), shards=side(shards), hits=side(hits), clusters=side(clusters))
    )


class OutputExists(RuntimeError):
    pass


def prepare_output(out_dir: str, force: bool) -> None:
    """Refuse to overwrite a finished run unless forced; clear any half-written one."""
    if storage.exists(storage.join(out_dir, "manifest.json")) and not force:
        raise OutputExists(f"{out_dir} already holds a finished run (manifest.json); use --force to redo it")
    for part in OUTPUT_PARTS:
        storage.delete_tree(storage.join(out_dir, part))
    storage.mkdirs(out_dir)


def run_recipe(
    recipe: Recipe,
    output: str | None = None,
    beam_args: Sequence[str] = (),
    force: bool = False,
    status: Callable[[str], None] = lambda _: None,
) -> dict:
    """Run a recipe to completion and return its manifest."""
    out_dir = output or recipe.output
    prepare_output(out_dir, force)
    ensure_assets(recipe, status)
    recipe.check_inputs_exist()
    if recipe.decontaminate:
        check_benchmarks(recipe.decontaminate)
    recipe = prepare_for_runner(recipe, beam_args)  # remote runners: staged assets, shared sources
    status("running the Beam pipeline")
    options = PipelineOptions(with_default_runner(beam_args))
    with collector_tuned(), data_sent_whole(), beam.Pipeline(options=options) as p:
        build_pipeline(p, recipe, out_dir)
    return json.loads(storage.read_bytes(storage.join(out_dir, "manifest.json")))
