import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import read_jsonl

from mathcorpus.document import Document, Rejection
from mathcorpus.pipeline.decontaminate import decontaminate_document
from mathcorpus.pipeline.decontaminate.benchmarks import FormalItem, TextItem, benchmark_name, read_benchmark
from mathcorpus.pipeline.decontaminate.formal import cut_declarations, formal_index
from mathcorpus.pipeline.decontaminate.index import build_index, match_words
from mathcorpus.pipeline.decontaminate.ngrams import normalize_words, word_spans
from mathcorpus.recipe import BenchmarkSpec, DecontaminateSpec, RecipeError

QUESTION = "Janet has 3 apples and buys 1,250 more at the market every single day of the week"


# ---- normalization ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Find the VALUE of x", "find the value of X"),  # case
        ("ＡＢＣ costs １,２００ ﬁve", "ABC costs 1200 five"),  # Unicode forms (NFKC)
        ("x  =\t1,\n  y=2;", "x = 1 y = 2"),  # whitespace, punctuation
        ("Find $x^2$ when \\(x = 3\\) and \\[y\\]", "Find x^2 when x = 3 and y"),  # LaTeX delimiters
        ("$\\left( \\dfrac{1}{2} \\right)\\,\\quad$", "(\\frac{1}{2})"),  # LaTeX spacing, aliases
        ("a \\leq b \\neq c", "a \\le b \\ne c"),  # command aliases
        ("3 × 4 ≤ 5 · π", "3 \\times 4 \\le 5 \\cdot \\pi"),  # Unicode symbols
        ("1,000,000 or 1{,}000 or 1\\,000", "1000000 or 1000 or 1000"),  # thousands separators
    ],
)
def test_normalization_makes_formatting_variants_equal(a, b):
    assert normalize_words(a) == normalize_words(b)


def test_normalization_keeps_what_differs():
    assert normalize_words("a,b 1,5") == ["a", "b", "1", "5"]  # not thousands separators
    assert normalize_words("x^2") != normalize_words("x^3")


def test_word_spans_align_with_words():
    text = "Let $x = 1{,}000$ and \\left( y \\right) be ＡＢ."
    spans = word_spans(text)
    assert [w for w, _, _ in spans] == normalize_words(text)
    assert [text[s:e] for _, s, e in spans][:3] == ["Let", "x", "1{,}000"]


# ---- index and matching ----------------------------------------------------------------------------


def test_hits_name_the_item_field_count_and_longest_span():
    index = build_index([TextItem("bench", "test", "7", "question", QUESTION)], 8)
    words = normalize_words(
        "Intro. JANET has 3 apples and buys 1250 more at the market every single day of the week. Outro."
    )
    [hit] = match_words(words, index)
    assert (hit["benchmark"], hit["split"], hit["item"], hit["field"]) == ("bench", "test", "7", "question")
    assert hit["matching_ngrams"] == 10 and hit["longest_span_words"] == 17
    assert hit["span"].startswith("janet has 3 apples")
    assert match_words(normalize_words("Something else entirely about apples and markets."), index) == []


def test_template_ngrams_and_minimum_matches():
    template = "express your answer as a common fraction in lowest terms please"
    items = [
        TextItem("b", "test", str(i), "problem", f"problem number {i} asks something. {template}") for i in range(12)
    ]
    index = build_index(items, 5, max_items_per_ngram=10)
    assert index.dropped_template_ngrams > 0
    assert match_words(normalize_words(f"My homework: {template}."), index) == []
    index = build_index([TextItem("b", "test", "1", "text", QUESTION)], 5)
    words = normalize_words("janet has 3 apples and")  # one 5-gram
    assert len(match_words(words, index, min_matching_ngrams=1)) == 1
    assert match_words(words, index, min_matching_ngrams=2) == []


# ---- modes -----------------------------------------------------------------------------------------


def _doc(text, **kw):
    return Document(id="s/1", text=text, source="s", **kw)


EMPTY_FORMAL = {"names": {}, "statements": {}}


@pytest.mark.parametrize("mode", ["drop", "mask", "report"])
def test_modes(mode):
    index = build_index([TextItem("bench", "test", "7", "question", QUESTION)], 8)
    spec = DecontaminateSpec(benchmarks=[], ngram=8, mode=mode)
    text = (
        "A story. Janet has 3 apples and buys 1,250 more at the market every single day of the week. "
        "Then the unrelated part about topology and compact sets follows here."
    )
    verdict, hits = decontaminate_document(_doc(text), index, EMPTY_FORMAL, spec)
    assert len(hits) == 1 and hits[0]["action"] == {"drop": "dropped", "mask": "masked", "report": "reported"}[mode]
    if mode == "drop":
        assert isinstance(verdict, Rejection) and verdict.reason == "contaminated"
    elif mode == "mask":
        assert "apples" not in verdict.text and "compact sets" in verdict.text and verdict.text.startswith("A story.")
        assert match_words(normalize_words(verdict.text), index) == []
    else:
        assert verdict.text == text
    clean, no_hits = decontaminate_document(_doc("Nothing to see here at all."), index, EMPTY_FORMAL, spec)
    assert no_hits == [] and clean.text == "Nothing to see here at all."


def test_mask_rejects_a_document_that_is_all_benchmark():
    index = build_index([TextItem("bench", "test", "7", "question", QUESTION)], 8)
    spec = DecontaminateSpec(benchmarks=[], ngram=8, mode="mask")
    verdict, _ = decontaminate_document(_doc(QUESTION), index, EMPTY_FORMAL, spec)
    assert isinstance(verdict, Rejection) and verdict.reason == "contaminated"


# ---- benchmark files -------------------------------------------------------------------------------


def test_benchmark_fields_defaults_and_errors(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps({"idx": 4, "problem": "p", "solution": "s", "level": 3}) + "\n")
    assert list(read_benchmark(BenchmarkSpec(path=str(path)))) == [
        TextItem(f"{tmp_path.name}/b", "all", "4", "problem", "p"),
        TextItem(f"{tmp_path.name}/b", "all", "4", "solution", "s"),
    ]
    assert [i.field for i in read_benchmark(BenchmarkSpec(path=str(path), fields=["solution"]))] == ["solution"]
    with pytest.raises(RecipeError, match="no field"):
        list(read_benchmark(BenchmarkSpec(path=str(path), fields=["question"])))
    path.write_text(json.dumps({"foo": "bar"}) + "\n")
    with pytest.raises(RecipeError, match="set `fields:`"):
        list(read_benchmark(BenchmarkSpec(path=str(path))))


def test_benchmark_names_and_splits():
    assert benchmark_name(BenchmarkSpec(path="data/gsm8k/test.jsonl")) == "gsm8k"
    assert benchmark_name(BenchmarkSpec(path="data/math/math500_test.jsonl")) == "math/math500_test"
    assert benchmark_name(BenchmarkSpec(path="x.jsonl", name="mine")) == "mine"


def test_benchmark_formats(tmp_path):
    rows = [{"id": "a", "text": "first item text"}, {"id": "b", "text": "second item text"}]
    expected = [("a", "first item text"), ("b", "second item text")]
    (tmp_path / "j.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    (tmp_path / "j.json").write_text(json.dumps({"data": rows}))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "j.parquet")
    with pa.ipc.new_stream(str(tmp_path / "j.arrow"), pa.Table.from_pylist(rows).schema) as w:
        w.write_table(pa.Table.from_pylist(rows))
    for name in ("j.jsonl.gz", "j.json", "j.parquet", "j.arrow"):
        items = list(read_benchmark(BenchmarkSpec(path=str(tmp_path / name))))
        assert [(i.item, i.text) for i in items] == expected, name


def test_hugging_face_dataset_folder_with_splits(tmp_path):
    import datasets

    dd = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list([{"question": "q train", "answer": "a"}]),
            "test": datasets.Dataset.from_list([{"question": "q test", "answer": "b"}]),
        }
    )
    dd.save_to_disk(str(tmp_path / "gsm"))
    items = list(read_benchmark(BenchmarkSpec(path=str(tmp_path / "gsm"))))
    assert {(i.benchmark, i.split, i.field, i.text) for i in items} == {
        ("gsm", "train", "question", "q train"),
        ("gsm", "train", "answer", "a"),
        ("gsm", "test", "question", "q test"),
        ("gsm", "test", "answer", "b"),
    }
    only_test = list(read_benchmark(BenchmarkSpec(path=str(tmp_path / "gsm"), split="test")))
    assert {i.split for i in only_test} == {"test"}


# ---- formal theorems -------------------------------------------------------------------------------

LEAN4_BENCH = "import Mathlib\n\ntheorem mathd_algebra_10 (x : ℝ) (h : 2 * x = 6) : x = 3 := by sorry"


def test_formal_declarations_are_cut_by_name_and_statement():
    index = formal_index([FormalItem("minif2f/lean4", "test", "mathd_algebra_10", "mathd_algebra_10", LEAN4_BENCH)])
    file = (
        "import Mathlib\n\n/-- a helper -/\ntheorem helper (n : ℕ) : n + 0 = n := by simp\n\n"
        "theorem mathd_algebra_10 (x : ℝ) (h : 2 * x = 6) : x = 3 := by\n  linarith\n\n"
        "theorem renamed (x : ℝ)   (h : 2 * x = 6) :\n    x = 3 := by linarith\n\n"
        "theorem other (x : ℝ) (h : 2 * x = 8) : x = 4 := by linarith\n"
    )
    rest, cuts = cut_declarations(file, index)
    assert [(c["declaration"], c["match"]) for c in cuts] == [
        ("mathd_algebra_10", "theorem_name"),
        ("renamed", "theorem_statement"),
    ]
    assert "helper" in rest and "theorem other" in rest and "linarith" in rest
    assert "mathd_algebra_10" not in rest and "renamed" not in rest


def test_formal_cut_in_the_stage_keeps_the_file_and_reports():
    formal = formal_index([FormalItem("minif2f/lean4", "test", "mathd_algebra_10", "mathd_algebra_10", LEAN4_BENCH)])
    index = build_index([], 13)
    text = (
        "import Mathlib\n\ntheorem mathd_algebra_10 (x : ℝ) (h : 2 * x = 6) : x = 3 := by\n  linarith\n\n"
        "theorem mine : (1 : ℕ) + 1 = 2 := rfl\n"
    )
    doc = _doc(text, language="lean4", path="Foo.lean")
    for mode in ("drop", "mask"):
        kept, hits = decontaminate_document(doc, index, formal, DecontaminateSpec(benchmarks=[], mode=mode))
        assert isinstance(kept, Document) and "theorem mine" in kept.text and "mathd_algebra_10" not in kept.text
        assert hits[0]["kind"] == "theorem" and hits[0]["action"] == "cut"
    kept, hits = decontaminate_document(doc, index, formal, DecontaminateSpec(benchmarks=[], mode="report"))
    assert kept.text == text and hits[0]["action"] == "reported"
    python_doc = _doc(text, language="python", path="x.py")  # only formal files are cut
    assert decontaminate_document(python_doc, index, formal, DecontaminateSpec(benchmarks=[]))[1] == []


@pytest.mark.parametrize("flavour", ["lean4", "lean3", "isabelle"])
def test_real_minif2f_theorems_are_cut_from_files_that_state_them(shared_data, flavour):
    items = list(read_benchmark(BenchmarkSpec(path=str(shared_data / "benchmarks" / "minif2f" / f"{flavour}.jsonl"))))
    assert len(items) > 400 and all(isinstance(i, FormalItem) for i in items)
    index = formal_index(items)
    own = {
        "lean4": "theorem my_own_fact (n : ℕ) : n + 0 = n := by simp\n",
        "lean3": "theorem my_own_fact (n : ℕ) : n + 0 = n :=\nbegin\n  simp,\nend\n",
        "isabelle": 'lemma my_own_fact: "(n::nat) + 0 = n"\n  by simp\n',
    }[flavour]
    for item in items[:60]:
        rest, cuts = cut_declarations(item.statement + "\n\n" + own, index)
        assert [c["item"] for c in cuts] == [item.item], item.item
        assert "my_own_fact" in rest and item.name not in rest.split("theory")[-1].split("imports")[-1]


# ---- real contamination ----------------------------------------------------------------------------


def test_real_openwebmath_overlaps_are_found_with_the_right_item(shared_data):
    """Documents Llemma's overlap analysis found sharing 30-grams with MATH / GSM8K are flagged at n=13,
    against an item whose problem/solution (question/answer) is the overlapped text."""
    benches = {
        "MATH": BenchmarkSpec(path=str(shared_data / "benchmarks" / "math" / "test.jsonl"), name="math"),
        "gsm8k": BenchmarkSpec(path=str(shared_data / "benchmarks" / "gsm8k" / "test.jsonl"), name="gsm8k"),
    }
    folder = shared_data / "web" / "openwebmath_contaminated"
    for key, spec in benches.items():
        items = list(read_benchmark(spec))
        index = build_index(items, 13)
        item_text: dict[str, str] = {}
        for i in items:
            item_text[i.item] = item_text.get(i.item, "") + " " + " ".join(normalize_words(i.text))
        rows = [r for f in sorted(folder.glob(f"*_{key}_*.jsonl")) for r in read_jsonl(f)]
        assert rows
        for r in rows:
            hits = match_words(normalize_words(r["text"]), index)
            wanted = [" ".join(normalize_words(r.get(k) or "")[:20]) for k in ("input", "output")]
            assert any(w and w in item_text[h["item"]] for h in hits for w in wanted), r.get("url")


def test_fast_text_matching_equals_matching_the_normalized_words():
    index = build_index([TextItem("bench", "test", "7", "question", QUESTION)], 8)
    text = "Intro. JANET has 3 apples and buys 1{,}250 more at the market every single day of the week. Outro."
    from mathcorpus.pipeline.decontaminate.index import match_text

    fast, slow = match_text(text, index), match_words(normalize_words(text), index)
    assert [{k: v for k, v in h.items() if k != "positions"} for h in fast] == [
        {k: v for k, v in h.items() if k != "positions"} for h in slow
    ]
    assert fast[0]["positions"].tolist() == slow[0]["positions"].tolist()


def test_coq_and_isabelle_declarations_are_cut():
    coq_bench = "Theorem add_zero_bench : forall n : nat, n + 0 = n.\nProof. Admitted."
    isa_bench = 'theory T imports Main begin\ntheorem isa_bench: "(a::nat) * 1 = a"\n  sorry\nend'
    index = formal_index(
        [
            FormalItem("pisa", "test", "1", "add_zero_bench", coq_bench),
            FormalItem("pisa", "test", "2", "isa_bench", isa_bench),
        ]
    )
    coq = (
        "Require Import Arith.\n\nTheorem mine : 1 = 1.\nProof. reflexivity. Qed.\n\n"
        "Lemma renamed : forall n : nat,   n + 0 = n.\nProof.\n  intros. lia.\nQed.\n\nDefinition x := 1.\n"
    )
    rest, cuts = cut_declarations(coq, index)
    assert [(c["declaration"], c["match"]) for c in cuts] == [("renamed", "theorem_statement")]
    assert "Theorem mine" in rest and "Definition x" in rest and "lia" not in rest
    isa = 'theory U imports Main begin\n\nlemma isa_bench: "(a::nat) * 1 = a"\n  by simp\n\nlemma ok: "True" by simp\n\nend\n'
    rest, cuts = cut_declarations(isa, index)
    assert [c["item"] for c in cuts] == ["2"] and "lemma ok" in rest and rest.rstrip().endswith("end")
