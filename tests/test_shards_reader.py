import itertools
import json

import numpy as np
import pytest

import mathcorpus.shards
from mathcorpus.pipeline.tokenize.shards import write_shard


@pytest.fixture
def out(tmp_path):
    """Three shards of 7, 7 and 3 rows; row k of the run holds tokens [k, k, k, k]."""
    shards, k = [], 0
    for index, n in enumerate([7, 7, 3]):
        rows = np.repeat(np.arange(k, k + n, dtype=np.int32)[:, None], 4, axis=1)
        shards.append(write_shard(str(tmp_path), index, rows, [[f"d{i}"] for i in range(k, k + n)]))
        k += n
    (tmp_path / "manifest.json").write_text(json.dumps({"shards": shards}))
    return tmp_path


def ids(rows):
    return [int(r["input_ids"][0]) for r in rows]


def test_unshuffled_reads_every_row_in_order(out):
    rows = list(mathcorpus.shards.open(out))
    assert ids(rows) == list(range(17)) and rows[3]["doc_ids"] == ["d3"]


def test_seeded_shuffle_is_deterministic_and_a_permutation(out):
    a = ids(mathcorpus.shards.open(out, seed=7))
    assert a == ids(mathcorpus.shards.open(out, seed=7))
    assert sorted(a) == list(range(17)) and a != list(range(17))
    assert a != ids(mathcorpus.shards.open(out, seed=8))


@pytest.mark.parametrize("world", [2, 3, 4])
def test_ranks_partition_the_rows_evenly(out, world):
    parts = [ids(mathcorpus.shards.open(out, seed=1, rank=r, world_size=world)) for r in range(world)]
    assert len({len(p) for p in parts}) == 1 and len(parts[0]) == 17 // world
    flat = [x for p in parts for x in p]
    assert len(set(flat)) == len(flat) == 17 - 17 % world
    uneven = [
        ids(mathcorpus.shards.open(out, seed=1, rank=r, world_size=world, drop_uneven=False)) for r in range(world)
    ]
    assert sorted(x for p in uneven for x in p) == list(range(17))


def test_resume_continues_where_it_stopped(out):
    full = ids(mathcorpus.shards.open(out, seed=3, rank=1, world_size=2))
    reader = mathcorpus.shards.open(out, seed=3, rank=1, world_size=2)
    it = iter(reader)
    first = [int(next(it)["input_ids"][0]) for _ in range(5)]
    resumed = mathcorpus.shards.open(out, seed=3, rank=1, world_size=2, **reader.state_dict())
    assert first + ids(resumed) == full
    assert len(resumed) == len(full)


def test_bad_rank_is_refused(out):
    with pytest.raises(ValueError, match="rank"):
        mathcorpus.shards.open(out, rank=2, world_size=2)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_worker_split_round_robin_restores_the_rank_order(out, workers):
    reader = mathcorpus.shards.open(out, seed=5, rank=0, world_size=2, position=2)
    expected = ids(mathcorpus.shards.open(out, seed=5, rank=0, world_size=2, position=2))
    parts = [ids(reader.rows(w, workers)) for w in range(workers)]
    merged = [x for group in itertools.zip_longest(*parts) for x in group if x is not None]
    assert merged == expected


def test_xval_rows_carry_num_values(tmp_path):
    rows = np.array([[1, 9, 2]], dtype=np.int32)
    values = np.array([[1.0, 0.5, 1.0]], dtype=np.float32)
    info = write_shard(str(tmp_path), 0, rows, [["a"]], values, dtype="uint16")
    (tmp_path / "manifest.json").write_text(json.dumps({"shards": [info]}))
    [row] = list(mathcorpus.shards.open(tmp_path))
    assert row["input_ids"].tolist() == [1, 9, 2] and row["num_values"].tolist() == [1.0, 0.5, 1.0]


def test_torch_dataset_matches_the_reader_across_dataloader_workers(out):
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install 'mathcorpus[torch]'")
    expected = ids(mathcorpus.shards.open(out, seed=2, rank=1, world_size=2))
    dataset = mathcorpus.shards.torch_dataset(out, seed=2, rank=1, world_size=2)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    got = [int(item["input_ids"][0]) for item in loader]
    assert got == expected and len(dataset) == len(expected)
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=3)))
    assert batch["input_ids"].shape == (3, 4) and batch["input_ids"].dtype == torch.int64
    resumed = mathcorpus.shards.torch_dataset(out, seed=2, rank=1, world_size=2, position=4)
    assert [
        int(i["input_ids"][0]) for i in torch.utils.data.DataLoader(resumed, batch_size=None, num_workers=2)
    ] == expected[4:]
