"""Packing: one token stream, cut into shards of exactly `shard_tokens` and rows of `seq_len`.

Documents are laid end to end in id order (each already ends with EOS), so the layout is a pure
function of the set of documents: the same input gives the same shards whatever the worker order.
Every shard holds exactly `shard_tokens` tokens (a multiple of `seq_len`) except the last; a
document that straddles a boundary continues in the next shard. Only the last row of the last shard
can be partial: it is padded (``final_row: pad``, padding counted) or dropped (tokens counted).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


def shard_capacity(shard_tokens: int, seq_len: int) -> int:
    """Tokens per shard: `shard_tokens` rounded down to whole rows (at least one row)."""
    return max(seq_len, shard_tokens // seq_len * seq_len)


def plan_offsets(lengths: Iterable[tuple[str, int]]) -> tuple[dict[str, int], int]:
    """Start offset of every document in the global stream (sorted by id), and the total."""
    offsets, total = {}, 0
    for doc_id, n in sorted(lengths):
        offsets[doc_id] = total
        total += n
    return offsets, total


def split_for_shards(start: int, tokens: np.ndarray, capacity: int):
    """Pieces (shard index, offset in shard, tokens) of a document that starts at `start`."""
    pos, end = start, start + len(tokens)
    while pos < end:
        shard, offset = divmod(pos, capacity)
        take = min(end - pos, capacity - offset)
        yield shard, offset, tokens[pos - start:pos - start + take]
        pos += take


def assemble_rows(pieces: list[tuple[int, str, np.ndarray]], seq_len: int, final_row: str,
                  pad_id: int) -> tuple[np.ndarray, list[list[str]], int, int]:
    """Rows [R, seq_len] of one shard, the doc ids overlapping each row, padding and dropped tokens.

    `pieces` are (offset in shard, doc id, tokens) covering the shard contiguously from 0.
    """
    pieces = sorted(pieces, key=lambda p: p[0])
    stream = np.concatenate([p[2] for p in pieces]).astype(np.int32, copy=False)
    n = len(stream)
    padding = dropped = 0
    if n % seq_len:
        if final_row == "pad":
            padding = seq_len - n % seq_len
            stream = np.concatenate([stream, np.full(padding, pad_id, dtype=np.int32)])
        else:
            dropped = n % seq_len
            stream = stream[:n - dropped]
    rows = stream.reshape(-1, seq_len)
    row_doc_ids: list[list[str]] = [[] for _ in range(len(rows))]
    for offset, doc_id, tokens in pieces:
        first, last = offset // seq_len, (offset + len(tokens) - 1) // seq_len
        for r in range(first, min(last, len(rows) - 1) + 1):
            row_doc_ids[r].append(doc_id)
    return rows, row_doc_ids, padding, dropped
