"""Whole recipes through Beam's DirectRunner: outputs, accounting, determinism, multi-processing."""

from __future__ import annotations

import glob
import json
import os
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from corpus import BENCH_QUESTION, make_corpus  # noqa: E402

from mathcorpus.pipeline.build import OutputExists, run_recipe
from mathcorpus.recipe import RecipeError, load_recipe
from mathcorpus.shards import read_table as read_shard


def output_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    recipe = load_recipe(make_corpus(root))
    manifest = run_recipe(recipe, str(root / "out"))
    return root, recipe, manifest


def test_outputs_and_accounting(corpus):
    root, recipe, manifest = corpus
    out = root / "out"
    counts = manifest["counts"]
    assert counts["input"] == 9 + 6  # 9 files in the tree, 6 JSONL lines
    assert counts["input"] == counts["kept"] + sum(counts["dropped"].values())
    assert counts["dropped"] == {
        "binary": 1,
        "contaminated": 1,
        "exact_duplicate": 1,
        "malformed_json": 1,
        "near_duplicate": 1,
        "parse_error": 1,
    }
    assert counts["kept"] == 9

    docs = pq.read_table(sorted(glob.glob(str(out / "documents" / "*.parquet")))).to_pylist()
    assert len(docs) == counts["kept"] and {"id", "text", "source", "language", "math_score"} <= set(docs[0])
    rejected = pq.read_table(sorted(glob.glob(str(out / "rejected" / "*.parquet")))).to_pylist()
    assert len(rejected) == sum(counts["dropped"].values())
    dup = next(r for r in rejected if r["reason"] == "exact_duplicate")
    assert dup["id"] == "tree/pkg/solver.py" and dup["duplicate_of"] == "tree/pkg/copy_of_solver.py"

    [hit] = [json.loads(line) for line in (out / "reports" / "contamination.jsonl").read_text().splitlines()]
    assert hit["doc_id"] == "tree/notes/homework.md" and hit["item"] == "q1"
    assert hit["benchmark"] == f"{root.name}/bench" and hit["matching_ngrams"] >= 10
    near = next(r for r in rejected if r["reason"] == "near_duplicate")
    assert near["id"] == "tree/notes/roots_v2.md" and near["duplicate_of"] == "tree/notes/roots.md"
    assert manifest["contamination"]["hits"] == 1

    total = 0
    for shard in manifest["shards"]:
        table = read_shard(str(out / shard["path"]))
        lengths = {len(r) for r in table.column("input_ids").to_pylist()}
        assert lengths == {64} and table.num_rows == shard["rows"]
        total += shard["tokens"]
    assert len(manifest["shards"]) >= 2
    assert all(s["tokens"] == 512 for s in manifest["shards"][:-1])
    assert total == manifest["tokens"]["total"]
    assert manifest["tokens"]["document_tokens"] + manifest["tokens"]["padding"] == total
    assert set(manifest["tokens"]["by_source"]) == {"tree", "web"}


def test_finished_output_is_not_overwritten(corpus):
    root, recipe, _ = corpus
    with pytest.raises(OutputExists):
        run_recipe(recipe, str(root / "out"))


def test_rerun_is_byte_identical_and_multiprocessing_matches(corpus, monkeypatch):
    from apache_beam.runners.worker import data_plane

    root, recipe, manifest = corpus
    again = run_recipe(recipe, str(root / "again"))
    # the runner must not send data through Beam's timer-flushed streams (they drop writes made
    # during a flush; pipeline/runner.data_sent_whole)
    timed_streams = []
    timed_init = data_plane.TimeBasedBufferingClosableOutputStream.__init__
    monkeypatch.setattr(
        data_plane.TimeBasedBufferingClosableOutputStream,
        "__init__",
        lambda self, *a, **k: (timed_streams.append(self), timed_init(self, *a, **k))[1],
    )
    multi = run_recipe(
        recipe, str(root / "multi"), beam_args=["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    )
    assert timed_streams == []
    assert again == manifest == multi
    reference = output_bytes(root / "out")
    assert output_bytes(root / "again") == reference
    assert output_bytes(root / "multi") == reference


def test_a_run_gives_the_caller_its_garbage_collector_settings_back(tmp_path):
    import gc

    from mathcorpus.workers import GC_THRESHOLDS

    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps({"text": f"document {i} about primes"}) + "\n" for i in range(5))
    )
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {"name": "gc", "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl"}], "dedup": {"exact": True}}
        )
    )
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        seen = []
        gc.callbacks.append(lambda phase, info: seen.append(gc.get_threshold()) if phase == "start" else None)
        manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
        gc.callbacks.pop()
        assert manifest["counts"]["kept"] == 5
        assert gc.get_threshold() == (700, 10, 10)
        assert GC_THRESHOLDS in seen  # the run itself collected with the workers' thresholds
    finally:
        gc.set_threshold(*before)


def test_dedup_only_recipe_is_valid(tmp_path):
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in ["x y z", "x y z", "q"]))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump({"name": "d", "sources": [{"kind": "jsonl", "path": "a.jsonl"}], "dedup": {"exact": True}})
    )
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    assert manifest["counts"]["kept"] == 2 and manifest["counts"]["dropped"] == {"exact_duplicate": 1}
    assert manifest["shards"] == [] and manifest["tokenizer"] is None


def test_exact_dedup_normalizes_each_source_as_the_recipe_says(tmp_path):
    prose = ["The Sum of  two primes", "the sum of two primes", "x"]
    code = ["def f(x):\n    return x\n", "def f(x):\n\treturn x\n", "DEF F(X):\n    RETURN X\n"]
    (tmp_path / "prose.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in prose))
    (tmp_path / "code.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in code + [prose[1]]))
    recipe = {
        "name": "n",
        "sources": [
            {"name": "prose", "kind": "jsonl", "path": "prose.jsonl"},
            {"name": "code", "kind": "jsonl", "path": "code.jsonl"},
        ],
        "dedup": {"exact": True, "normalize_by_source": {"code": "none"}},
    }
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    removed = {r["id"]: r["duplicate_of"] for r in pq.read_table(tmp_path / "out" / "rejected").to_pylist()}
    # prose: case and spaces do not count; code: every byte does, and a copy of a prose document in
    # the code source is still found (equal under both normalizations; the first in input order survives)
    assert removed == {"prose/prose.jsonl:2": "prose/prose.jsonl:1", "code/code.jsonl:4": "prose/prose.jsonl:1"}
    assert manifest["counts"]["kept"] == 5

    recipe["dedup"]["normalize_by_source"] = {"kode": "none"}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    with pytest.raises(RecipeError, match="normalize_by_source names no source.*kode"):
        load_recipe(tmp_path / "r.yaml")


def _variant(root: Path, recipe, name: str, **tokenize):
    spec = recipe.tokenize.model_copy(update=tokenize)
    return run_recipe(recipe.model_copy(update={"tokenize": spec}), str(root / name)), root / name


def test_xval_run_writes_num_values_and_is_deterministic(corpus):
    from typer.testing import CliRunner

    from mathcorpus.cli.main import app

    root, recipe, _ = corpus
    manifest, out = _variant(root, recipe, "xval", numbers="xval")
    tok = manifest["tokenizer"]
    assert tok["numbers"] == "xval" and tok["dtype"] == "uint16" and tok["num_token_added"] is False
    assert tok["columns"] == ["input_ids", "num_values", "doc_ids"]
    assert manifest["numbers"]["count"] > 0
    found = 0
    for shard in manifest["shards"]:
        table = read_shard(str(out / shard["path"]))
        for ids, values in zip(table.column("input_ids").to_pylist(), table.column("num_values").to_pylist()):
            assert len(ids) == len(values) == 64
            found += sum(1 for i in ids if i == tok["num_token_id"])
            assert all(v == 1.0 for i, v in zip(ids, values) if i != tok["num_token_id"])
    assert found == manifest["numbers"]["count"]
    again, again_out = _variant(root, recipe, "xval-again", numbers="xval")
    assert again == manifest and output_bytes(again_out) == output_bytes(out)
    shown = CliRunner().invoke(app, ["sample", str(out), "-n", "40", "--chars", "100000"])
    assert shown.exit_code == 0 and "[NUM=" in shown.output, shown.output[-2000:]


def test_unpacked_run_keeps_one_document_per_row(corpus):
    root, recipe, _ = corpus
    manifest, out = _variant(
        root, recipe, "unpacked", packing="unpacked", numbers="split_digits", dtype="int32", shard_tokens=300
    )
    assert manifest["tokens"]["padding"] == 0
    assert manifest["tokens"]["total"] == manifest["tokens"]["document_tokens"]
    docs_seen = set()
    for shard in manifest["shards"]:
        table = read_shard(str(out / shard["path"]))
        assert str(table.schema.field("input_ids").type.value_type) == "int32"
        assert shard["tokens"] <= 300 + 64
        for ids, doc_ids in zip(table.column("input_ids").to_pylist(), table.column("doc_ids").to_pylist()):
            assert 0 < len(ids) <= 64 and len(doc_ids) == 1
            docs_seen.add(doc_ids[0])
    assert len(docs_seen) == manifest["counts"]["kept"]


def test_contamination_command_and_reports(corpus):
    from typer.testing import CliRunner

    from mathcorpus.cli.main import app

    root, _, manifest = corpus
    out = root / "out"
    summary = manifest["contamination"]
    assert summary["hits"] == 1 and list(summary["by_split"]) == [f"{root.name}/bench/all"]
    assert summary["by_source"]["tree"]["documents"] == 1 and summary["actions"] == {"dropped": 1}
    [item] = [json.loads(line) for line in (out / "reports" / "contamination_items.jsonl").read_text().splitlines()]
    assert item["item"] == "q1" and item["documents"] == ["tree/notes/homework.md"]
    assert item["longest_span_words"] >= 30  # the whole question was copied
    result = CliRunner().invoke(app, ["contamination", str(out)])
    assert result.exit_code == 0 and "q1" in result.output and "by benchmark split" in result.output
    as_json = json.loads(CliRunner().invoke(app, ["contamination", str(out), "--json"]).output)
    assert as_json["top_items"][0]["item"] == "q1"


def test_mask_and_formal_cuts_through_the_pipeline(corpus, tmp_path):
    root, recipe, _ = corpus
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "homework.md").write_text(
        "My notes for today.\n\n" + BENCH_QUESTION + "\n\nThe rest is my own work on "
        "compact sets and open covers, with a proof by contradiction.\n"
    )
    (tree / "Algebra.lean").write_text(
        "import Mathlib\n\ntheorem bench_thm (x : ℝ) (h : 2 * x = 6) : x = 3 := by\n  linarith\n\n"
        "theorem my_thm (n : ℕ) : n + 0 = n := by simp\n"
    )
    (tmp_path / "formal.jsonl").write_text(
        json.dumps(
            {
                "name": "bench_thm",
                "split": "test",
                "formal_statement": "theorem bench_thm (x : ℝ) (h : 2 * x = 6) : x = 3 := by sorry",
            }
        )
        + "\n"
    )
    spec = recipe.decontaminate.model_copy(
        update={
            "mode": "mask",
            "benchmarks": [
                *recipe.decontaminate.benchmarks,
                recipe.decontaminate.benchmarks[0].model_copy(
                    update={"path": str(tmp_path / "formal.jsonl"), "name": "f2f"}
                ),
            ],
        }
    )
    source = recipe.sources[0].model_copy(update={"path": str(tree)})
    masked = recipe.model_copy(update={"decontaminate": spec, "sources": [source], "dedup": None})
    manifest = run_recipe(masked, str(tmp_path / "out"))
    docs = {
        d["id"]: d
        for d in pq.read_table(sorted(glob.glob(str(tmp_path / "out" / "documents" / "*.parquet")))).to_pylist()
    }
    homework = docs["tree/homework.md"]["text"]
    assert "marbles" not in homework and "compact sets" in homework and homework.startswith("My notes")
    lean = docs["tree/Algebra.lean"]["text"]
    assert "bench_thm" not in lean and "my_thm" in lean
    assert manifest["contamination"]["actions"] == {"cut": 1, "masked": 1}
    assert manifest["counts"]["kept"] == 2


def test_one_table_file_per_work_unit(tmp_path):
    """A large JSONL file is read in byte ranges; each range is a work unit with its own table files,
    written in read order."""
    rows = "".join(json.dumps({"text": f"document number {i} " * 20}) + "\n" for i in range(40))
    (tmp_path / "a.jsonl").write_text(rows)
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump({"name": "d", "sources": [{"kind": "jsonl", "path": "a.jsonl", "split_bytes": len(rows) // 5}]})
    )
    recipe = load_recipe(tmp_path / "r.yaml")
    from mathcorpus.pipeline.scan import work_units

    units = work_units(recipe)
    assert 4 <= len(units) <= 6
    manifest = run_recipe(recipe, str(tmp_path / "out"))
    parts = sorted((tmp_path / "out" / "documents").glob("*.parquet"))
    assert [p.name for p in parts] == [f"part-{u.index:05d}.parquet" for u in units]
    texts = [t for p in parts for t in pq.read_table(p).column("text").to_pylist()]
    assert texts == [f"document number {i} " * 20 for i in range(40)] and manifest["counts"]["kept"] == 40
    assert not (tmp_path / "out" / "_spill").exists()


def test_manifest_dedup_statistics(corpus):
    _, _, manifest = corpus
    dedup = manifest["dedup"]
    assert dedup["exact_duplicate"]["removed"] == 1 and dedup["exact_duplicate"]["clusters"] == 1
    assert dedup["exact_duplicate"]["cluster_sizes"] == {"2": 1}
    near = dedup["near_duplicate"]
    assert near["removed"] == 1 and near["by_source"]["tree"]["bytes"] > 500 and near["largest_cluster"] == 2


def test_line_dedup_through_the_pipeline(tmp_path):
    header = "Licensed under the Apache License, Version 2.0 (the 'License');"
    rows = [{"id": f"r{i}", "text": f"{header}\nDocument {i} proves that {i} squared is {i * i}.\n"} for i in range(6)]
    rows.append({"id": "only", "text": f"{header}\n"})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "lines",
                "sources": [{"kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                "dedup": {"exact": True, "lines": {"min_documents": 5, "min_chars": 10}},
            }
        )
    )
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    assert manifest["counts"]["kept"] == 6 and manifest["counts"]["dropped"] == {"boilerplate": 1}
    docs = pq.read_table(sorted(glob.glob(str(tmp_path / "out" / "documents" / "*.parquet")))).to_pylist()
    assert all(header not in d["text"] and "squared" in d["text"] for d in docs)


@pytest.mark.parametrize("verify", [True, False])
def test_candidate_verification_keeps_merely_similar_documents(tmp_path, verify):
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(3000)]
    base = [rng.choice(vocab) for _ in range(400)]
    near = list(base)
    for i in rng.sample(range(400), 4):  # 5-gram Jaccard about 0.9
        near[i] = "changed"
    half = base[:200] + [rng.choice(vocab) for _ in range(200)]  # about 0.33: a candidate only by luck
    rows = [
        {"id": "a", "text": " ".join(base)},
        {"id": "b", "text": " ".join(near)},
        {"id": "c", "text": " ".join(half)},
    ]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "v",
                "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                "dedup": {"exact": False, "minhash": {"num_perm": 128, "bands": 64, "verify": verify}},
            }
        )
    )  # 64 x 2: lax
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    assert manifest["counts"]["dropped"] == {"near_duplicate": 1 if verify else 2}


def _jaccard_5(a: str, b: str) -> float:
    grams = [{tuple(t.split()[i : i + 5]) for i in range(len(t.split()) - 4)} for t in (a, b)]
    return len(grams[0] & grams[1]) / len(grams[0] | grams[1])


@pytest.mark.parametrize("verify_exact, threads", [(False, 1), (True, 1), (True, 2)])
def test_exact_jaccard_verification_cuts_at_the_threshold(tmp_path, verify_exact, threads):
    """Signature verification keeps pairs whose estimate is within 0.1 under the threshold; exact
    verification compares the true Jaccard of the shingle sets with the threshold itself."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(3000)]
    base = [rng.choice(vocab) for _ in range(400)]

    def changed(every: int) -> str:
        return " ".join("changed" if i % every == every // 2 else w for i, w in enumerate(base))

    rows = {
        "a": " ".join(base),
        "above": changed(60),
        "below": changed(40),
        "other": " ".join(rng.choice(vocab) for _ in range(400)),
    }
    assert 0.8 < _jaccard_5(rows["a"], rows["above"]) < 0.9 and 0.7 < _jaccard_5(rows["a"], rows["below"]) < 0.8
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in rows.items()))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "v",
                "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                "dedup": {
                    "exact": False,
                    "minhash": {
                        "num_perm": 128,
                        "bands": 64,
                        "threshold": 0.8,  # 64 x 2: lax
                        "verify_exact": verify_exact,
                        "threads": threads,
                    },
                },
            }
        )
    )
    run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    removed = {r["id"]: r["duplicate_of"] for r in pq.read_table(tmp_path / "out" / "rejected").to_pylist()}
    assert removed == ({"s/above": "s/a"} if verify_exact else {"s/above": "s/a", "s/below": "s/a"})


@pytest.mark.parametrize("unit", ["word", "char"])
def test_texts_without_a_word_are_not_near_copies_of_each_other(tmp_path, unit):
    from corpus import prose

    text = prose(7, 200)
    rows = {
        "braces": "}}}}\n}}}}",
        "rule": "---- ----",
        "stars": "*** * ***",
        "braces_again": "}}}}\n}}}}",
        "prose": text,
        "prose_v2": text.replace(text.split()[50], "changed", 1),
        "x": "x",
    }
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in rows.items()))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "w",
                "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                "dedup": {"exact": True, "minhash": {"num_perm": 128, "unit": unit}},
            }
        )
    )
    run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    rejected = pq.read_table(tmp_path / "out" / "rejected").to_pylist()
    assert {r["id"]: (r["reason"], r["duplicate_of"]) for r in rejected} == {
        "s/braces_again": ("exact_duplicate", "s/braces"),
        "s/prose_v2": ("near_duplicate", "s/prose"),
    }


def test_distributed_components_remove_the_same_documents(tmp_path):
    """components: distributed (large-star/small-star + a join by id) equals single_worker."""
    from corpus import prose

    rows = []
    for i in range(30):
        text = prose(1000 + i, 120)
        rows.append({"id": f"s{i:02d}", "text": text})
        if i % 3 == 0:  # a chain: each copy changes a different word of the previous one
            words = text.split()
            for j in range(3):
                words[10 + 30 * j] = f"changed{j}"
                rows.append({"id": f"s{i:02d}c{j}", "text": " ".join(words)})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    removed, tables = {}, {}
    for mode in ("single_worker", "distributed"):
        (tmp_path / f"{mode}.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": mode,
                    "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                    "dedup": {"exact": False, "minhash": {"num_perm": 128, "components": mode}},
                }
            )
        )
        manifest = run_recipe(load_recipe(tmp_path / f"{mode}.yaml"), str(tmp_path / mode))
        rejected = pq.read_table(sorted(glob.glob(str(tmp_path / mode / "rejected" / "*.parquet")))).to_pylist()
        removed[mode] = {r["id"]: r["duplicate_of"] for r in rejected}
        tables[mode] = {
            os.path.basename(f): open(f, "rb").read()
            for f in glob.glob(str(tmp_path / mode / "documents" / "*.parquet"))
        }
        assert manifest["tables"]["documents"]["rows"] == manifest["counts"]["kept"]
    assert removed["distributed"] == removed["single_worker"] and len(removed["single_worker"]) >= 25
    # the same files, byte for byte
    assert tables["single_worker"] == tables["distributed"] and len(tables["distributed"]) == 1


@pytest.mark.parametrize("components", ["single_worker", "distributed"])
def test_exact_and_near_dedup_together_equal_exact_then_near(tmp_path, components):
    """Exact copies take no part in near dedup: an exact copy that would win a near cluster (the
    longest raw text, by its doubled spaces) is removed as an exact copy, and the near cluster's
    survivor is chosen among the others."""
    from corpus import prose

    base = prose(7, 200)
    rows = [
        {"id": "a", "text": base},
        {"id": "a2", "text": base.replace(" ", "  ")},  # same normalized text, the longest raw text
        {"id": "b", "text": base + " also"},  # a near copy, longer than a
        {"id": "c", "text": prose(8, 200)},
    ]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "both",
                "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                "dedup": {"exact": True, "minhash": {"num_perm": 128, "keep": "longest", "components": components}},
            }
        )
    )
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    rejected = pq.read_table(sorted(glob.glob(str(tmp_path / "out" / "rejected" / "*.parquet")))).to_pylist()
    assert {r["id"]: (r["reason"], r["duplicate_of"]) for r in rejected} == {
        "s/a2": ("exact_duplicate", "s/a"),
        "s/a": ("near_duplicate", "s/b"),
    }
    assert manifest["counts"]["kept"] == 2


def test_signature_threads_change_nothing_but_speed(tmp_path):
    from corpus import prose

    rows = []
    for i in range(40):
        text = prose(2000 + i, 150)
        rows.append({"id": f"t{i:02d}", "text": text})
        if i % 4 == 0:
            words = text.split()
            words[7] = "changed"
            rows.append({"id": f"t{i:02d}n", "text": " ".join(words)})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    removed = {}
    for threads in (1, 3):
        (tmp_path / f"{threads}.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": "threads",
                    "sources": [{"name": "s", "kind": "jsonl", "path": "a.jsonl", "id_field": "id"}],
                    "dedup": {"exact": True, "minhash": {"num_perm": 128, "threads": threads, "batch_size": 16}},
                }
            )
        )
        run_recipe(load_recipe(tmp_path / f"{threads}.yaml"), str(tmp_path / str(threads)))
        rejected = pq.read_table(sorted(glob.glob(str(tmp_path / str(threads) / "rejected" / "*.parquet")))).to_pylist()
        removed[threads] = {r["id"]: r["duplicate_of"] for r in rejected}
    assert removed[3] == removed[1] and len(removed[1]) == 10
