"""Tokenize stage: batch-encode kept documents, pack them into rows, write sized shards.

Graph: batches of documents -> encode (tokenizer loaded once per worker in DoFn.setup)
-> plan: (id, length) grouped by bucket (a hash of the id), each bucket's lengths in id order, then
   one global step over those arrays (4 bytes per kept document, on one worker) that gives every
   bucket its start offset (packed) or first row and the shard boundaries (unpacked): O(buckets +
   shards) numbers, the side input every worker gets
-> token arrays grouped by bucket and placed -> pieces grouped by shard -> one Arrow file per shard.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from mathcorpus.batches import batched
from mathcorpus.document import Document
from mathcorpus.pipeline.tokenize.encode import Encoder, TokenizerError, encoder_options, read_tokenizer
from mathcorpus.pipeline.tokenize.pack import (assemble_rows, assemble_unpacked, bucket_lengths, bucket_of,
                                               layout_packed, layout_unpacked, place_bucket_packed,
                                               place_bucket_unpacked, shard_capacity)
from mathcorpus.pipeline.tokenize.shards import write_shard
from mathcorpus.recipe import TokenizeSpec
from mathcorpus.workers import WorkerDoFn

UINT16_VOCAB = 1 << 16


def choose_dtype(spec: TokenizeSpec, vocab_size: int) -> str:
    if spec.dtype == "auto":
        return "uint16" if vocab_size <= UINT16_VOCAB else "int32"
    if spec.dtype == "uint16" and vocab_size > UINT16_VOCAB:
        raise TokenizerError(f"tokenize.dtype: uint16 cannot hold the ids of a {vocab_size:,}-token "
                             "vocabulary; use int32 or auto")
    return spec.dtype


def _sum_pairs(pairs):
    docs = tokens = 0
    for d, t in pairs:
        docs, tokens = docs + d, tokens + t
    return docs, tokens


class _EncodeDoFn(WorkerDoFn):
    def __init__(self, spec: TokenizeSpec):
        self._spec = spec

    def setup(self):
        super().setup()
        self._encoder = Encoder.from_spec(self._spec)

    def process(self, batch: list[Document]):
        for part in batched(batch, self._spec.batch_size):
            for doc, (ids, values) in zip(part, self._encoder.encode([d.text for d in part])):
                yield doc.id, doc.source, doc.language or "unknown", ids, values


class _CountDroppedDoFn(WorkerDoFn):
    """((language, reason), (files, tokens)) over a batch of rejections past the sources: each text
    encoded as a shard would hold it, then thrown away."""

    def __init__(self, spec: TokenizeSpec):
        self._spec = spec

    def setup(self):
        super().setup()
        self._encoder = Encoder.from_spec(self._spec)

    def process(self, batch):
        counts: dict = {}
        for part in batched([r for r in batch if r.stage != "sources"], self._spec.batch_size):
            texts = [r.text or "" for r in part]
            encoded = self._encoder.encode([t for t in texts if t])
            lengths = iter(len(ids) for ids, _ in encoded)
            for r, text in zip(part, texts):
                key = (r.language, r.reason)
                files, tokens = counts.get(key, (0, 0))
                counts[key] = (files + 1, tokens + (next(lengths) if text else 0))
        yield from counts.items()


class CountDroppedTokens(beam.PTransform):
    """Batches of rejections -> ((language, reason), (files, tokens)) summed over the corpus."""

    def __init__(self, spec: TokenizeSpec):
        super().__init__()
        self._spec = spec

    def expand(self, rejected):
        return (rejected
                | "EncodeDropped" >> beam.ParDo(_CountDroppedDoFn(self._spec))
                | "SumDropped" >> beam.CombinePerKey(_sum_pairs))


def _place(bucket_docs, plan, spec: TokenizeSpec):
    bucket, encoded = bucket_docs
    docs = [(e[0], e[3], e[4]) for e in encoded]
    if spec.packing == "unpacked":
        first_row, shard_starts, _ = plan
        yield from place_bucket_unpacked(bucket, docs, first_row, shard_starts, spec.seq_len)
    else:
        starts, _ = plan
        yield from place_bucket_packed(bucket, docs, starts, shard_capacity(spec.shard_tokens, spec.seq_len))


def number_stats(rows, values, num_id: int) -> dict:
    """count, sum, sum of squares, min and max of the values at [NUM] tokens (additive across shards)."""
    ids = np.concatenate([np.ravel(r) for r in rows]) if len(rows) else np.empty(0, np.int32)
    vals = np.concatenate([np.ravel(v) for v in values]) if len(rows) else np.empty(0, np.float32)
    at = vals[ids == num_id].astype(np.float64)
    if not len(at):
        return {"count": 0, "sum": 0.0, "sum_squares": 0.0, "min": None, "max": None}
    return {"count": int(len(at)), "sum": float(at.sum()), "sum_squares": float((at * at).sum()),
            "min": float(at.min()), "max": float(at.max())}


class _WriteShardDoFn(beam.DoFn):
    def __init__(self, spec: TokenizeSpec, out_dir: str, pad_id: int, dtype: str, num_id: int | None):
        self._spec, self._out_dir, self._pad_id, self._dtype = spec, out_dir, pad_id, dtype
        self._num_id = num_id

    def process(self, keyed, plan):
        index, pieces = keyed
        padding = dropped = 0
        if self._spec.packing == "unpacked":
            rows, values, row_doc_ids = assemble_unpacked(list(pieces))
        else:
            _, total = plan
            capacity = shard_capacity(self._spec.shard_tokens, self._spec.seq_len)
            is_last = index == (total - 1) // capacity
            rows, values, row_doc_ids, padding, dropped = assemble_rows(
                list(pieces), self._spec.seq_len, self._spec.final_row if is_last else "pad", self._pad_id)
        if len(rows):
            info = write_shard(self._out_dir, index, rows, row_doc_ids, values, self._dtype)
            if values is not None:
                info["numbers"] = number_stats(rows, values, self._num_id)
        else:  # a last shard whose only partial row was dropped
            info = {"path": None, "rows": 0, "tokens": 0, "bytes": 0, "sha256": None}
        yield {**info, "index": index, "padding_tokens": padding, "dropped_tail_tokens": dropped}


class Tokenize(beam.PTransform):
    """Outputs ``shards`` (one info dict per shard) and ``token_counts``
    (((source, language), (documents, tokens)))."""

    def __init__(self, spec: TokenizeSpec, out_dir: str):
        super().__init__()
        self._spec, self._out_dir = spec, out_dir
        # On the launcher, once: the policy's ids and what the manifest records of the tokenizer.
        tokenizer, sha256 = read_tokenizer(spec.tokenizer)
        encoder = Encoder(tokenizer, **encoder_options(spec))
        self.pad_id = encoder.pad_id
        self.dtype = choose_dtype(spec, encoder.vocab_size)
        self.info = {"path": spec.tokenizer, "sha256": sha256, **encoder.info(), "dtype": self.dtype,
                     "packing": spec.packing, "seq_len": spec.seq_len, "shard_tokens": spec.shard_tokens,
                     "columns": ["input_ids"] + (["num_values"] if spec.numbers == "xval" else [])
                     + ["doc_ids"]}

    def expand(self, batches):
        spec = self._spec
        encoded = batches | "Encode" >> beam.ParDo(_EncodeDoFn(spec))
        # The plan: per bucket, the lengths of its documents in id order (4 bytes each, one worker),
        # reduced to O(buckets + shards) numbers that every worker gets as a side input.
        per_bucket = (encoded
                      | "BucketLength" >> beam.Map(lambda e: (bucket_of(e[0]), (e[0], len(e[3]))))
                      | "GroupLengths" >> beam.GroupByKey()
                      | "SortLengths" >> beam.MapTuple(bucket_lengths)
                      | "AllBuckets" >> beam.combiners.ToList())
        if spec.packing == "unpacked":
            plan = per_bucket | "Plan" >> beam.Map(layout_unpacked, spec.seq_len, spec.shard_tokens)
        else:
            plan = per_bucket | "Plan" >> beam.Map(layout_packed)
        pieces = (encoded
                  | "KeyByBucket" >> beam.Map(lambda e: (bucket_of(e[0]), e))
                  | "GroupBuckets" >> beam.GroupByKey()
                  | "Place" >> beam.FlatMap(_place, plan=beam.pvalue.AsSingleton(plan), spec=spec))
        shards = (pieces
                  | "GroupByShard" >> beam.GroupByKey()
                  | "WriteShards" >> beam.ParDo(
                      _WriteShardDoFn(spec, self._out_dir, self.pad_id, self.dtype, self.info["num_token_id"]),
                      plan=beam.pvalue.AsSingleton(plan)))
        token_counts = (encoded
                        | "KeyBySourceLanguage" >> beam.Map(lambda e: ((e[1], e[2]), (1, len(e[3]))))
                        | "SumDocsTokens" >> beam.CombinePerKey(_sum_pairs))
        return {"shards": shards, "token_counts": token_counts}
