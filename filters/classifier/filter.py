"""The classifier as a filter: ``math_score`` on every document, a rejection below the threshold."""

from __future__ import annotations

from typing import Sequence

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.filters import Filter
from mathcorpus.filters.classifier.training import load_model, math_probabilities
from mathcorpus.recipe import ClassifierSpec


class MathClassifier(Filter):
    stage = "classifier"
    reasons = ("low_math_score",)

    def __init__(self, spec: ClassifierSpec):
        self._spec = spec
        self._model = None

    def setup(self) -> None:
        self._model = load_model(self._spec.model)

    def threshold(self, kind: str) -> float:
        return self._spec.thresholds.get(kind, self._spec.threshold)

    def apply(self, doc: Document) -> Verdict:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: Sequence[Document]) -> list[Verdict]:
        """One fastText call for many documents (the scan pass hands it whole batches)."""
        verdicts: list[Verdict] = []
        for doc, prob in zip(docs, math_probabilities(self._model, [d.text for d in docs])):
            score = round(prob, 6)
            doc = doc.with_score("math_score", score)
            threshold = self.threshold(doc.kind)
            verdicts.append(
                Rejection.of(doc, self.stage, "low_math_score", f"math_score {score:.3f} < {threshold}")
                if score < threshold
                else doc
            )
        return verdicts
