"""Packing: where every document's tokens go, as a pure function of the set of (id, length) pairs.

Documents are laid out in a fixed order (work units in index order, then read order: see the end of
the module), so the layout does not depend on worker order: the same input gives the same shards.

``packed``: one token stream (each document already ends with EOS when the recipe adds it), cut into
shards of exactly `shard_tokens` (rounded down to whole rows) and rows of exactly `seq_len`. Only the
last row of the last shard can be partial: it is padded (``final_row: pad``, padding counted) or
dropped (tokens counted). A document that straddles a boundary continues in the next row or shard.

``unpacked``: each document starts a new row; a document longer than `seq_len` fills as many rows as
it needs, the last one shorter. No padding is stored (rows have varying length; a trainer pads per
batch). Rows go to shards in order, a new shard starting when the next row would take the current one
past `shard_tokens` (so every shard is within one row of the target).

Pieces carry an optional float32 `values` array parallel to the tokens (xVal's ``num_values``).
"""

from __future__ import annotations

import bisect
from typing import Iterable

import numpy as np


def shard_capacity(shard_tokens: int, seq_len: int) -> int:
    """Tokens per packed shard: `shard_tokens` rounded down to whole rows (at least one row)."""
    return max(seq_len, shard_tokens // seq_len * seq_len)


def plan_offsets(lengths: Iterable[tuple[str, int]]) -> tuple[dict[str, int], int]:
    """Packed, in one sequence (id order): start offset of every document, and the total."""
    ordered = sorted(lengths)
    starts, total = layout_packed([(i, np.array([n], dtype=np.int64)) for i, (_, n) in enumerate(ordered)])
    return {doc_id: starts[i] for i, (doc_id, _) in enumerate(ordered)}, total


def _slice(values: np.ndarray | None, lo: int, hi: int) -> np.ndarray | None:
    return None if values is None else values[lo:hi]


def split_for_shards(start: int, tokens: np.ndarray, capacity: int, values: np.ndarray | None = None):
    """Packed: pieces (shard index, offset in shard, tokens, values) of a document starting at `start`."""
    pos, end = start, start + len(tokens)
    while pos < end:
        shard, offset = divmod(pos, capacity)
        take = min(end - pos, capacity - offset)
        lo = pos - start
        yield shard, offset, tokens[lo : lo + take], _slice(values, lo, lo + take)
        pos += take


def assemble_rows(
    pieces: list[tuple], seq_len: int, final_row: str, pad_id: int
) -> tuple[np.ndarray, np.ndarray | None, list[list[str]], int, int]:
    """Packed: rows [R, seq_len] of one shard, their values (or None), the doc ids overlapping each
    row, padding and dropped tokens.

    `pieces` are (offset in shard, doc id, tokens, values) covering the shard contiguously from 0.
    """
    pieces = sorted(pieces, key=lambda p: p[0])
    stream = np.concatenate([p[2] for p in pieces]).astype(np.int32, copy=False)
    has_values = pieces[0][3] is not None
    values = np.concatenate([p[3] for p in pieces]).astype(np.float32, copy=False) if has_values else None
    n = len(stream)
    padding = dropped = 0
    if n % seq_len:
        if final_row == "pad":
            padding = seq_len - n % seq_len
            stream = np.concatenate([stream, np.full(padding, pad_id, dtype=np.int32)])
            if has_values:
                values = np.concatenate([values, np.ones(padding, dtype=np.float32)])
        else:
            dropped = n % seq_len
            stream = stream[: n - dropped]
            values = values[: n - dropped] if has_values else None
    rows = stream.reshape(-1, seq_len)
    row_values = values.reshape(-1, seq_len) if has_values else None
    row_doc_ids: list[list[str]] = [[] for _ in range(len(rows))]
    for offset, doc_id, tokens, _ in pieces:
        first, last = offset // seq_len, (offset + len(tokens) - 1) // seq_len
        for r in range(first, min(last, len(rows) - 1) + 1):
            row_doc_ids[r].append(doc_id)
    return rows, row_values, row_doc_ids, padding, dropped


def plan_unpacked(
    lengths: Iterable[tuple[str, int]], seq_len: int, shard_tokens: int
) -> tuple[dict[str, int], list[int], int]:
    """Unpacked, in one sequence (id order): the global index of every document's first row, the
    global row where each shard starts, and the total number of rows (`layout_unpacked` with one
    document per bucket)."""
    ordered = sorted(lengths)
    first, shard_starts, total = layout_unpacked(
        [(i, np.array([n], dtype=np.int64)) for i, (_, n) in enumerate(ordered)], seq_len, shard_tokens
    )
    return {doc_id: first[i] for i, (doc_id, _) in enumerate(ordered)}, shard_starts, total


def split_unpacked(
    first_row: int, tokens: np.ndarray, seq_len: int, shard_starts: list[int], values: np.ndarray | None = None
):
    """Unpacked: pieces (shard index, row in shard, tokens, values) of one document, a row each."""
    for i, lo in enumerate(range(0, len(tokens), seq_len)):
        g = first_row + i
        shard = bisect.bisect_right(shard_starts, g) - 1
        yield shard, g - shard_starts[shard], tokens[lo : lo + seq_len], _slice(values, lo, lo + seq_len)


def assemble_unpacked(pieces: list[tuple]) -> tuple[list[np.ndarray], list[np.ndarray] | None, list[list[str]]]:
    """Unpacked: the rows of one shard in order, their values (or None) and their document id."""
    pieces = sorted(pieces, key=lambda p: p[0])
    rows = [np.asarray(p[2], dtype=np.int32) for p in pieces]
    values = [np.asarray(p[3], dtype=np.float32) for p in pieces] if pieces and pieces[0][3] is not None else None
    return rows, values, [[p[1]] for p in pieces]


# -- Layout of a whole run ----------------------------------------------------------------------------
# Documents are laid out unit by unit (work units in index order), in read order inside a unit. The
# plan step sees each unit's document lengths (8 bytes per kept document, on one worker); every
# shard's writer reads its documents from the token spills (tokenize/__init__.py).


def layout_packed(per_bucket: Iterable[tuple[int, np.ndarray]]) -> tuple[dict[int, int], int]:
    """Packed: the global token offset where each unit (or bucket) starts, and the total."""
    starts, total = {}, 0
    for bucket, lengths in sorted(per_bucket, key=lambda b: b[0]):
        starts[bucket] = total
        total += int(lengths.sum())
    return starts, total


def layout_unpacked(
    per_bucket: Iterable[tuple[int, np.ndarray]], seq_len: int, shard_tokens: int
) -> tuple[dict[int, int], list[int], int]:
    """Unpacked: the global row where each unit (or bucket) starts, the global row where each shard starts,
    and the total number of rows (the same greedy rule as `plan_unpacked`)."""
    first_row, shard_starts = {}, [0]
    row = in_shard = 0
    for bucket, lengths in sorted(per_bucket, key=lambda b: b[0]):
        first_row[bucket] = row
        for n in lengths.tolist():
            full, rest = divmod(n, seq_len)
            for row_len in [seq_len] * full + ([rest] if rest else []):
                if in_shard and in_shard + row_len > shard_tokens:
                    shard_starts.append(row)
                    in_shard = 0
                in_shard += row_len
                row += 1
    return first_row, shard_starts, row
