import os

import pytest

from mathcorpus.recipe import RecipeError, bundled_recipe, load_recipe, recipe_from_dict, resolve_path


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_bundled_demo_recipe_loads_and_resolves_packages():
    recipe = load_recipe(bundled_recipe("demo"))
    assert recipe.name == "demo"
    numpy_src = next(s for s in recipe.sources if s.name == "numpy")
    assert os.path.isdir(numpy_src.path) and numpy_src.path.rstrip("/").endswith("numpy")
    notes = next(s for s in recipe.sources if s.name == "notes")
    assert os.path.isdir(notes.path)  # relative to the recipe file
    assert recipe.tokenize.tokenizer.startswith(os.environ["MATHCORPUS_CACHE"])


def test_unknown_key_is_named_with_its_location_and_file(tmp_path):
    path = write(tmp_path, "name: x\nsources: [{kind: files, path: .}]\ndedup: {exact: true, minhsh: {}}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert str(path) in str(err.value) and "dedup.minhsh: unknown key" in str(err.value)


def test_wrong_type_is_reported(tmp_path):
    path = write(tmp_path, "name: x\nsources: [{kind: files, path: .}]\ntokenize: {tokenizer: t.json, seq_len: many}\n")
    with pytest.raises(RecipeError, match="tokenize.seq_len"):
        load_recipe(path)


def test_bands_must_divide_num_perm():
    with pytest.raises(RecipeError, match="must divide"):
        recipe_from_dict(
            {
                "name": "x",
                "sources": [{"kind": "files", "path": "."}],
                "dedup": {"minhash": {"num_perm": 128, "bands": 7}},
            }
        )


def test_relative_paths_resolve_against_recipe_folder_and_remote_untouched(tmp_path):
    assert resolve_path("data/a.jsonl", str(tmp_path)) == str(tmp_path / "data" / "a.jsonl")
    assert resolve_path("gs://bucket/a.jsonl", str(tmp_path)) == "gs://bucket/a.jsonl"
    with pytest.raises(RecipeError, match="no installed Python package"):
        resolve_path("{pkg:no_such_package_xyz}/a", str(tmp_path))


def test_yaml_is_loaded_safely(tmp_path):
    path = write(tmp_path, "name: !!python/object/apply:os.system ['echo pwned']\nsources: []\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(path)


def test_source_names_default_and_must_be_unique():
    recipe = recipe_from_dict(
        {"name": "x", "sources": [{"kind": "files", "path": "."}, {"kind": "jsonl", "path": "a.jsonl"}]}
    )
    assert [s.name for s in recipe.sources] == ["files0", "jsonl1"]
    with pytest.raises(RecipeError, match="unique"):
        recipe_from_dict(
            {
                "name": "x",
                "sources": [{"kind": "files", "path": ".", "name": "a"}, {"kind": "files", "path": ".", "name": "a"}],
            }
        )
