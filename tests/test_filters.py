import os

import pytest

import numpy
from mathcorpus.document import Document, Rejection
from mathcorpus.filters.classifier import (chunk_text, examples_from_files, load_model,
                                           math_probabilities, preprocess, train_classifier,
                                           ClassifierError, MathClassifier)
from mathcorpus.filters.language import LanguageFilter
from mathcorpus.filters.language.detect import detect_language
from mathcorpus.filters.language.parse import Parsers
from mathcorpus.filters.quality import QualityFilter, quality_reason
from mathcorpus.recipe import ClassifierSpec, LanguageFilterSpec, QualityFilterSpec

from conftest import read_jsonl


def doc(text, path=None, kind="code", language=None):
    return Document(id="s/x", text=text, source="s", kind=kind, language=language, path=path)


def test_language_detection_by_extension_and_shebang():
    assert detect_language("a/b.py", "") == "python"
    assert detect_language("Proof.lean", "") == "lean"
    assert detect_language("script", "#!/usr/bin/env python3\nprint(1)") == "python"
    assert detect_language("script", "#!/usr/bin/julia\n") == "julia"
    assert detect_language("README", "hello") is None


@pytest.mark.parametrize("language,good,bad", [
    ("python", "import numpy as np\n\ndef f(x):\n    return np.sum(x)\n", "def f(:\n  x ==\n"),
    ("c", "#include <math.h>\ndouble f(double x) { return sin(x); }\n", "double f(double x { return ;; }}}\n"),
])
def test_tree_sitter_error_ratio(language, good, bad):
    parsers = Parsers()
    assert parsers.parse_stats(language, good).error_ratio == 0
    assert parsers.parse_stats(language, bad).error_ratio > 0
    assert parsers.parse_stats("lean", "theorem x : 1 = 1 := rfl") is None  # no grammar: not parsed


def test_language_filter_rejects_unparsable_code_and_unselected_languages():
    f = LanguageFilter(LanguageFilterSpec(languages=["python", "markdown"], max_parse_error_ratio=0.0))
    f.setup()
    kept = f.apply(doc("import numpy\nx = numpy.eye(3)\n", path="a.py"))
    assert isinstance(kept, Document) and kept.language == "python" and kept.meta["parse_error_ratio"] == 0
    assert f.apply(doc("def f(:\n", path="a.py")).reason == "parse_error"
    assert f.apply(doc("int main() {}", path="a.c")).reason == "language_not_selected"
    assert f.apply(doc("# Notes", path="n.md", kind="text")).language == "markdown"


def test_real_python_files_parse(shared_data):
    parsers = Parsers()
    rows = read_jsonl(shared_data / "code" / "python.jsonl")
    ratios = [parsers.parse_stats("python", r["content"]).error_ratio for r in rows]
    assert sum(r == 0 for r in ratios) >= 0.95 * len(rows)


def test_quality_rules():
    spec = QualityFilterSpec(min_chars=10, max_chars=1000, max_line_length=50, max_digit_fraction=0.5)
    assert quality_reason("   \n  ", spec)[0] == "too_short"
    assert quality_reason("x" * 2000, spec)[0] == "too_long"
    assert quality_reason("a = " + "1" * 60, spec)[0] == "long_lines"
    assert quality_reason("1 2 3 4 5 6 7 8 9 0 1 2 a", spec)[0] == "digit_dense"
    assert quality_reason("the sum of the first n odd numbers is n squared", spec) is None
    assert isinstance(QualityFilter(spec).apply(doc("short")), Rejection)


def test_preprocess_is_one_line_and_bounded():
    line = preprocess("Hello,\nWorld!  $x^2$\n" * 2000)
    assert "\n" not in line and line.startswith("hello , world ! $ x ^ 2 $")
    assert len(line.split()) == 1024


def test_chunks_cover_the_text():
    text = "".join(f"line {i}\n" for i in range(3000))
    chunks = chunk_text(text, 500)
    assert "".join(chunks) == text and max(len(c) for c in chunks) <= 500


def _numpy_vs_stdlib_examples():
    math = [os.path.join(os.path.dirname(numpy.__file__), d, "*.py") for d in ("linalg", "polynomial")]
    other = [os.path.join(os.path.dirname(os.__file__), d, "*.py") for d in ("email", "http", "logging")]
    return examples_from_files(math, other)


def test_classifier_trains_scores_and_is_deterministic(tmp_path):
    examples = _numpy_vs_stdlib_examples()
    a, b = str(tmp_path / "a.bin"), str(tmp_path / "b.bin")
    counts = train_classifier(examples, a)
    train_classifier(examples, b)
    assert counts["math"] > 50 and counts["other"] > 50
    assert open(a, "rb").read() == open(b, "rb").read()  # single-threaded, seeded
    model = load_model(a)
    # Held out: files of other packages than the training ones, real code on every install.
    import scipy

    held_math = examples_from_files([os.path.join(os.path.dirname(scipy.__file__), d, "*.py")
                                     for d in ("integrate", "special")], [])
    held_other = examples_from_files([], [os.path.join(os.path.dirname(os.__file__), d, "*.py")
                                          for d in ("json", "xml/dom", "urllib", "asyncio")])
    pos = math_probabilities(model, [t for t, _ in held_math])
    neg = math_probabilities(model, [t for t, _ in held_other])
    assert auc(pos, neg) > 0.9
    clf = MathClassifier(ClassifierSpec(model=a, threshold=0.5))
    clf.setup()
    verdicts = [clf.apply(doc(t)) for t, _ in held_math[:20] + held_other[:20]]
    for v, p in zip(verdicts, pos[:20] + neg[:20]):  # every verdict carries / follows its score
        score = v.scores["math_score"] if isinstance(v, Document) else float(v.detail.split()[1])
        assert score == pytest.approx(p, abs=1e-3)
        assert isinstance(v, Document) == (p >= 0.5)


def auc(pos, neg):
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def test_classifier_needs_both_labels(tmp_path):
    with pytest.raises(ClassifierError, match="both labels"):
        train_classifier([("integral", 1)], str(tmp_path / "m.bin"))


def test_classifier_separates_real_math_code(shared_data, tmp_path):
    """Train on half of the real math / non-math Python files, check ranking on the other half."""
    rows = read_jsonl(shared_data / "code" / "python.jsonl") + read_jsonl(shared_data / "code" / "python_nonmath.jsonl")
    train = [(r["content"], int(r["label"] == "math")) for i, r in enumerate(rows) if i % 2 == 0]
    test = [(r["content"], int(r["label"] == "math")) for i, r in enumerate(rows) if i % 2 == 1]
    train_classifier(train, str(tmp_path / "m.bin"))
    scores = math_probabilities(load_model(str(tmp_path / "m.bin")), [t for t, _ in test])
    pos = [s for s, (_, y) in zip(scores, test) if y]
    neg = [s for s, (_, y) in zip(scores, test) if not y]
    assert auc(pos, neg) > 0.8
