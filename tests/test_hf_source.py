"""The Hugging Face datasets source: saved folders, data files and dataset repositories, offline."""

from __future__ import annotations

import json

import datasets
import pytest

from mathcorpus.document import Document, Rejection
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources import read_unit, read_units

ROWS = [
    {"text": f"Row {i}: $x^{i}$", "page": f"https://example.org/{i}", "lic": "cc-by", "uid": f"u{i}"} for i in range(25)
] + [{"text": "  ", "page": None, "lic": None, "uid": "blank"}]


def _read(spec):
    units = read_units(spec)
    return units, [v for unit in units for v in read_unit(unit, spec)]


@pytest.fixture(scope="module")
def dataset():
    datasets.disable_progress_bars()
    return datasets.Dataset.from_list(ROWS)


def test_save_to_disk_folder_one_unit_per_arrow_file(tmp_path, dataset):
    dataset.save_to_disk(str(tmp_path / "saved"), num_shards=3)
    spec = SourceSpec(
        kind="hf", path=str(tmp_path / "saved"), name="hf", id_field="uid", fields={"url": "page", "license": "lic"}
    )
    units, verdicts = _read(spec)
    assert len(units) == 3
    docs = [v for v in verdicts if isinstance(v, Document)]
    assert [d.id for d in docs] == [f"hf/u{i}" for i in range(25)]
    assert docs[3].url == "https://example.org/3" and docs[3].license == "cc-by" and docs[3].kind == "web"
    assert [(v.id, v.reason) for v in verdicts if isinstance(v, Rejection)] == [("hf/blank", "empty")]


def test_dataset_dict_split_and_a_clear_error_for_a_missing_split(tmp_path, dataset):
    datasets.DatasetDict({"train": dataset, "test": dataset.select(range(4))}).save_to_disk(str(tmp_path / "dd"))
    _, verdicts = _read(SourceSpec(kind="hf", path=str(tmp_path / "dd"), name="hf", hf_split="test"))
    assert len(verdicts) == 4
    with pytest.raises(RecipeError, match=r"split .validation. not in .* \(it has train, test\)"):
        read_units(SourceSpec(kind="hf", path=str(tmp_path / "dd"), name="hf", hf_split="validation"))


def test_data_files_and_a_local_dataset_repository_are_streamed(tmp_path, dataset):
    repo = tmp_path / "repo" / "data"
    repo.mkdir(parents=True)
    dataset.select(range(10)).to_parquet(str(repo / "train-00000-of-00002.parquet"))
    dataset.select(range(10, 26)).to_parquet(str(repo / "train-00001-of-00002.parquet"))
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    for path, n_units in ((repo / "*.parquet", 2), (tmp_path / "rows.jsonl", 1), (tmp_path / "repo", 2)):
        units, verdicts = _read(SourceSpec(kind="hf", path=str(path), name="hf"))
        assert len(units) == n_units, path
        texts = sorted(v.text for v in verdicts if isinstance(v, Document))
        assert texts == sorted(r["text"] for r in ROWS if r["text"].strip()), path
        assert len(verdicts) == len(ROWS)
    with pytest.raises(RecipeError, match="no file matches"):
        read_units(SourceSpec(kind="hf", path=str(tmp_path / "none*.parquet"), name="hf"))
