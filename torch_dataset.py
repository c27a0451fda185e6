"""PyTorch ``IterableDataset`` over token shards: ``mathcorpus.shards.torch_dataset(OUT, seed=0)``.

Imported only when asked for, so torch stays optional and the CLI never pays for importing it.

- Rank and world size: the arguments, else ``torch.distributed`` when it is initialized, else 0 and 1.
- DataLoader workers: each worker takes every num_workers-th row of its rank's sequence; the loader's
  round-robin over workers gives back exactly the rank's order, so ``mathcorpus.shards.open`` and this
  dataset yield the same rows in the same order.
- Resume: pass ``position`` = rows of this rank already consumed (for example step * batch size).
- Items: ``input_ids`` as int64 tensors (uint16 shards included), ``num_values`` as float32 tensors
  for xval shards, and ``doc_ids`` only with ``with_doc_ids=True`` (lists of strings do not collate).
  Unpacked shards have rows of varying length: give the DataLoader a padding ``collate_fn``.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError as err:  # pragma: no cover - exercised only without torch
    raise ImportError("mathcorpus.shards.torch_dataset needs PyTorch (pip install torch)") from err

from mathcorpus.shards import ShardRows


def _distributed() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class ShardDataset(IterableDataset):
    def __init__(
        self,
        out_dir: str,
        seed: int | None = None,
        rank: int | None = None,
        world_size: int | None = None,
        position: int = 0,
        drop_uneven: bool = True,
        with_doc_ids: bool = False,
    ):
        super().__init__()
        if rank is None or world_size is None:
            rank, world_size = _distributed()
        self.rows = ShardRows(
            out_dir, seed=seed, rank=rank, world_size=world_size, position=position, drop_uneven=drop_uneven
        )
        self.with_doc_ids = with_doc_ids

    def __len__(self) -> int:
        return max(0, len(self.rows) - self.rows.position)

    def __iter__(self):
        info = get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        for row in self.rows.rows(worker, num_workers):
            item = {"input_ids": torch.from_numpy(row["input_ids"].astype(np.int64))}
            if "num_values" in row:
                item["num_values"] = torch.from_numpy(row["num_values"].astype(np.float32))
            if self.with_doc_ids:
                item["doc_ids"] = row["doc_ids"]
            yield item
