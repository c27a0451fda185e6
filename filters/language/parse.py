"""Tree-sitter parsing with the grammars bundled in tree-sitter-language-pack 0.13.0.

Lean, Coq, Isabelle, GAP, Maple and Mathematica have no bundled grammar: documents in those languages
are not parsed here (``parse_stats`` returns None) and later rules fall back to lexical checks.
"""

from __future__ import annotations

from dataclasses import dataclass

# Our language name -> tree-sitter-language-pack grammar name.
GRAMMAR_BY_LANGUAGE = {
    "python": "python",
    "c": "c",
    "cpp": "cpp",
    "julia": "julia",
    "haskell": "haskell",
    "agda": "agda",
    "fortran": "fortran",
    "r": "r",
    "matlab": "matlab",
    "tex": "latex",
    "rust": "rust",
    "ocaml": "ocaml",
}

_ERROR_QUERY = "(ERROR) @error (MISSING) @missing"


@dataclass(frozen=True)
class ParseStats:
    nodes: int
    error_nodes: int  # ERROR and MISSING nodes

    @property
    def error_ratio(self) -> float:
        return self.error_nodes / max(self.nodes, 1)


class Parsers:
    """Lazily built parser + error query per grammar; build one per worker (heavy, not picklable)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple] = {}

    def _get(self, grammar: str):
        if grammar not in self._cache:
            from tree_sitter import Query  # imported here: importing this module stays light
            from tree_sitter_language_pack import get_language, get_parser

            self._cache[grammar] = (get_parser(grammar), Query(get_language(grammar), _ERROR_QUERY))
        return self._cache[grammar]

    def parse_stats(self, language: str | None, text: str) -> ParseStats | None:
        parsed = self.parse(language, text)
        return parsed[1] if parsed else None

    def parse(self, language: str | None, text: str) -> tuple[object, ParseStats] | None:
        """(tree, error statistics), or None when the language has no bundled grammar."""
        grammar = GRAMMAR_BY_LANGUAGE.get(language or "")
        if grammar is None:
            return None
        from tree_sitter import QueryCursor

        parser, query = self._get(grammar)
        tree = parser.parse(text.encode("utf-8", "surrogatepass"))
        root = tree.root_node
        if not root.has_error:
            return tree, ParseStats(nodes=root.descendant_count, error_nodes=0)
        captures = QueryCursor(query).captures(root)
        errors = sum(len(nodes) for nodes in captures.values())
        return tree, ParseStats(nodes=root.descendant_count, error_nodes=errors)
