"""The execution model as a test: in the graph of a full recipe, no collection that feeds a grouping
step or a side input carries a document text or a token array.

Every such collection is found by walking the built graph (GroupByKey, including the ones inside
CoGroupByKey and the combiners, and every side input); the run then checks each of their elements."""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import yaml
from apache_beam.options.pipeline_options import PipelineOptions
from corpus import make_corpus

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.pipeline.build import build_pipeline
from mathcorpus.pipeline.runner import data_sent_whole
from mathcorpus.recipe import load_recipe

LONGEST_STRING = 300  # ids, paths, reasons, report fields: anything longer is taken for a text


def heavy_part(value, depth: int = 0):
    """What in an element looks like a text or a token array (None when nothing does)."""
    if isinstance(value, (Document, Rejection)):
        return f"a {type(value).__name__}"
    if isinstance(value, str):
        return f"a string of {len(value)} characters" if len(value) > LONGEST_STRING else None
    if isinstance(value, np.ndarray):
        return "an int32 array (tokens)" if value.dtype == np.int32 else None
    if depth > 6:
        return None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return next((found for v in value if (found := heavy_part(v, depth + 1))), None)
    return None


class _Shuffled(beam.pipeline.PipelineVisitor):
    def __init__(self):
        self.found: dict[str, beam.pvalue.PCollection] = {}

    def visit_transform(self, node):
        if isinstance(node.transform, beam.GroupByKey):
            for pcoll in node.inputs:
                self.found[f"{node.full_label} (grouped)"] = pcoll
        for side in node.side_inputs:
            self.found[f"{node.full_label} (side input)"] = side.pvalue


def _check(element, label: str):
    found = heavy_part(element)
    if found:
        raise AssertionError(f"{label}: {found} crosses a shuffle or side input")
    return element


def test_no_text_or_token_array_crosses_a_shuffle_or_side_input(tmp_path):
    recipe_path = make_corpus(tmp_path)
    raw = yaml.safe_load(recipe_path.read_text())
    raw["dedup"] = {
        "exact": True,
        "lines": {"min_documents": 2},
        "minhash": {"num_perm": 64, "bands": 16, "verify_exact": True},
    }
    raw["tokenize"]["numbers"] = "xval"
    recipe_path.write_text(yaml.safe_dump(raw))
    recipe = load_recipe(recipe_path)
    ensure_assets(recipe, lambda _: None)
    out = str(tmp_path / "out")
    with data_sent_whole():
        p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
        build_pipeline(p, recipe, out)
        visitor = _Shuffled()
        p.visit(visitor)
        assert len(visitor.found) >= 20, sorted(visitor.found)  # every stage's steps were seen
        for i, (label, pcoll) in enumerate(sorted(visitor.found.items())):
            _ = pcoll | f"Check{i}" >> beam.Map(_check, label)
        p.run().wait_until_finish()
    assert (tmp_path / "out" / "manifest.json").exists()


def test_the_check_sees_texts_and_token_arrays():
    doc = Document(id="s/a", text="x", source="s")
    assert heavy_part((1, [doc])) == "a Document"
    assert heavy_part({"k": ("id", "t" * 1000)}).startswith("a string")
    assert heavy_part((3, np.zeros(4, np.int32))) == "an int32 array (tokens)"
    assert heavy_part((3, (np.zeros(4, np.uint64), [("s/a", 2)]))) is None
