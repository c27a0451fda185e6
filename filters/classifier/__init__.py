"""fastText math classifier: features (``features.py``), training and bootstrapping (``training.py``),
evaluation (``evaluation.py``) and the filter (``filter.py``).

The probability of ``math`` is stored on every document as ``scores["math_score"]``.
"""

from mathcorpus.filters.classifier.evaluation import evaluate, roc_auc
from mathcorpus.filters.classifier.features import (
    MATH_WORDS,
    MAX_CHARS,
    MODEL_BUCKET,
    MODEL_DIM,
    PREPROCESS_VERSION,
    ClassifierError,
    _densities,
    math_features,
    preprocess,
    preprocess_batch,
    rule_score,
)
from mathcorpus.filters.classifier.filter import MathClassifier
from mathcorpus.filters.classifier.training import (
    _fasttext_train,
    _train_isolated,
    bootstrap_labels,
    chunk_text,
    examples_from_files,
    load_model,
    math_probabilities,
    read_labeled_jsonl,
    read_texts,
    train_bootstrap,
    train_classifier,
)

__all__ = [
    "MODEL_BUCKET",
    "MODEL_DIM",
    "MATH_WORDS",
    "MAX_CHARS",
    "PREPROCESS_VERSION",
    "ClassifierError",
    "MathClassifier",
    "bootstrap_labels",
    "chunk_text",
    "evaluate",
    "examples_from_files",
    "load_model",
    "math_features",
    "math_probabilities",
    "preprocess",
    "preprocess_batch",
    "read_labeled_jsonl",
    "read_texts",
    "roc_auc",
    "rule_score",
    "train_bootstrap",
    "train_classifier",
    "_densities",
    "_fasttext_train",
    "_train_isolated",
]
