"""Tokenize stage: the apply pass encodes each unit's kept documents into a token spill; the shard
pass lays the corpus out from lengths alone and writes each shard from the spills it overlaps.

    apply pass, per unit: encode (tokenizer loaded once per worker) -> token spill + lengths (8 B/doc)
    plan (one worker): units in index order, documents in read order -> unit starts, shard bounds
    shard pass, per shard: read the overlapped documents of the overlapped spills -> one Arrow file

No token array crosses a shuffle or side input: the plan holds each unit's lengths, the shard pass
reads the tokens from the spills (see spill.py). Layout rules (packed / unpacked) are in pack.py.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.pipeline.tokenize.encode import Encoder, TokenizerError, encoder_options, read_tokenizer
from mathcorpus.pipeline.tokenize.pack import (
    assemble_rows,
    assemble_unpacked,
    layout_packed,
    layout_unpacked,
    shard_capacity,
    split_for_shards,
    split_unpacked,
)
from mathcorpus.pipeline.tokenize.shards import write_shard
from mathcorpus.pipeline.tokenize.spill import read_documents, token_spill_path
from mathcorpus.recipe import TokenizeSpec

UINT16_VOCAB = 1 << 16


def choose_dtype(spec: TokenizeSpec, vocab_size: int) -> str:
    if spec.dtype == "auto":
        return "uint16" if vocab_size <= UINT16_VOCAB else "int32"
    if spec.dtype == "uint16" and vocab_size > UINT16_VOCAB:
        raise TokenizerError(
            f"tokenize.dtype: uint16 cannot hold the ids of a {vocab_size:,}-token vocabulary; use int32 or auto"
        )
    return spec.dtype


def tokenizer_info(spec: TokenizeSpec) -> dict:
    """What the manifest records of the tokenizer and the layout (read once, on the launcher)."""
    tokenizer, sha256 = read_tokenizer(spec.tokenizer)
    encoder = Encoder(tokenizer, **encoder_options(spec))
    return {
        "path": spec.tokenizer,
        "sha256": sha256,
        **encoder.info(),
        "dtype": choose_dtype(spec, encoder.vocab_size),
        "packing": spec.packing,
        "seq_len": spec.seq_len,
        "shard_tokens": spec.shard_tokens,
        "columns": ["input_ids"] + (["num_values"] if spec.numbers == "xval" else []) + ["doc_ids"],
    }


def number_stats(rows, values, num_id: int) -> dict:
    """count, sum, sum of squares, min and max of the values at [NUM] tokens (additive across shards)."""
    ids = np.concatenate([np.ravel(r) for r in rows]) if len(rows) else np.empty(0, np.int32)
    vals = np.concatenate([np.ravel(v) for v in values]) if len(rows) else np.empty(0, np.float32)
    at = vals[ids == num_id].astype(np.float64)
    if not len(at):
        return {"count": 0, "sum": 0.0, "sum_squares": 0.0, "min": None, "max": None}
    return {
        "count": int(len(at)),
        "sum": float(at.sum()),
        "sum_squares": float((at * at).sum()),
        "min": float(at.min()),
        "max": float(at.max()),
    }


def make_plan(unit_lengths: list, spec: TokenizeSpec) -> dict:
    """The layout from every unit's document lengths ((unit, lengths) in any order)."""
    per_unit = sorted(unit_lengths, key=lambda ul: ul[0])
    plan = {"units": [u for u, _ in per_unit], "lengths": [ls for _, ls in per_unit]}
    if spec.packing == "unpacked":
        first_row, shard_starts, total = layout_unpacked(per_unit, spec.seq_len, spec.shard_tokens)
        plan.update(
            starts=[first_row[u] for u, _ in per_unit],
            shard_starts=shard_starts,
            total=total,
            shards=len(shard_starts) if total else 0,
        )
    else:
        starts, total = layout_packed(per_unit)
        capacity = shard_capacity(spec.shard_tokens, spec.seq_len)
        plan.update(starts=[starts[u] for u, _ in per_unit], total=total, shards=-(-total // capacity))
    return plan


def _doc_extents(lengths: np.ndarray, spec: TokenizeSpec) -> np.ndarray:
    """Each document's extent in the layout's unit: tokens (packed) or rows (unpacked)."""
    return lengths if spec.packing != "unpacked" else -(-lengths // spec.seq_len)


def shard_pieces(plan: dict, shard: int, spec: TokenizeSpec, out_dir: str):
    """The pieces of one shard, read from the token spills it overlaps."""
    if spec.packing == "unpacked":
        bounds = plan["shard_starts"] + [plan["total"]]
        lo, hi = bounds[shard], bounds[shard + 1]
    else:
        capacity = shard_capacity(spec.shard_tokens, spec.seq_len)
        lo, hi = shard * capacity, min((shard + 1) * capacity, plan["total"])
    for unit, lengths, start in zip(plan["units"], plan["lengths"], plan["starts"]):
        extents = _doc_extents(lengths, spec)
        ends = start + np.cumsum(extents)
        if not len(ends) or ends[-1] <= lo or start >= hi:
            continue
        first = int(np.searchsorted(ends, lo, side="right"))
        end = int(np.searchsorted(ends - extents, hi, side="left"))
        for i, (doc_id, ids, values) in enumerate(
            read_documents(token_spill_path(out_dir, unit), first, end), start=first
        ):
            doc_start = int(ends[i] - extents[i])
            if spec.packing == "unpacked":
                for s, row, tokens, vals in split_unpacked(doc_start, ids, spec.seq_len, plan["shard_starts"], values):
                    if s == shard:
                        yield row, doc_id, tokens, vals
            else:
                for s, offset, tokens, vals in split_for_shards(doc_start, ids, capacity, values):
                    if s == shard:
                        yield offset, doc_id, tokens, vals


class _WriteShardDoFn(beam.DoFn):
    def __init__(self, spec: TokenizeSpec, out_dir: str, info: dict):
        self._spec, self._out_dir, self._info = spec, out_dir, info

    def process(self, shard: int, plan: dict):
        spec, info = self._spec, self._info
        pieces = list(shard_pieces(plan, shard, spec, self._out_dir))
        padding = dropped = 0
        if spec.packing == "unpacked":
            rows, values, row_doc_ids = assemble_unpacked(pieces)
        else:
            final_row = spec.final_row if shard == plan["shards"] - 1 else "pad"
            rows, values, row_doc_ids, padding, dropped = assemble_rows(pieces, spec.seq_len, final_row, info["pad_id"])
        if len(rows):
            out = write_shard(self._out_dir, shard, rows, row_doc_ids, values, info["dtype"])
            if values is not None:
                out["numbers"] = number_stats(rows, values, info["num_token_id"])
        else:  # a last shard whose only partial row was dropped
            out = {"path": None, "rows": 0, "tokens": 0, "bytes": 0, "sha256": None}
        yield {**out, "index": shard, "padding_tokens": padding, "dropped_tail_tokens": dropped}


class WriteShards(beam.PTransform):
    """(unit, lengths) of every unit -> one info dict per shard written."""

    def __init__(self, spec: TokenizeSpec, out_dir: str, info: dict):
        super().__init__()
        self._spec, self._out_dir, self._info = spec, out_dir, info

    def expand(self, unit_lengths):
        plan = unit_lengths | "AllLengths" >> beam.combiners.ToList() | "Plan" >> beam.Map(make_plan, self._spec)
        return (
            plan
            | "ShardIndices" >> beam.FlatMap(lambda p: range(p["shards"]))
            | "SpreadShards" >> beam.Reshuffle()
            | "WriteShard"
            >> beam.ParDo(_WriteShardDoFn(self._spec, self._out_dir, self._info), plan=beam.pvalue.AsSingleton(plan))
        )
