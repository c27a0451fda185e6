"""Training the fastText model: from labeled examples, or bootstrapped from unlabeled text (rules seed
labels, the model relabels what it is confident about), and the examples read from files.

The model is a supervised fastText model with labels ``__label__math`` and ``__label__other``.
Training runs with a single thread and a fixed seed so that the same data gives the same model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Iterable, Sequence

from mathcorpus import storage
from mathcorpus.document import Document
from mathcorpus.filters.classifier.features import (
    MATH_LABEL,
    MODEL_BUCKET,
    MODEL_DIM,
    OTHER_LABEL,
    ClassifierError,
    _preprocessed_lines,
    preprocess,
    rule_score,
)

# Bootstrap: a rule score at least BOOTSTRAP_MATH_AT is math, at most BOOTSTRAP_OTHER_AT is not; the
# model relabels what it scores at least BOOTSTRAP_CONFIDENT (or at most 1 - it).
BOOTSTRAP_MATH_AT, BOOTSTRAP_OTHER_AT, BOOTSTRAP_CONFIDENT = 0.6, 0.05, 0.9


def train_classifier(
    examples: Iterable[tuple[str, int]],
    out_path: str,
    *,
    epoch: int = 25,
    lr: float = 0.5,
    word_ngrams: int = 2,
    dim: int = MODEL_DIM,
    bucket: int = MODEL_BUCKET,
    seed: int = 0,
) -> dict:
    """Train on (text, label) pairs (label 1 = math, 0 = other) and write the model to `out_path`.

    `bucket` x `dim` floats hold the word n-gram embeddings: fastText's default (2M x 100) makes an
    800 MB file; 200k x 16 gives about 13 MB, small enough to stage to every worker and to stay
    closer to the CPU caches between batches (dim 32 scored the same AUC on the shared data, and
    ran at 0.55-0.62x bare prediction inside a pipeline against 0.66-0.68x at dim 16).
    """
    counts = {0: 0, 1: 0}
    with tempfile.TemporaryDirectory(prefix="mathcorpus-ft-") as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as fh:
            for text, label in examples:
                line = preprocess(text)
                if line:
                    counts[int(bool(label))] += 1
                    fh.write(f"{MATH_LABEL if label else OTHER_LABEL} {line}\n")
        if not counts[0] or not counts[1]:
            raise ClassifierError(f"training needs both labels; got {counts[1]} math and {counts[0]} other")
        params = dict(
            epoch=epoch,
            lr=lr,
            wordNgrams=word_ngrams,
            dim=dim,
            bucket=bucket,
            thread=1,
            seed=seed,
            verbose=0,
            minCount=1,
        )
        local = os.path.join(tmp, "model.bin")
        for _ in range(3):  # fastText can diverge ("Encountered NaN"): retry with a lower rate
            error = _train_isolated(train_file, params, local)
            if error is None:
                break
            params["lr"] /= 2
        else:
            raise ClassifierError(
                f"fastText training failed ({error}) down to lr={params['lr'] * 2}; use more / longer examples"
            )
        with open(local, "rb") as fh:
            storage.write_bytes_atomic(out_path, fh.read())
    return {"math": counts[1], "other": counts[0], "lr": params["lr"]}


def _fasttext_train(train_file: str, params: dict, out_file: str) -> str | None:
    import fasttext

    try:
        fasttext.train_supervised(train_file, **params).save_model(out_file)
    except RuntimeError as err:
        return str(err)
    return None


def _train_isolated(train_file: str, params: dict, out_file: str) -> str | None:
    """Train in a freshly spawned process: fastText's training was seen to diverge to NaN only inside
    long-lived processes that had loaded other native libraries; a clean process is reproducible."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_fasttext_train, (train_file, params, out_file))


def load_model(path: str):
    """Load a fastText model from any Beam filesystem path (copied to a local temp file if remote)."""
    import fasttext

    if not storage.is_remote(path):
        if not os.path.isfile(path):
            raise ClassifierError(f"fastText model not found: {path}")
        return fasttext.load_model(path)
    with tempfile.TemporaryDirectory(prefix="mathcorpus-ft-") as tmp:
        local = os.path.join(tmp, "model.bin")
        with storage.open_read(path) as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return fasttext.load_model(local)


def math_probabilities(model, texts: Sequence[str]) -> list[float]:
    # the lines go to fastText's C++ as bytes: `model.predict` would take str lines, search each for
    # a newline, append one and encode it to UTF-8 again (a few microseconds a document)
    labels, probs = model.f.multilinePredict(_preprocessed_lines(texts), 2, 0.0, "strict")
    # fastText adds 1e-5 to each probability (1.00001 happens): normalize over the two labels, which
    # keeps the order of scores (clamping would tie every confident document at 1.0)
    scores = []
    for ls, ps in zip(labels, probs):
        values = ps.tolist()  # Python floats: cheaper per document than NumPy scalars
        total = sum(values)
        if total <= 0:
            scores.append(0.0)
        elif ls[0] == MATH_LABEL:
            scores.append(values[0] / total)
        else:
            scores.append(values[1] / total if len(values) > 1 else 0.0)
    return scores


def bootstrap_labels(
    texts: Sequence[str],
    *,
    scores: Sequence[float] | None = None,
    math_at: float = BOOTSTRAP_MATH_AT,
    other_at: float = BOOTSTRAP_OTHER_AT,
    confident: float = BOOTSTRAP_CONFIDENT,
) -> list[tuple[str, int]]:
    """Labels without annotation. From the rules alone (``rule_score``): at least `math_at` is math,
    at most `other_at` is not, the rest stays unlabeled. With a model's `scores` (a later round,
    DeepSeekMath-style iterative recall), the model's confident calls join the rules': math when
    score >= `confident` (recall beyond the rules), other when score <= 1 - `confident` and the rules
    do not say math."""
    examples = []
    for i, text in enumerate(texts):
        rule = rule_score(text)
        model = scores[i] if scores is not None else None
        if rule >= math_at or (model is not None and model >= confident):
            examples.append((text, 1))
        elif rule <= other_at or (model is not None and model <= 1 - confident and rule < math_at / 2):
            examples.append((text, 0))
    return examples


def train_bootstrap(
    texts: Sequence[str], out_path: str, *, rounds: int = 2, labeled: Sequence[tuple[str, int]] = (), **train_kw
) -> list[dict]:
    """Train from unlabeled `texts`, with or without some `labeled` examples (kept in every round).

    Round 1 trains on `labeled` when given (else on the rules' seed labels of `texts`); every later
    round labels `texts` from the rules and the previous model's confident scores and retrains on
    those plus `labeled`. This carries a model to a new kind of source (labeled papers, unlabeled
    web pages) without labelling it. Returns each round's label counts."""
    history = []
    scores = None
    for round_ in range(max(1, rounds)):
        pseudo = [] if (round_ == 0 and labeled) else bootstrap_labels(texts, scores=scores)
        counts = train_classifier(list(labeled) + pseudo, out_path, **train_kw)
        counts.update(
            round=round_ + 1,
            pseudo_labeled=len(pseudo),
            unlabeled=len(texts) - len(pseudo) if pseudo or not labeled else len(texts),
        )
        history.append(counts)
        if round_ + 1 < rounds:
            scores = math_probabilities(load_model(out_path), texts)
    return history


def read_texts(path: str, text_field: str = "text") -> list[str]:
    """Texts of an unlabeled JSONL file (one row per line), or of a text/LaTeX/markdown file (chunked)."""
    if path.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")):
        from mathcorpus.recipe import SourceSpec
        from mathcorpus.sources.jsonl import read_jsonl

        spec = SourceSpec(kind="jsonl", path=path, name="bootstrap", text_field=text_field)
        return [v.text for v in read_jsonl(path, spec) if isinstance(v, Document)]
    return chunk_text(storage.read_bytes(path).decode("utf-8", "replace"))


def read_labeled_jsonl(path: str) -> list[tuple[str, int]]:
    """Rows with `text` and `label` (1/0, true/false, or "math"/anything else)."""
    examples = []
    with storage.open_read(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                text, label = row["text"], row["label"]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ClassifierError(f"{path}:{lineno}: need a JSON object with 'text' and 'label' ({err})")
            if isinstance(label, str):
                label = 1 if label.lower() in ("1", "math", "true", "yes") else 0
            examples.append((str(text), int(bool(label))))
    return examples


def chunk_text(text: str, max_chars: int = 4000) -> list[str]:
    """Consecutive pieces of about `max_chars`, cut at line ends: long files give many examples."""
    chunks, current, size = [], [], 0
    for line in text.splitlines(keepends=True):
        if size + len(line) > max_chars and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        chunks.append("".join(current))
    return chunks


def examples_from_files(math_patterns: list[str], other_patterns: list[str]) -> list[tuple[str, int]]:
    """Bootstrap labels from where files come from: every chunk of a file matched by `math_patterns`
    is math, every chunk of one matched by `other_patterns` is not."""
    examples = []
    for patterns, label in ((math_patterns, 1), (other_patterns, 0)):
        for path in storage.expand_patterns(patterns):
            text = storage.read_bytes(path).decode("utf-8", "replace")
            examples.extend((chunk, label) for chunk in chunk_text(text))
    return examples
