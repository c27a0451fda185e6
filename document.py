"""The one record that flows through every stage, and the record of a dropped one.

Both are frozen dataclasses of plain values so that Beam can pickle them cheaply and they map one to
one onto Parquet columns (``to_row``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Sequence

KINDS = ("code", "paper", "web", "text")


@dataclass(frozen=True)
class Document:
    id: str  # stable and unique within the run: "<source>/<path or row key>"
    text: str
    source: str  # the recipe's source name
    kind: str = "text"  # code | paper | web | text
    language: str | None = None  # programming language, "tex", "markdown" or "natural"
    path: str | None = None
    url: str | None = None
    repo: str | None = None
    license: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    duplicate_of: str | None = None

    def replace(self, **changes: Any) -> "Document":
        """``dataclasses.replace`` without its cost (it re-runs ``__init__`` through ``fields()``, a few
        microseconds that every annotating stage paid per document): a copy of the field values."""
        unknown = changes.keys() - _DOCUMENT_FIELDS
        if unknown:
            raise TypeError(f"Document has no field {sorted(unknown)[0]!r}")
        new = object.__new__(Document)
        values = new.__dict__
        values.update(self.__dict__)
        values.update(changes)
        return new

    def with_score(self, name: str, value: float) -> "Document":
        return self.replace(scores={**self.scores, name: value})

    def to_row(self) -> dict[str, Any]:
        """The document's row of the documents table (scores and meta as JSON; see `to_columns`)."""
        return {name: values[0] for name, values in Document.to_columns([self]).items()}

    @staticmethod
    def to_columns(docs: Sequence["Document"]) -> dict[str, list]:
        """``to_row`` of each document, as one list per field (what a table writer needs, without a
        dict per row)."""
        columns = {name: list(map(attrgetter(name), docs)) for name in _PLAIN_COLUMNS}
        scores = list(map(attrgetter("scores"), docs))
        columns["math_score"] = [s.get("math_score") for s in scores]
        columns["scores"] = [json.dumps(s, sort_keys=True) for s in scores]
        columns["meta"] = [json.dumps(d.meta, sort_keys=True, default=str) for d in docs]
        return columns


_DOCUMENT_FIELDS = frozenset(f.name for f in dataclasses.fields(Document))
_PLAIN_COLUMNS = ("id", "text", "source", "kind", "language", "path", "url", "repo", "license")


@dataclass(frozen=True)
class Rejection:
    """A dropped document: which stage dropped it, why, and as much of it as is safe to keep."""

    id: str
    source: str
    stage: str  # sources | language | quality | classifier | dedup | decontaminate
    reason: str  # short machine-readable reason, e.g. "parse_error", "near_duplicate"
    text: str | None = None
    path: str | None = None
    detail: str | None = None  # human-readable detail (error message, matched benchmark, ...)
    duplicate_of: str | None = None
    language: str | None = None  # known once the language stage has seen the document

    @classmethod
    def of(
        cls, doc: Document, stage: str, reason: str, detail: str | None = None, duplicate_of: str | None = None
    ) -> "Rejection":
        return cls(
            id=doc.id,
            source=doc.source,
            stage=stage,
            reason=reason,
            text=doc.text,
            path=doc.path or doc.url,
            detail=detail,
            duplicate_of=duplicate_of,
            language=doc.language,
        )

    def to_row(self) -> dict[str, Any]:
        """The rejection's row of the rejected table (plain values: no deep copy; see `to_columns`)."""
        return {name: values[0] for name, values in Rejection.to_columns([self]).items()}

    @staticmethod
    def to_columns(rejections: Sequence["Rejection"]) -> dict[str, list]:
        """``to_row`` of each rejection, as one list per field."""
        return {name: list(map(attrgetter(name), rejections)) for name in _REJECTION_FIELDS}


_REJECTION_FIELDS = tuple(f.name for f in dataclasses.fields(Rejection))

# A filter step either passes a (possibly annotated) document on or rejects it.
Verdict = Document | Rejection
