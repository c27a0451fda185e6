"""Language stage: detect each document's language, parse code with tree-sitter, apply the rules.

Rules come from the recipe's ``filters.language`` (``LanguageFilterSpec``): an optional allow-list of
languages and the largest tolerated share of tree-sitter ERROR/MISSING nodes.
"""

from __future__ import annotations

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.filters.language.detect import detect_language
from mathcorpus.filters.language.parse import Parsers
from mathcorpus.recipe import LanguageFilterSpec


class LanguageFilter:
    stage = "language"

    def __init__(self, spec: LanguageFilterSpec | None):
        self._spec = spec
        self._parsers: Parsers | None = None

    def setup(self) -> None:
        self._parsers = Parsers()

    def apply(self, doc: Document) -> Verdict:
        language = doc.language or detect_language(doc.path or doc.url, doc.text)
        if language is None:
            language = "natural" if doc.kind in ("text", "web") else "unknown"
        if language != doc.language:
            doc = doc.replace(language=language)
        spec = self._spec
        if spec is None:
            return doc
        if spec.languages is not None and language not in spec.languages:
            return Rejection.of(doc, self.stage, "language_not_selected", language)
        if doc.kind == "code":
            stats = self._parsers.parse_stats(language, doc.text)
            if stats is not None:
                doc = doc.replace(meta={**doc.meta, "parse_error_ratio": round(stats.error_ratio, 6)})
                if stats.error_ratio > spec.max_parse_error_ratio:
                    return Rejection.of(doc, self.stage, "parse_error",
                                        f"{stats.error_nodes}/{stats.nodes} tree-sitter nodes are errors")
        return doc
