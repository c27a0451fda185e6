import json

from mathcorpus.document import Document
from mathcorpus.pipeline.decontaminate import find_hits, item_ngrams, read_benchmark_items
from mathcorpus.pipeline.decontaminate.ngrams import normalize_words
from mathcorpus.recipe import BenchmarkSpec, RecipeError

import pytest

from conftest import read_jsonl


def test_normalization_survives_formatting():
    assert normalize_words("Find $x^2$ when \\(x = 1,000\\)!") == ["find", "x", "2", "when", "x", "1000"]
    assert normalize_words("ＡＢＣ  costs １,２００") == ["abc", "costs", "1200"]
    assert normalize_words("a,b 1,5") == ["a", "b", "1", "5"]  # not a thousands separator


def _index(items, n):
    return {h: ref for item in items for h, ref in item_ngrams(item, n)}


def test_hits_name_the_item_and_count_matches():
    question = "Janet has 3 apples and buys 1,250 more at the market every single day of the week"
    index = _index([("bench", "7", question)], 8)
    doc = Document(id="s/1", text="Intro. JANET has 3 apples and buys 1250 more at the market every "
                                  "single day of the week. Outro.", source="s")
    [hit] = find_hits(doc, index, 8)
    assert hit["benchmark"] == "bench" and hit["item"] == "7" and hit["matching_ngrams"] >= 5
    clean = Document(id="s/2", text="Something else entirely about apples and markets.", source="s")
    assert find_hits(clean, index, 8) == []


def test_benchmark_fields_mapping(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps({"idx": 4, "problem": "p", "solution": "s"}) + "\n")
    items = list(read_benchmark_items(BenchmarkSpec(path=str(path), fields=["problem", "solution"])))
    assert items == [(f"{tmp_path.name}/b", "4", "p\ns")]
    with pytest.raises(RecipeError, match="no field"):
        list(read_benchmark_items(BenchmarkSpec(path=str(path))))


def test_real_openwebmath_overlaps_are_found(shared_data):
    """Documents Llemma's overlap analysis found sharing 30-grams with MATH test are flagged at n=13."""
    spec = BenchmarkSpec(path=str(shared_data / "benchmarks" / "math" / "test.jsonl"),
                         fields=["problem", "solution"], name="math")
    index = _index(read_benchmark_items(spec), 13)
    folder = shared_data / "web" / "openwebmath_contaminated"
    rows = [r for f in sorted(folder.glob("*MATH*.jsonl")) for r in read_jsonl(f)]
    text_key = next(k for k in ("text", "content") if k in rows[0])
    flagged = [bool(find_hits(Document(id=str(i), text=r[text_key], source="w"), index, 13))
               for i, r in enumerate(rows)]
    assert sum(flagged) >= 0.9 * len(rows)
