"""Language stage: detect each document's language, parse code with tree-sitter, apply the rules.

Rules come from the recipe's ``filters.language`` (``LanguageFilterSpec``): an optional allow-list of
languages, the largest tolerated share of tree-sitter ERROR/MISSING nodes, and per-language keep rules
(``rules.py``: AlgebraicStack's, as data) over facts read from the parse tree, or lexically where no
grammar exists (``facts.py``). Kept code carries ``meta.analysis`` (tree-sitter / lexical),
``meta.math_signal`` (why it counts as math) and ``meta.math_density``.
"""

from __future__ import annotations

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.filters import Filter
from mathcorpus.filters.language.detect import detect_language
from mathcorpus.filters.language.facts import FactReader
from mathcorpus.filters.language.parse import Parsers
from mathcorpus.filters.language.rules import RELATIVE_PENDING, apply_rule, rules_for
from mathcorpus.recipe import LanguageFilterSpec


class LanguageFilter(Filter):
    stage = "language"
    # and each language rule's own (rules.py): no_math_import, missing_required, vendored ...
    reasons = ("language_not_selected", "parse_error")

    def __init__(self, spec: LanguageFilterSpec | None):
        self._spec = spec
        self._rules = rules_for(spec.preset, spec.rules) if spec is not None else {}
        self._parsers: Parsers | None = None
        self._facts: FactReader | None = None

    @property
    def rules(self) -> dict:
        return self._rules

    def setup(self) -> None:
        self._parsers = Parsers()
        self._facts = FactReader()

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
        rule = self._rules.get(language)
        if doc.kind != "code" and not (rule and doc.kind in rule.kinds):
            return doc
        parsed = self._parsers.parse(language, doc.text) if doc.kind == "code" else None
        meta = dict(doc.meta)
        if parsed is not None:
            tree, stats = parsed
            meta["parse_error_ratio"] = round(stats.error_ratio, 6)
            if stats.error_ratio > spec.max_parse_error_ratio:
                return Rejection.of(
                    doc.replace(meta=meta),
                    self.stage,
                    "parse_error",
                    f"{stats.error_nodes}/{stats.nodes} tree-sitter nodes are errors",
                )
        if rule is None:
            return doc.replace(meta=meta) if meta != doc.meta else doc
        facts = None
        if rule.math_imports is not None or rule.math_includes is not None or rule.min_math_density is not None:
            facts = self._facts.facts(language, doc.text, parsed[0] if parsed else None)
            meta["analysis"] = facts.analysis
        else:
            meta["analysis"] = "tree-sitter" if parsed is not None else "lexical"
        verdict = apply_rule(rule, doc.text, doc.path, facts, language)
        if facts is not None and facts.density_known:
            meta["math_density"] = round(facts.math_density, 4)
        doc = doc.replace(meta=meta)
        if verdict.reason is not None:
            return Rejection.of(doc, self.stage, verdict.reason, verdict.detail)
        if verdict.signal:
            doc = doc.replace(meta={**meta, "math_signal": verdict.signal})
            if verdict.signal == RELATIVE_PENDING:
                doc.meta["pending_detail"] = verdict.detail
                doc.meta["pending_reason"] = verdict.pending_reason
        return doc
