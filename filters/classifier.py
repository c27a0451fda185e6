"""fastText math classifier: one preprocessing function for training and scoring.

The model is a supervised fastText model with labels ``__label__math`` and ``__label__other``; the
probability of ``math`` is stored on every document as ``scores["math_score"]``. Training runs with a
single thread and a fixed seed so that the same data gives the same model (and the same scores).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from typing import Iterable, Sequence

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import ClassifierSpec

MATH_LABEL, OTHER_LABEL = "__label__math", "__label__other"
MAX_TOKENS = 1024  # only the head of a document is classified: long files cost no more than short
_TOKEN = re.compile(r"\w+|[^\w\s]")


class ClassifierError(RuntimeError):
    pass


def preprocess(text: str) -> str:
    """The single line fastText sees, at training and at scoring time: lowercased word/punct tokens."""
    tokens = _TOKEN.findall(text.lower())[:MAX_TOKENS]
    return " ".join(tokens)


def train_classifier(examples: Iterable[tuple[str, int]], out_path: str, *, epoch: int = 25,
                     lr: float = 0.5, word_ngrams: int = 2, dim: int = 32, bucket: int = 200_000,
                     seed: int = 0) -> dict:
    """Train on (text, label) pairs (label 1 = math, 0 = other) and write the model to `out_path`.

    `bucket` x `dim` floats hold the word n-gram embeddings: fastText's default (2M x 100) makes an
    800 MB file; 200k x 32 gives about 26 MB, small enough to stage to every worker.
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
        params = dict(epoch=epoch, lr=lr, wordNgrams=word_ngrams, dim=dim, bucket=bucket, thread=1,
                      seed=seed, verbose=0, minCount=1)
        local = os.path.join(tmp, "model.bin")
        for _ in range(3):  # fastText can diverge ("Encountered NaN"): retry with a lower rate
            error = _train_isolated(train_file, params, local)
            if error is None:
                break
            params["lr"] /= 2
        else:
            raise ClassifierError(f"fastText training failed ({error}) down to lr={params['lr'] * 2}; "
                                  f"use more / longer examples")
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
    labels, probs = model.predict([preprocess(t) for t in texts], k=2)
    return [float(dict(zip(ls, ps)).get(MATH_LABEL, 0.0)) for ls, ps in zip(labels, probs)]


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


class MathClassifier:
    stage = "classifier"

    def __init__(self, spec: ClassifierSpec):
        self._spec = spec
        self._model = None

    def setup(self) -> None:
        self._model = load_model(self._spec.model)

    def threshold(self, kind: str) -> float:
        return self._spec.thresholds.get(kind, self._spec.threshold)

    def apply(self, doc: Document) -> Verdict:
        score = round(math_probabilities(self._model, [doc.text])[0], 6)
        doc = doc.with_score("math_score", score)
        if score < self.threshold(doc.kind):
            return Rejection.of(doc, self.stage, "low_math_score",
                                f"math_score {score:.3f} < {self.threshold(doc.kind)}")
        return doc
