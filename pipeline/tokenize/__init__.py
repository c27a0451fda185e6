"""Tokenize stage: batch-encode kept documents, pack them into fixed-length rows, write sized shards.

Graph: documents -> BatchElements -> encode (tokenizer loaded once per worker in DoFn.setup)
-> plan (one small global step over (id, length) pairs: the start offset of every document)
-> pieces keyed by shard index -> GroupByKey -> one Arrow file per shard.
The plan holds two numbers per kept document on one worker (about 100 bytes each with the id), the
only global state of this stage; token arrays never leave the encode -> shard path.
"""

from __future__ import annotations

import apache_beam as beam

from mathcorpus.document import Document
from mathcorpus.pipeline.tokenize.encode import encode_documents, eos_id, load_tokenizer, read_tokenizer
from mathcorpus.pipeline.tokenize.pack import (assemble_rows, plan_offsets, shard_capacity,
                                               split_for_shards)
from mathcorpus.pipeline.tokenize.shards import write_shard
from mathcorpus.recipe import TokenizeSpec

PAD_TOKENS = ("<|pad|>", "<pad>", "[PAD]")


class _EncodeDoFn(beam.DoFn):
    def __init__(self, spec: TokenizeSpec):
        self._spec = spec

    def setup(self):
        self._tokenizer = load_tokenizer(self._spec.tokenizer)
        self._eos = eos_id(self._tokenizer, self._spec.eos_token)

    def process(self, batch: list[Document]):
        for doc, ids in zip(batch, encode_documents(self._tokenizer, [d.text for d in batch], self._eos)):
            yield doc.id, doc.source, doc.language or "unknown", ids


def _pieces(encoded, plan, capacity: int):
    doc_id, _, _, ids = encoded
    offsets, _ = plan
    for shard, offset, tokens in split_for_shards(offsets[doc_id], ids, capacity):
        yield shard, (offset, doc_id, tokens)


class _WriteShardDoFn(beam.DoFn):
    def __init__(self, spec: TokenizeSpec, out_dir: str, pad_id: int):
        self._spec, self._out_dir, self._pad_id = spec, out_dir, pad_id

    def process(self, keyed, plan):
        index, pieces = keyed
        _, total = plan
        capacity = shard_capacity(self._spec.shard_tokens, self._spec.seq_len)
        is_last = index == (total - 1) // capacity
        rows, row_doc_ids, padding, dropped = assemble_rows(
            list(pieces), self._spec.seq_len, self._spec.final_row if is_last else "pad", self._pad_id)
        info = write_shard(self._out_dir, index, rows, row_doc_ids) if len(rows) else None
        if info is None:  # a last shard whose only partial row was dropped
            info = {"path": None, "rows": 0, "tokens": 0, "bytes": 0, "sha256": None}
        yield {**info, "index": index, "padding_tokens": padding, "dropped_tail_tokens": dropped}


class Tokenize(beam.PTransform):
    """Outputs ``shards`` (one info dict per shard) and ``token_counts`` (((source, language), n))."""

    def __init__(self, spec: TokenizeSpec, out_dir: str):
        super().__init__()
        self._spec, self._out_dir = spec, out_dir
        # On the launcher, once: the special ids and what the manifest records of the tokenizer.
        tokenizer, sha256 = read_tokenizer(spec.tokenizer)
        self.eos_id = eos_id(tokenizer, spec.eos_token)
        self.pad_id = next((tokenizer.token_to_id(t) for t in PAD_TOKENS
                            if tokenizer.token_to_id(t) is not None), self.eos_id)
        self.info = {"path": spec.tokenizer, "sha256": sha256,
                     "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
                     "eos_id": self.eos_id, "pad_id": self.pad_id, "seq_len": spec.seq_len,
                     "shard_tokens": spec.shard_tokens}

    def expand(self, docs):
        spec = self._spec
        encoded = (docs
                   | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=spec.batch_size)
                   | "Encode" >> beam.ParDo(_EncodeDoFn(spec)))
        plan = (encoded
                | "Lengths" >> beam.Map(lambda e: (e[0], len(e[3])))
                | "AllLengths" >> beam.combiners.ToList()
                | "Plan" >> beam.Map(plan_offsets))
        capacity = shard_capacity(spec.shard_tokens, spec.seq_len)
        shards = (encoded
                  | "Pieces" >> beam.FlatMap(_pieces, plan=beam.pvalue.AsSingleton(plan), capacity=capacity)
                  | "GroupByShard" >> beam.GroupByKey()
                  | "WriteShards" >> beam.ParDo(_WriteShardDoFn(spec, self._out_dir, self.pad_id),
                                                plan=beam.pvalue.AsSingleton(plan)))
        token_counts = (encoded
                        | "KeyBySourceLanguage" >> beam.Map(lambda e: ((e[1], e[2]), len(e[3])))
                        | "SumTokens" >> beam.CombinePerKey(sum))
        return {"shards": shards, "token_counts": token_counts}
