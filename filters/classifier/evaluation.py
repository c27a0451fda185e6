"""Evaluating a classifier on held-out labels: ROC AUC, precision, recall, F1 and the score histogram."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mathcorpus.filters.classifier.features import ClassifierError


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the probability that a random math example outscores a random other
    one (ties count half), by the rank-sum formula."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        raise ClassifierError(f"AUC needs both labels; got {n_pos} math and {n_neg} other")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5, bins: int = 10) -> dict:
    """Precision, recall, F1 (math = positive, at `threshold`), ROC AUC and score histograms."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    predicted = s >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "examples": int(len(y)),
        "math": int(y.sum()),
        "other": int((~y).sum()),
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "auc": round(roc_auc(y, s), 4),
        "histogram": {
            "edges": [round(float(e), 2) for e in edges],
            "math": np.histogram(s[y], edges)[0].tolist(),
            "other": np.histogram(s[~y], edges)[0].tolist(),
        },
    }
