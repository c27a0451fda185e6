"""A recipe over real repositories of several languages (written out as trees from ../shared/data):
the manifest's per-language table keeps the math repositories' files and drops the others by rule."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from mathcorpus.cli.main import app
from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import load_recipe

LANGUAGES = ("python", "haskell", "lean4", "coq", "julia")


def test_real_repositories_give_the_expected_language_table(shared_data, tmp_path):
    expected = {}
    for name in LANGUAGES:
        for suffix, label in (("", "math"), ("_nonmath", "other")):
            for line in (shared_data / "code" / f"{name}{suffix}.jsonl").read_text().splitlines():
                row = json.loads(line)
                path = tmp_path / "repos" / row["repo"].replace("/", "__") / row["path"]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(row["content"])
                expected.setdefault(row["repo"], label)
    recipe = {
        "name": "code",
        "output": "out",
        "sources": [{"name": "repos", "kind": "files", "path": "repos"}],
        "filters": {"language": {"max_parse_error_ratio": 1.0}},
    }
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    manifest = run_recipe(load_recipe(tmp_path / "recipe.yaml"), str(tmp_path / "out"))
    languages = manifest["languages"]
    assert {"python", "haskell", "lean", "coq", "julia"} <= set(languages)
    for language in ("python", "haskell", "lean", "coq", "julia"):
        table = languages[language]
        assert table["seen"]["files"] == table["kept"]["files"] + sum(d["files"] for d in table["dropped"].values())
    assert set(languages["lean"]["analysis"]) == {"lexical"} and set(languages["python"]["analysis"]) == {"tree-sitter"}
    assert languages["coq"]["dropped"]["no_theorem"]["files"] >= 8  # coq-ext-lib without a theorem
    assert languages["haskell"]["dropped"]["no_math_import"]["files"] >= 20
    assert languages["python"]["kept"]["files"] >= 80
    docs_by_repo = {}
    import glob

    import pyarrow.parquet as pq

    for row in pq.read_table(glob.glob(str(tmp_path / "out" / "documents" / "*.parquet"))).to_pylist():
        repo = row["path"].split("/", 1)[0].replace("__", "/")
        docs_by_repo[repo] = docs_by_repo.get(repo, 0) + 1
    kept_math = sum(n for repo, n in docs_by_repo.items() if expected.get(repo) == "math")
    kept_other = sum(n for repo, n in docs_by_repo.items() if expected.get(repo) == "other")
    assert kept_math / (kept_math + kept_other) >= 0.9  # what a reader of those files would expect
    result = CliRunner().invoke(app, ["stats", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "no_math_import" in result.output and "lexical" in result.output
