"""The `mathcorpus` command as users run it: the no-argument demo, stats, sample, verify, training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mathcorpus.cli.main import app

runner = CliRunner()


def mathcorpus(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "mathcorpus.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    """`mathcorpus run` with no arguments: the bundled demo, on data every install has."""
    cwd = tmp_path_factory.mktemp("demo")
    result = mathcorpus("run", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    for label in (
        "documents read",
        "kept",
        "dropped: low_math_score",
        "dropped: contaminated",
        "dropped: exact_duplicate",
        "dropped: near_duplicate",
        "tokens (in shards)",
        "shards written",
    ):
        assert label in result.stdout
    return cwd / "mathcorpus-demo"


def test_demo_writes_every_output(demo_out):
    manifest = json.loads((demo_out / "manifest.json").read_text())
    assert manifest["counts"]["kept"] > 100 and manifest["tokens"]["total"] > 100_000
    assert {"numpy", "scipy", "stdlib", "notes", "web"} <= set(manifest["counts"]["by_source"])
    for part in ("documents", "rejected", "shards"):
        assert list((demo_out / part).iterdir())
    assert (demo_out / "reports" / "contamination.jsonl").read_text().strip()
    # the non-math stdlib code is mostly dropped (by the language rules: no numeric import, or by the
    # classifier), the math code mostly kept
    by = manifest["counts"]["by_source"]
    stdlib_dropped = by["stdlib"]["dropped"]
    assert (
        stdlib_dropped.get("no_math_import", 0) + stdlib_dropped.get("low_math_score", 0) > 0.8 * by["stdlib"]["input"]
    )
    python = manifest["languages"]["python"]
    assert python["analysis"] == {"tree-sitter": python["kept"]["files"]}
    assert python["seen"]["files"] == python["kept"]["files"] + sum(d["files"] for d in python["dropped"].values())
    assert python["dropped"]["no_math_import"]["files"] >= 40 and python["tokens_kept"] > 0
    # tokens seen = kept + dropped by rule; the dropped files' tokens are those of their texts encoded
    # as a shard would hold them
    assert python["kept"]["tokens"] == python["tokens_kept"]
    assert python["seen"]["tokens"] == python["kept"]["tokens"] + sum(d["tokens"] for d in python["dropped"].values())
    import pyarrow.parquet as pq

    from mathcorpus.pipeline.tokenize.encode import Encoder
    from mathcorpus.recipe import TokenizeSpec

    rejected = [
        r
        for f in sorted((demo_out / "rejected").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
        if r["language"] == "python" and r["reason"] == "no_math_import"
    ]
    tokenizer = manifest["tokenizer"]["path"]
    encoder = Encoder.from_spec(
        TokenizeSpec(
            **{
                **manifest["recipe"]["tokenize"],
                "tokenizer": str(tokenizer if Path(tokenizer).is_absolute() else demo_out.parent / tokenizer),
            }
        )
    )
    assert python["dropped"]["no_math_import"]["tokens"] == sum(
        len(ids) for ids, _ in encoder.encode([r["text"] for r in rejected])
    )
    assert by["scipy"]["kept"] > 0.8 * by["scipy"]["input"]


def test_second_run_does_not_redo_a_finished_output(demo_out):
    result = mathcorpus("run", cwd=demo_out.parent)
    assert result.returncode == 0 and "already holds a finished run" in " ".join(result.stderr.split())


def test_stats_matches_shards(demo_out):
    manifest = json.loads((demo_out / "manifest.json").read_text())
    result = runner.invoke(app, ["stats", str(demo_out)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert f"{manifest['tokens']['total']:,} tokens in" in flat and f"{len(manifest['shards'])} shards" in flat
    assert "scipy" in result.output and "python" in result.output


def test_sample_decodes_rows(demo_out):
    result = runner.invoke(app, ["sample", str(demo_out), "-n", "2", "--chars", "300"])
    assert result.exit_code == 0, result.output
    assert result.output.count("shards/shard-") == 2


def test_verify_catches_flipped_byte_and_missing_shard(demo_out, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_out, copy)
    assert runner.invoke(app, ["verify", str(copy)]).exit_code == 0
    shard = sorted((copy / "shards").glob("*.arrow"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", str(copy)])
    assert result.exit_code == 1 and "mismatch" in result.output
    shard.unlink()
    result = runner.invoke(app, ["verify", str(copy)])
    assert result.exit_code == 1 and "missing" in result.output


def test_bad_recipe_is_one_clear_line(tmp_path):
    (tmp_path / "r.yaml").write_text("name: x\nsources: [{kind: files, path: nowhere, colour: red}]\n")
    result = mathcorpus("run", str(tmp_path / "r.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "sources.0.colour: unknown key" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "r.yaml").write_text("name: x\nsources: [{kind: files, path: nowhere}]\n")
    result = mathcorpus("run", str(tmp_path / "r.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and "folder not found" in result.stderr


@pytest.mark.parametrize(
    "part,key",
    [
        ("tokenize: {tokenizer: nope.json}", "tokenize.tokenizer"),
        ("filters: {math_classifier: {model: nope.bin}}", "filters.math_classifier.model"),
        ("decontaminate: {benchmarks: [ok.jsonl, nope.jsonl]}", "decontaminate.benchmarks.1.path"),
    ],
)
def test_missing_model_tokenizer_or_benchmark_names_the_key(tmp_path, part, key):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "ok.jsonl").write_text('{"text": "y"}\n')
    (tmp_path / "r.yaml").write_text(f"name: x\nsources: [{{kind: jsonl, path: a.jsonl}}]\n{part}\n")
    result = mathcorpus("run", str(tmp_path / "r.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{key}: file not found" in result.stderr and "r.yaml" in result.stderr
    assert "nope" in result.stderr and "ok.jsonl" not in result.stderr


def test_train_classifier_and_tokenizer_commands(tmp_path):
    import numpy

    from mathcorpus.filters.classifier import chunk_text

    rows = []
    for folder, label in ((Path(numpy.__file__).parent / "linalg", 1), (Path(os.__file__).parent / "email", 0)):
        rows += [
            {"text": chunk, "label": label}
            for p in sorted(folder.glob("*.py"))
            for chunk in chunk_text(p.read_text(errors="replace"))
        ]
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["train-classifier", str(labeled), "-o", str(tmp_path / "m.bin")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m.bin").stat().st_size > 0
    held = [
        {"text": chunk, "label": label}
        for folder, label in ((Path(numpy.__file__).parent / "polynomial", 1), (Path(os.__file__).parent / "http", 0))
        for p in sorted(folder.glob("*.py"))
        for chunk in chunk_text(p.read_text(errors="replace"))
    ]
    (tmp_path / "held.jsonl").write_text("".join(json.dumps(r) + "\n" for r in held))
    result = runner.invoke(app, ["eval-classifier", str(tmp_path / "m.bin"), str(tmp_path / "held.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"precision", "recall", "f1", "auc", "histogram"} <= set(report) and report["auc"] > 0.8
    assert report["examples"] == len(held) and sum(report["histogram"]["math"]) == report["math"]
    result = runner.invoke(app, ["eval-classifier", str(tmp_path / "m.bin"), str(tmp_path / "held.jsonl")])
    assert "ROC AUC" in result.output and "histogram" in result.output
    # no labels at all: bootstrap from unlabeled files (rules seed, the model relabels)
    unlabeled = tmp_path / "unlabeled.jsonl"
    unlabeled.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in rows))
    result = runner.invoke(app, ["train-classifier", "--bootstrap", str(unlabeled), "-o", str(tmp_path / "b.bin")])
    assert result.exit_code == 0, result.output
    assert "round 2" in result.output and (tmp_path / "b.bin").stat().st_size > 0
    result = runner.invoke(app, ["train-classifier", "-o", str(tmp_path / "c.bin")])
    assert result.exit_code != 0 and "--bootstrap" in result.output + result.stderr
    result = runner.invoke(
        app,
        [
            "train-tokenizer",
            str(Path(numpy.__file__).parent / "linalg"),
            "-o",
            str(tmp_path / "tok.json"),
            "--vocab-size",
            "500",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "tok.json").read_text())["model"]["type"] == "BPE"


def test_help_explains_each_command():
    result = runner.invoke(app, ["--help"])
    for verb in ("run", "stats", "sample", "verify", "train-classifier", "eval-classifier", "train-tokenizer"):
        assert verb in result.output


def test_reader_api_streams_the_demo_shards(demo_out):
    import mathcorpus.shards

    manifest = json.loads((demo_out / "manifest.json").read_text())
    rows = mathcorpus.shards.open(str(demo_out), seed=0, rank=0, world_size=1)
    assert len(rows) == sum(s["rows"] for s in manifest["shards"])
    seq_len = manifest["tokenizer"]["seq_len"]
    first = next(iter(rows))
    assert len(first["input_ids"]) == seq_len and first["doc_ids"]


def test_stats_json_and_filtered_sample(demo_out):
    result = runner.invoke(app, ["stats", str(demo_out), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    manifest = json.loads((demo_out / "manifest.json").read_text())
    assert stats["tokens"] == manifest["tokens"]["total"] and stats["dtype"] == "uint16"
    assert stats["rows"] == sum(s["rows"] for s in manifest["shards"])
    assert stats["by_source"]["scipy"]["languages"]["python"]["tokens"] > 0
    assert stats["by_language"]["python"]["documents"] > 0
    assert sum(v["tokens"] for v in stats["by_language"].values()) == stats["document_tokens"]

    result = runner.invoke(app, ["sample", str(demo_out), "-n", "2", "--source", "notes"])
    assert result.exit_code == 0, result.output
    assert result.output.count("shards/shard-") == 2 and "notes/" in result.output
    result = runner.invoke(app, ["sample", str(demo_out), "-n", "1", "--language", "nope"])
    assert result.exit_code == 2 and "no kept document has language 'nope'" in result.output


def test_shards_open_with_hugging_face_datasets_and_pyarrow(demo_out, tmp_path):
    import pyarrow as pa
    from datasets import Dataset, load_dataset

    manifest = json.loads((demo_out / "manifest.json").read_text())
    first = demo_out / manifest["shards"][0]["path"]
    mapped = pa.ipc.open_stream(pa.memory_map(str(first))).read_all()
    one = Dataset.from_file(str(first))
    assert one.num_rows == mapped.num_rows == manifest["shards"][0]["rows"]
    assert one[0]["input_ids"] == mapped.column("input_ids")[0].as_py()
    every = load_dataset(
        "arrow", data_files=str(demo_out / "shards" / "*.arrow"), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert every.num_rows == sum(s["rows"] for s in manifest["shards"])


def test_beam_options_pass_straight_through(tmp_path):
    """`mathcorpus run RECIPE --runner DataflowRunner ...` reaches Beam (with or without `--`)."""
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "x y z"}) + "\n")
    (tmp_path / "r.yaml").write_text("name: r\nsources: [{kind: jsonl, path: a.jsonl}]\noutput: out\n")
    for extra in (
        ["--runner", "DataflowRunner", "--project", "p", "--region", "r"],
        ["--", "--runner=DataflowRunner", "--project=p"],
    ):
        result = runner.invoke(
            app,
            ["run", str(tmp_path / "r.yaml"), *extra, "--temp_location=gs://b/tmp", "--setup_file=./pyproject.toml"],
        )
        assert result.exit_code == 2 and "cannot read the launcher's disk" in " ".join(result.output.split()), (
            result.output
        )
    result = runner.invoke(
        app, ["run", str(tmp_path / "r.yaml"), "--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    )
    assert result.exit_code == 0, result.output
