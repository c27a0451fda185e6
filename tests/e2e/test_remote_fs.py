"""The whole pipeline on a fake object store: sources, benchmark, models, outputs and the reader all go
through Beam's FileSystems (a stage that used open() on these paths would fail)."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from corpus import BENCH_QUESTION, make_corpus
from fake_remote import OBJECTS, upload_tree
from typer.testing import CliRunner

import mathcorpus.shards
from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import load_recipe

ROOT = "fakeremote://bucket/run"


def test_whole_pipeline_on_a_remote_filesystem(tmp_path):
    recipe_path = make_corpus(tmp_path)
    local = load_recipe(recipe_path)
    reference = run_recipe(local, str(tmp_path / "local-out"))  # trains the tokenizer locally too
    upload_tree(tmp_path, ROOT)
    for key in [k for k in OBJECTS if k.startswith(f"{ROOT}/local-out/")]:
        del OBJECTS[key]
    remote = load_recipe(recipe_path).model_copy(
        update={
            "sources": [s.model_copy(update={"path": s.path.replace(str(tmp_path), ROOT)}) for s in local.sources],
            "decontaminate": local.decontaminate.model_copy(
                update={
                    "benchmarks": [
                        b.model_copy(update={"path": b.path.replace(str(tmp_path), ROOT)})
                        for b in local.decontaminate.benchmarks
                    ]
                }
            ),
            "tokenize": local.tokenize.model_copy(update={"tokenizer": f"{ROOT}/tok.json", "train_if_missing": None}),
        }
    )
    out = f"{ROOT}/out"
    manifest = run_recipe(remote, out)

    assert manifest["counts"] == reference["counts"]
    assert [s["sha256"] for s in manifest["shards"]] == [s["sha256"] for s in reference["shards"]]
    assert manifest["contamination"]["hits"] == 1
    for part in (
        "documents/part-00000.parquet",
        "rejected/part-00000.parquet",
        "reports/contamination.jsonl",
        "shards/shard-00000.arrow",
        "manifest.json",
    ):
        assert f"{out}/{part}" in OBJECTS, part
    assert not (tmp_path / "fakeremote:").exists()  # nothing was written to a local look-alike path

    rows = list(mathcorpus.shards.open(out, seed=0))
    assert sum(len(r["input_ids"]) for r in rows) == manifest["tokens"]["total"]

    from mathcorpus.cli.main import app

    runner = CliRunner()
    for command in (["verify", out], ["stats", out, "--json"], ["sample", out, "-n", "1"], ["contamination", out]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
    OBJECTS[f"{out}/shards/shard-00000.arrow"] = b"corrupt"
    assert runner.invoke(app, ["verify", out]).exit_code == 1

    # a re-run into the finished remote output is refused; --force clears every remote part first
    with pytest.raises(Exception, match="already holds a finished run"):
        run_recipe(remote, out)
    OBJECTS[f"{out}/shards/shard-09999.arrow"] = b"stale"
    run_recipe(remote, out, force=True)
    assert f"{out}/shards/shard-09999.arrow" not in OBJECTS
    kept = pq.read_table(io.BytesIO(OBJECTS[f"{out}/documents/part-00000.parquet"])).to_pylist()
    assert kept and all(BENCH_QUESTION not in d["text"] for d in kept)
