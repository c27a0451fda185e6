"""Hygiene heuristics: empty or huge documents, minified/generated lines, digit-dense data dumps."""

from __future__ import annotations

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import QualityFilterSpec


def longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def digit_fraction(text: str) -> float:
    """Digits / non-whitespace characters (AlgebraicStack's "numerical density")."""
    visible = sum(1 for c in text if not c.isspace())
    return sum(1 for c in text if c.isdigit()) / visible if visible else 0.0


def quality_reason(text: str, spec: QualityFilterSpec) -> tuple[str, str] | None:
    """(reason, detail) when `text` fails a rule, else None."""
    n = len(text)
    if n < spec.min_chars or not text.strip():
        return "too_short", f"{n} chars < {spec.min_chars} (or only whitespace)"
    if n > spec.max_chars:
        return "too_long", f"{n} chars > {spec.max_chars}"
    if (line := longest_line(text)) > spec.max_line_length:
        return "long_lines", f"a line of {line} chars > {spec.max_line_length}"
    if (frac := digit_fraction(text)) > spec.max_digit_fraction:
        return "digit_dense", f"digit fraction {frac:.2f} > {spec.max_digit_fraction}"
    return None


class QualityFilter:
    stage = "quality"

    def __init__(self, spec: QualityFilterSpec):
        self._spec = spec

    def setup(self) -> None:
        pass

    def apply(self, doc: Document) -> Verdict:
        failed = quality_reason(doc.text, self._spec)
        return Rejection.of(doc, self.stage, *failed) if failed else doc
