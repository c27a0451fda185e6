"""Filters keep or reject documents; every filter has the same interface.

A filter subclasses ``Filter``: a ``stage`` name, the ``reasons`` it may give, ``setup()`` for heavy
state (parsers, models: called once per worker, in ``DoFn.setup``) and ``apply(doc)`` returning the
document (possibly annotated) or a ``Rejection``; ``apply_batch(docs)`` defaults to ``apply`` per
document and is overridden where one call serves many documents (the classifier). Filters are plain
objects tested without Beam; the pipeline's scan pass runs ``filters_for(recipe)`` in order on every
batch of every work unit.

Adding a filter: a module with the subclass, and one line in ``FILTERS`` below.
"""

from __future__ import annotations

from typing import Callable, Sequence

from mathcorpus.document import Document, Rejection, Verdict


class Filter:
    stage: str = "filter"
    reasons: tuple[str, ...] = ()

    def setup(self) -> None:
        """Load heavy state; called once per worker before the first document."""

    def apply(self, doc: Document) -> Verdict:
        raise NotImplementedError

    def apply_batch(self, docs: Sequence[Document]) -> list[Verdict]:
        """One verdict per document, in order."""
        return [self.apply(d) for d in docs]


def split_batch(doc_filter: Filter, docs: list, nums: list) -> tuple[list, list, list]:
    """(kept documents, their numbers, rejections) of one batch through one filter; `nums` run
    parallel to `docs` (the documents' positions in their work unit)."""
    verdicts = doc_filter.apply_batch(docs)
    if len(verdicts) != len(docs):
        raise RuntimeError(f"filter {doc_filter.stage} gave {len(verdicts)} verdicts for {len(docs)} documents")
    kept, kept_nums, rejected = [], [], []
    for verdict, num in zip(verdicts, nums):
        if isinstance(verdict, Rejection):
            rejected.append(verdict)
        else:
            kept.append(verdict)
            kept_nums.append(num)
    return kept, kept_nums, rejected


def _language(recipe):
    from mathcorpus.filters.language import LanguageFilter

    return LanguageFilter(recipe.filters.language)  # always: it also detects the language


def _quality(recipe):
    from mathcorpus.filters.quality import QualityFilter

    return QualityFilter(recipe.filters.quality) if recipe.filters.quality else None


def _classifier(recipe):
    from mathcorpus.filters.classifier import MathClassifier

    return MathClassifier(recipe.filters.math_classifier) if recipe.filters.math_classifier else None


# The filters of a run, in the order they see a document: (recipe) -> Filter, or None when off.
FILTERS: list[Callable] = [_language, _quality, _classifier]


def filters_for(recipe) -> list[Filter]:
    return [f for f in (make(recipe) for make in FILTERS) if f is not None]
