"""Hugging Face ``datasets`` as a source: one Document per row, read by the datasets library.

``path`` is one of (checked in this order):

* a folder written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` (``hf_split`` picks the
  split of a DatasetDict): each Arrow file of the split is one work unit (``Dataset.from_file``);
* data files, a file or a glob (``.parquet``, ``.json``, ``.jsonl``, ``.arrow``, ``.csv``, ``.txt``,
  compressed ``.gz``/``.zst`` too): each file is one work unit, read with
  ``load_dataset(<builder>, data_files=<file>, streaming=True)``;
* anything else is a dataset name on the Hub (``open-web-math/open-web-math``) or a local dataset
  repository (a folder with its data files and README): ``load_dataset(path, hf_config,
  split=hf_split, streaming=True)``: streamed (unless ``streaming: false``), never downloaded or
  copied to the datasets cache whole; each of the dataset's shards (files) is one
  work unit (``IterableDataset.shard``). The machine must be online for the Hub; offline, the error
  says so before the pipeline starts.

Rows become Documents exactly as JSONL/Parquet rows do (``row_verdict``: ``text_field``, ``id_field``,
``fields`` mapping, Stack/OpenWebMath field names), named ``<source>/<file>:<row>`` (1-based) or
``<source>/<split>.<shard>:<row>`` for streamed shards when the rows have no id.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Iterator

from mathcorpus import storage
from mathcorpus.document import Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources.jsonl import row_verdict

_BUILDERS = {
    ".parquet": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".arrow": "arrow",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "text",
}


def _builder_of(path: str) -> str | None:
    name = path.lower()
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return _BUILDERS.get(os.path.splitext(name)[1])


def _saved_split_folder(spec: SourceSpec) -> str | None:
    """The folder of the split's `state.json` when `path` was written by save_to_disk."""
    path = spec.path
    if storage.is_remote(path) or not os.path.isdir(path):
        return None
    if os.path.isfile(os.path.join(path, "state.json")):
        return path
    dict_file = os.path.join(path, "dataset_dict.json")
    if os.path.isfile(dict_file):
        with open(dict_file, encoding="utf-8") as fh:
            splits = json.load(fh).get("splits", [])
        if spec.hf_split not in splits:
            raise RecipeError(
                f"source {spec.name!r}: split {spec.hf_split!r} not in {path} "
                f"(it has {', '.join(splits)}); set hf_split"
            )
        return os.path.join(path, spec.hf_split)
    return None


def _data_files(spec: SourceSpec) -> list[str]:
    if _builder_of(spec.path) is None:
        return []
    return (
        storage.expand_patterns([spec.path])
        if storage.is_remote(spec.path)
        else sorted(p for p in glob.glob(spec.path, recursive=True) if os.path.isfile(p))
    )


def _load_streaming(spec: SourceSpec):
    import datasets

    datasets.disable_progress_bars()
    local = os.path.isdir(spec.path)
    streaming = spec.streaming if spec.streaming is not None else True
    try:
        ds = datasets.load_dataset(spec.path, spec.hf_config, split=spec.hf_split, streaming=streaming)
    except Exception as err:  # noqa: BLE001 - datasets raises many types (network, missing, schema)
        hint = "" if local else " (a Hub dataset needs the machine to be online)"
        raise RecipeError(
            f"source {spec.name!r}: cannot load dataset {spec.path!r}{hint}: {type(err).__name__}: {err}"
        ) from None
    return ds


def read_units(spec: SourceSpec) -> list[tuple]:
    folder = _saved_split_folder(spec)
    if folder is not None:
        with open(os.path.join(folder, "state.json"), encoding="utf-8") as fh:
            files = [f["filename"] for f in json.load(fh).get("_data_files", [])]
        return [("arrow", os.path.join(folder, f)) for f in files]
    files = _data_files(spec)
    if files:
        return [("file", _builder_of(f), f) for f in files]
    if _builder_of(spec.path) is not None:
        raise RecipeError(f"source {spec.name!r}: no file matches {spec.path}")
    ds = _load_streaming(spec)
    shards = getattr(ds, "num_shards", None) or 1
    return [("shard", i, shards) for i in range(shards)]


def input_bytes(spec: SourceSpec) -> int:
    folder = _saved_split_folder(spec)
    if folder is not None:
        return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    files = _data_files(spec)
    if files:
        return sum(storage.size(f) for f in files)
    if os.path.isdir(spec.path):
        return sum(os.path.getsize(p) for p, _ in storage.walk_tree(spec.path))
    return 0  # a Hub dataset: size unknown before reading


def _rows(unit: tuple, spec: SourceSpec) -> Iterator[dict]:
    import datasets

    datasets.disable_progress_bars()
    if unit[0] == "arrow":
        yield from datasets.Dataset.from_file(unit[1]).to_iterable_dataset()
    elif unit[0] == "file":
        yield from datasets.load_dataset(unit[1], data_files=[unit[2]], split="train", streaming=True)
    else:
        ds = _load_streaming(spec)
        if hasattr(ds, "to_iterable_dataset"):  # a local repository loaded without streaming
            ds = ds.to_iterable_dataset(num_shards=unit[2])
        yield from ds.shard(num_shards=unit[2], index=unit[1])


def read_unit(unit: tuple, spec: SourceSpec) -> Iterator[Verdict]:
    if unit[0] == "shard":
        origin, name = f"{spec.path}[{spec.hf_split}].{unit[1]}", f"{spec.hf_split}.{unit[1]}"
    else:
        origin = unit[-1]
        name = os.path.basename(origin)
    number = 0
    try:
        for number, row in enumerate(_rows(unit, spec), start=1):
            yield row_verdict(row, f"{spec.name}/{name}:{number}", f"row {number}", origin, spec, {"row": number})
    except RecipeError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken file or stream: what was read counts
        yield Rejection(
            id=f"{spec.name}/{name}:{number + 1}-",
            source=spec.name,
            stage="sources",
            reason="corrupt_file",
            path=origin,
            detail=f"stopped after row {number}: {type(err).__name__}: {err}"[:2000],
        )
