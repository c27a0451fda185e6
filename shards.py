"""Reading token shards for training: ``mathcorpus.shards.open(OUT)``.

    import mathcorpus.shards
    rows = mathcorpus.shards.open("out", seed=0, rank=rank, world_size=world)
    for row in rows:                      # {"input_ids": np.ndarray, "doc_ids": [...]}
        ...
    # xval shards also give "num_values" (float32, parallel to input_ids)
    state = rows.state_dict()             # save with the checkpoint
    rows = mathcorpus.shards.open("out", seed=0, rank=rank, world_size=world, **state)  # resume

Order: with a seed, a block shuffle: the shard order is permuted, then the rows inside each shard,
both from ``numpy.random.default_rng(seed)``; so only one decompressed shard is in memory at a time.
Without a seed, rows come in shard order. Data parallelism: rank r of w takes every w-th row of that
order, starting at r; the order is cut to a multiple of w so every rank sees the same number of rows
(``drop_uneven=False`` keeps the remainder). Resume: ``position`` rows of this rank are skipped
(without decoding the shards they lie in).

PyTorch: ``mathcorpus.shards.torch_dataset(OUT, seed=0)`` is an ``IterableDataset`` (torch stays an
optional dependency) that takes rank and world size from ``torch.distributed`` when it is initialized
and splits each rank's rows over DataLoader workers.
"""

from __future__ import annotations

import json
from typing import Iterator

import numpy as np
import pyarrow as pa

from mathcorpus import storage


def _list_buffers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A list column as (offsets, flat values) NumPy arrays, so a row is one slice (no per-row Arrow)."""
    array = column.combine_chunks()
    offsets = array.offsets.to_numpy()
    return offsets - offsets[0], array.flatten().to_numpy()


def token_count(table: pa.Table) -> int:
    """Tokens in a shard table: the summed lengths of its `input_ids` rows."""
    import pyarrow.compute as pc

    return int(pc.sum(pc.list_value_length(table.column("input_ids"))).as_py() or 0)


def read_table(path: str) -> pa.Table:
    """One Arrow IPC shard, read whole through Beam FileSystems (shards are zstd-compressed)."""
    with storage.open_read(path) as fh:
        return pa.ipc.open_stream(pa.BufferReader(fh.read())).read_all()


class ShardRows:
    """An iterable over the rows of a run's shards (see the module docstring)."""

    def __init__(
        self,
        out_dir: str,
        seed: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        position: int = 0,
        drop_uneven: bool = True,
    ):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        self.out_dir, self.seed, self.rank, self.world_size = out_dir, seed, rank, world_size
        self.position = position
        manifest = json.loads(storage.read_bytes(storage.join(out_dir, "manifest.json")))
        self.shards = [(s["path"], s["rows"]) for s in manifest["shards"]]
        self.manifest = manifest
        self._order = self._global_order(drop_uneven)

    def _global_order(self, drop_uneven: bool) -> list[tuple[int, np.ndarray]]:
        """(shard index, row indices) blocks in reading order, before the rank split."""
        rng = np.random.default_rng(self.seed) if self.seed is not None else None
        shard_order = rng.permutation(len(self.shards)) if rng is not None else range(len(self.shards))
        blocks = []
        for s in shard_order:
            rows = self.shards[s][1]
            blocks.append((int(s), rng.permutation(rows) if rng is not None else np.arange(rows)))
        total = sum(len(b) for _, b in blocks)
        keep = total - total % self.world_size if drop_uneven else total
        out, seen = [], 0
        for s, rows in blocks:
            rows = rows[: max(0, keep - seen)]
            seen += len(rows)
            if len(rows):
                out.append((s, rows))
        return out

    def _my_rows(self) -> Iterator[tuple[int, np.ndarray]]:
        """This rank's rows, per shard, as (shard index, row indices), from global offset 0."""
        offset = 0
        for s, rows in self._order:
            first = (self.rank - offset) % self.world_size
            yield s, rows[first :: self.world_size]
            offset += len(rows)

    def __len__(self) -> int:
        return sum(len(rows) for _, rows in self._my_rows())

    def __iter__(self) -> Iterator[dict]:
        for row in self.rows():
            self.position += 1
            yield row

    def rows(self, worker: int = 0, num_workers: int = 1) -> Iterator[dict]:
        """This rank's rows from `position` on; with `num_workers`, only every num_workers-th of them,
        starting at `worker` (a DataLoader's round-robin over its workers restores the rank's order).
        Shards none of whose rows are wanted are never decoded."""
        j = 0  # index of the block's first row in this rank's sequence
        for s, rows in self._my_rows():
            n, lo = len(rows), max(self.position, j)
            if lo < j + n:
                first = lo + (worker - (lo - self.position)) % num_workers  # worker 0 takes `position`
                picks = rows[first - j :: num_workers]
                if len(picks):
                    table = read_table(storage.join(self.out_dir, self.shards[s][0]))
                    ids_offsets, ids = _list_buffers(table.column("input_ids"))
                    has_values = "num_values" in table.column_names
                    if has_values:
                        value_offsets, values = _list_buffers(table.column("num_values"))
                    doc_ids = table.column("doc_ids").to_pylist()
                    for r in picks.tolist():
                        row = {
                            "input_ids": ids[ids_offsets[r] : ids_offsets[r + 1]],
                            "doc_ids": doc_ids[r],
                            "shard": s,
                            "row": r,
                        }
                        if has_values:
                            row["num_values"] = values[value_offsets[r] : value_offsets[r + 1]]
                        yield row
            j += n

    def state_dict(self) -> dict:
        return {"position": self.position}


def open(
    out_dir: str,
    seed: int | None = None,
    rank: int = 0,
    world_size: int = 1,  # noqa: A001
    position: int = 0,
    drop_uneven: bool = True,
) -> ShardRows:
    """Rows of the shards of the run in `out_dir` (any Beam filesystem path)."""
    return ShardRows(
        str(out_dir), seed=seed, rank=rank, world_size=world_size, position=position, drop_uneven=drop_uneven
    )


def torch_dataset(
    out_dir: str,
    seed: int | None = None,
    rank: int | None = None,
    world_size: int | None = None,
    position: int = 0,
    drop_uneven: bool = True,
    with_doc_ids: bool = False,
):
    """A PyTorch ``IterableDataset`` over the same rows (needs torch; see torch_dataset.py)."""
    from mathcorpus.torch_dataset import ShardDataset

    return ShardDataset(
        str(out_dir),
        seed=seed,
        rank=rank,
        world_size=world_size,
        position=position,
        drop_uneven=drop_uneven,
        with_doc_ids=with_doc_ids,
    )


__all__ = ["open", "read_table", "token_count", "torch_dataset", "ShardRows"]
