"""What the language rules need to know about a code file, read from its tree-sitter parse tree, or
lexically where no bundled grammar exists.

From the tree (``tree-sitter-language-pack`` 0.13.0 grammars): imports and includes (per-language
queries on import/using/include/use/library nodes, never a regex over the text), relative imports,
identifiers, numeric literals, comments and docstrings. Identifiers and comment words feed a *math
density*: the share of words that are math vocabulary (``sqrt``, ``eigenvalue``, ``integral``,
``polynomial``, ``theorem`` ...) minus the share that is software vocabulary (``http``, ``buffer``,
``parse``, ``socket`` ...), with LaTeX in comments and docstrings counted on top.

Lexical fallback (Lean 3/4, Coq, Isabelle, GAP, Maple, Mathematica, and any language without a
grammar): comments are removed with the language's comment syntax (``--``/``/- -/``, ``(* *)``,
``#``, ``%``), then words are split by a regex; imports are read from ``import``/``Require``/
``imports``/``LoadPackage``/``Needs`` lines. ``analysis`` says which of the two produced the facts
(it goes into each document's ``meta`` and the manifest's per-language statistics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat

from mathcorpus.filters.language.parse import GRAMMAR_BY_LANGUAGE

# tree-sitter queries: @import (a module name), @relative (a relative import), @include (C/C++)
IMPORT_QUERIES = {
    "python": """
        (import_statement name: (dotted_name) @import)
        (import_statement name: (aliased_import name: (dotted_name) @import))
        (import_from_statement module_name: (dotted_name) @import)
        (import_from_statement module_name: (relative_import) @relative)
    """,
    "julia": """
        (using_statement (identifier) @import)
        (import_statement (identifier) @import)
        (using_statement (selected_import . (identifier) @import))
        (import_statement (selected_import . (identifier) @import))
        (using_statement (import_path) @relative)
        (import_statement (import_path) @relative)
    """,
    "haskell": "(import . (module) @import)",
    "c": "(preproc_include path: (_) @include)",
    "cpp": "(preproc_include path: (_) @include)",
    "fortran": "(use_statement (module_name) @import)",
    "r": "(call function: (identifier) @loader arguments: (arguments (argument) @import))",
    "agda": "(import (module_name) @import)",
}
_R_LOADERS = {"library", "require", "requireNamespace", "loadNamespace"}

# Leaf kinds whose text feeds the math density, per capture name; only the kinds a grammar has are
# put in its query.
_WORD_KINDS = (
    "identifier",
    "field_identifier",
    "type_identifier",
    "namespace_identifier",
    "variable",
    "name",
    "module_id",
    "qid",
    "function_name",
    "data_name",
    "record_name",
    "field_name",
    "value_name",
    "constructor_name",
    "module_name",
    "command_name",
    "word",
    "local_name",
)
_NUMBER_KINDS = ("integer", "float", "number", "number_literal", "integer_literal", "float_literal", "complex_literal")
_TEXT_KINDS = ("comment", "line_comment", "block_comment", "doc_comment", "string", "string_literal")
_LATEX = re.compile(
    r"\$[^$\n]{1,200}\$|\\(?:frac|sum|int|sqrt|alpha|beta|gamma|lambda|sigma|partial|"
    r"mathbb|mathrm|cdot|leq|geq|infty|begin\{(?:equation|align))|:math:`"
)
_WORD = re.compile(r"[A-Za-z]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")

# Math vocabulary (lower case). Chosen to be rare in web, CLI and systems code.
MATH_VOCABULARY = frozenset(
    """
sin cos tan sinh cosh tanh arcsin arccos arctan atan exp expm log logm sqrt cbrt hypot pow
det inv pinv eig eigen eigh eigval eigvals eigenvalue eigenvalues eigenvector eigenvectors svd qr lu
chol cholesky norm grad gradient hessian jacobian divergence curl laplace laplacian integral
integrals integrate integrand quad quadrature ode odes pde pdes solver solvers matrix matrices
vector vectors tensor tensors scalar scalars polynomial polynomials poly coeff coeffs coefficient
coefficients monomial monomials roots prime primes gcd lcm modulo factorial binomial gamma
beta zeta erf erfc bessel legendre hermite laguerre chebyshev jacobi fourier fft ifft dft
convolution derivative derivatives deriv diff differential gauss gaussian simpson trapz trapezoid
interp interpolate interpolation spline splines variance covariance correlation regression
probability probabilities stochastic bayes bayesian likelihood posterior prior entropy
theorem theorems lemma lemmas proof proofs axiom axioms corollary conjecture group groups subgroup
ring rings field fields module modules algebra algebras algebraic lattice lattices category
categories functor functors morphism morphisms homomorphism isomorphism topology topological
manifold manifolds metric measure measures basis dimension kernel dual linear bilinear quadratic
cubic convex concave optimize optimization minimize maximize lagrange lagrangian simplex integer
integers rational rationals real reals complex imag conj conjugate radian radians pi sigma
epsilon lambda theta omega nat naturals finite infinite bijection injective surjective
isomorphic quotient cardinal ordinal sup inf supremum infimum limit limits converge convergence
cauchy riemann hilbert banach euclid euclidean newton euler taylor series sequence sequences
permutation permutations combinatorics graph graphs vertex vertices eigen numeric numerical
arithmetic sum sums product products inverse transpose orthogonal symmetric hermitian unitary
determinant rank nullspace span spectral spectrum approx approximation residual iteration
homotopy homotopies equiv equivalence equivalences fiber fibers fibration contractible univalence
univalent transport identity composition compose associativity associative commutative
commutativity distributive monoid monoids semigroup semiring adjoint adjunction
colimit colimits pullback pushout sheaf sheaves cohomology homology scheme schemes variety ideal
ideals polynomial divisibility divides divisor divisors coprime congruence parity odd even
abs fabs floor ceil trunc sgn signum log10 log2 log1p expm1 exp2 lgamma tgamma digamma mean
median average stddev deviation distance manhattan combinations combination binom fibonacci
collatz palindromic perfect armstrong harmonic geometric arithmetic mantissa exponent radix
""".split()
)
# Software vocabulary (lower case): systems, web, I/O and tooling words, rare in mathematics.
SOFTWARE_VOCABULARY = frozenset(
    """
http https url uri request requests response responses server client socket sockets header headers
cookie cookies session sessions json xml yaml html css config configuration cli command commands
option options argv args flag flags file files path paths dir directory directories stream streams
buffer buffers byte bytes string strings char utf encode encoding decode decoding parse parser
parsing token tokens thread threads async await mutex lock locks queue process processes memory
pointer pointers address addresses stack heap register registers instruction instructions opcode
gas contract contracts account accounts balance storage database db sql query table tables cache
log logger logging debug trace tracing error errors exception exceptions warning handler handlers callback
callbacks event events plugin plugins widget widgets button render template templates route
routes router middleware api endpoint endpoints auth password user users email message messages
network port host tcp udp io stdin stdout stderr print printf println show doc docs html markdown
version package packages module install build test tests mock timeout retry upload download
""".split()
)

# Proof-assistant keywords: in Lean, Coq and Isabelle every file says them, math or not.
FORMAL_KEYWORDS = frozenset("theorem theorems lemma lemmas proof proofs axiom axioms corollary".split())


@dataclass
class CodeFacts:
    analysis: str  # "tree-sitter" or "lexical"
    imports: list[str] = field(default_factory=list)
    relative_imports: int = 0
    includes: list[str] = field(default_factory=list)
    words: int = 0  # identifier pieces and comment words
    math_words: int = 0
    software_words: int = 0
    numbers: int = 0
    latex_comments: int = 0  # comments / docstrings with LaTeX math
    # the word counts are read from the tree only when a rule asks for the density (a file kept on
    # its imports never pays for them)
    pending: object = field(default=None, repr=False, compare=False)

    def _load(self) -> None:
        if self.pending is not None:
            load, self.pending = self.pending, None
            load(self)

    @property
    def density_known(self) -> bool:
        return self.pending is None

    @property
    def software_density(self) -> float:
        self._load()
        return self.software_words / max(1, self.words)

    @property
    def math_density(self) -> float:
        """Share of words that are math vocabulary, plus 2% per comment with LaTeX (at most 0.2),
        minus the share that is software vocabulary (I/O, web, systems): positive means math."""
        self._load()
        return (self.math_words - self.software_words) / max(1, self.words) + min(0.2, 0.02 * self.latex_comments)


def _word_pieces(name: str) -> list[str]:
    """'solveLinearSystem' -> solve, linear, system; 'eig_vals' -> eig, vals."""
    return [p.lower() for p in _CAMEL.findall(name.replace("_", " "))]


class FactReader:
    """Facts for one document; holds the compiled queries (build once per worker)."""

    def __init__(self) -> None:
        self._queries: dict[str, tuple] = {}

    def _compiled(self, language: str, grammar: str) -> tuple:
        if language not in self._queries:
            from tree_sitter import Query
            from tree_sitter_language_pack import get_language

            lang = get_language(grammar)
            imports = IMPORT_QUERIES.get(language)
            leaves = leaf_query_source(lang)
            self._queries[language] = (
                Query(lang, imports) if imports else None,
                Query(lang, leaves) if leaves else None,
            )
        return self._queries[language]

    def facts(self, language: str, text: str, tree=None) -> CodeFacts:
        """Facts from `tree` (the document's tree-sitter tree) when the language has a grammar,
        else lexically from `text`."""
        grammar = GRAMMAR_BY_LANGUAGE.get(language)
        if grammar is None or tree is None:
            return lexical_facts(language, text)
        return tree_facts(language, tree, *self._compiled(language, grammar))


def leaf_query_source(language_obj) -> str:
    kinds = {
        language_obj.node_kind_for_id(i)
        for i in range(language_obj.node_kind_count)
        if language_obj.node_kind_is_named(i) and language_obj.node_kind_is_visible(i)
    }

    def alternation(names, capture):
        present = [n for n in names if n in kinds]
        return f"[{' '.join(f'({n})' for n in present)}] @{capture}" if present else ""

    return "\n".join(
        q
        for q in (
            alternation(_WORD_KINDS, "word"),
            alternation(_NUMBER_KINDS, "number"),
            alternation(_TEXT_KINDS, "text"),
        )
        if q
    )


MAX_FACT_BYTES = 1 << 14


def tree_facts(language: str, tree, import_query, leaf_query) -> CodeFacts:
    from tree_sitter import QueryCursor

    facts = CodeFacts(analysis="tree-sitter")
    root = tree.root_node
    span = _import_span(language, root) if import_query is not None else None
    if span is not None:
        cursor = QueryCursor(import_query)
        cursor.set_byte_range(*span)
        captures = cursor.captures(root)
        if language == "r":  # library(x) / require("x"): the argument of a loader call
            calls = {n.parent.id for n in captures.get("loader", []) if n.text.decode("utf-8", "replace") in _R_LOADERS}
            facts.imports = [
                a.text.decode("utf-8", "replace").strip("\"' ")
                for a in captures.get("import", [])
                if a.parent.parent.id in calls
            ]
        else:
            nodes = sorted(captures.get("import", []), key=lambda n: n.start_byte)  # in file order
            facts.imports = [n.text.decode("utf-8", "replace").strip() for n in nodes]
        facts.relative_imports = len(captures.get("relative", []))
        facts.includes = [
            n.text.decode("utf-8", "replace").strip('<>" ')
            for n in sorted(captures.get("include", []), key=lambda n: n.start_byte)
        ]
    if leaf_query is not None:
        facts.pending = lambda f: _tree_words(f, root, leaf_query)
    return facts


# Words every import statement of the language contains. The import query runs only over the
# top-level statements from the first to the last occurrence (a query walks every node in its range;
# most files' imports are a few lines at the top): a third of the query's cost, the same imports.
# Plain substrings found by C-level bytes.find/rfind: a hit inside a longer word ("important") only
# widens the range.
_IMPORT_KEYWORDS = {
    "python": (b"import",),
    "julia": (b"using", b"import"),
    "haskell": (b"import",),
    "agda": (b"import",),
    "c": (b"include",),
    "cpp": (b"include",),
    "fortran": (b"use",),  # Fortran: matched on lower case
    "r": (b"library", b"require", b"loadNamespace"),
}


def _import_span(language: str, root) -> tuple[int, int] | None:
    """The byte range of the top-level statements that may hold the file's imports (None: it has
    none); the whole file for a language without known import keywords."""
    source = root.text
    keywords = _IMPORT_KEYWORDS.get(language)
    if keywords is None:
        return 0, len(source)
    if language == "fortran":
        source = source.lower()
    starts = [i for i in map(source.find, keywords) if i >= 0]
    if not starts:
        return None
    first, last = min(starts), max(map(source.rfind, keywords))
    head, tail = root.first_child_for_byte(first), root.first_child_for_byte(last)
    return (head.start_byte if head is not None else first, tail.end_byte if tail is not None else len(source))


def _tree_words(facts: CodeFacts, root, leaf_query) -> None:
    from tree_sitter import QueryCursor

    leaves = {}
    if leaf_query is not None:
        cursor = QueryCursor(leaf_query)
        cursor.set_byte_range(0, MAX_FACT_BYTES)  # a large file's head tells enough about it
        leaves = cursor.captures(root)
    # identifier and comment texts joined once as bytes, then split by one small regex and C-level
    # bytes methods (translate, lower, split): no Python work per character or per word piece
    names = b" ".join(n.text for n in leaves.get("word", []))
    pieces = _CAMEL_BYTES.sub(b" ", names).translate(_LETTERS_OR_SPACE).lower().split()
    # a license or copyright comment is boilerplate, not the vocabulary of the code it heads
    # (one regex pass over all comments joined by newlines, which no pattern here crosses, and one per
    # comment only when some comment matched)
    texts = [n.text for n in leaves.get("text", [])]
    joined = b"\n".join(texts)
    if _LICENSE_COMMENT.search(joined):
        texts = [t for t in texts if not _LICENSE_COMMENT.search(t)]
        joined = b"\n".join(texts)
    words = joined.translate(_LETTERS_OR_SPACE).lower().split()
    facts.words = len(pieces) + len(words)
    # both vocabularies in one C-level pass: a math word weighs 1, a software word 1 << 32
    both = sum(map(_VOCABULARY_WEIGHTS.get, pieces + words, repeat(0, facts.words)))
    facts.math_words, facts.software_words = both & 0xFFFFFFFF, both >> 32
    facts.numbers = len(leaves.get("number", []))
    facts.latex_comments = sum(1 for t in texts if _LATEX_BYTES.search(t)) if _LATEX_BYTES.search(joined) else 0


_LICENSE_COMMENT_TEXT = re.compile(r"(?i)\b(licen[cs]e[ds]?|copyright|warrant(y|ies))\b")
_LICENSE_COMMENT = re.compile(_LICENSE_COMMENT_TEXT.pattern.encode())  # the same, on bytes
_CAMEL_BYTES = re.compile(rb"(?<=[a-z])(?=[A-Z])")  # "solveLinear" -> "solve Linear" (a literal replacement)
# ASCII letters stay, every other byte (digits, "_", punctuation, UTF-8 of other scripts) is a space
_LETTERS_OR_SPACE = bytes(c if (65 <= c <= 90 or 97 <= c <= 122) else 32 for c in range(256))
_MATH_VOCABULARY_BYTES = frozenset(w.encode() for w in MATH_VOCABULARY)
_SOFTWARE_VOCABULARY_BYTES = frozenset(w.encode() for w in SOFTWARE_VOCABULARY)
_LATEX_BYTES = re.compile(_LATEX.pattern.encode())
_VOCABULARY_WEIGHTS = {
    **{w: 1 << 32 for w in _SOFTWARE_VOCABULARY_BYTES},
    **{w: 1 for w in _MATH_VOCABULARY_BYTES - _SOFTWARE_VOCABULARY_BYTES},
    **{w: 1 + (1 << 32) for w in _MATH_VOCABULARY_BYTES & _SOFTWARE_VOCABULARY_BYTES},
}


# -- lexical fallback ------------------------------------------------------------------------

_COMMENT_SYNTAX = {
    "lean": (r"--[^\n]*", r"/-.*?-/"),
    "coq": (r"\(\*.*?\*\)",),
    "isabelle": (r"\(\*.*?\*\)", r"\\<comment>\s*\\<open>.*?\\<close>"),
    "mathematica": (r"\(\*.*?\*\)",),
    "gap": (r"#[^\n]*",),
    "maple": (r"#[^\n]*",),
    "matlab": (r"%[^\n]*",),
    "tex": (r"(?<!\\)%[^\n]*",),
}
_LEXICAL_IMPORTS = {
    "lean": r"^[ \t]*(?:(?:public|private|meta)[ \t]+)*import[ \t]+([\w.]+(?:[ \t]+[\w.]+)*)",
    "coq": r"^\s*(?:From\s+([\w.]+)\s+)?(?:Require\s+)?(?:Import|Export)\s+([\w.\s]+?)\.\s",
    "isabelle": r"\bimports\s+((?:(?!(?:begin|keywords|abbrevs)\b)\"?[\w./~$-]+\"?\s*)+)",
    "gap": r"LoadPackage\(\s*\"(\w+)\"",
    "mathematica": r"Needs\[\s*\"([\w`]+)\"",
    "maple": r"with\(\s*(\w+)\s*\)",
}


# Theories of Isabelle's base sessions that files import without a session name.
_ISABELLE_BASE_THEORIES = frozenset(
    "Pure Main Complex_Main HOL Nat Int Real Complex Rat List Set Fun Orderings "
    "Groups Rings Fields Power Transcendental Real_Vector_Spaces Limits Deriv "
    "Series Lattices Finite_Set Inductive Datatype Record".split()
)


def _isabelle_own_theory(name: str) -> bool:
    """An Isabelle import of a theory of the file's own session, the analogue of Python's relative
    import: a bare theory name (``imports Maybe``) or a relative path (``"hoare/Hoare"``). A session-
    qualified name (``HOL-Analysis.Derivative``, ``MLTT.Prelude``), a path into the distribution
    (``~~/src/HOL/...``) or a base theory (``Main``, ``Complex_Main``) is another session's."""
    if name.startswith("~~") or name.startswith("$"):
        return False
    if "/" in name:
        return True
    return "." not in name and name not in _ISABELLE_BASE_THEORIES


def strip_lexical_comments(language: str, text: str) -> tuple[str, list[str]]:
    """(code without comments, the comments) for a language read lexically."""
    comments: list[str] = []
    for pattern in _COMMENT_SYNTAX.get(language, ()):
        rx = re.compile(pattern, re.S)
        comments += rx.findall(text)
        text = rx.sub(" ", text)
    return text, comments


def lexical_facts(language: str, text: str) -> CodeFacts:
    code, comments = strip_lexical_comments(language, text)
    facts = CodeFacts(analysis="lexical")
    pattern = _LEXICAL_IMPORTS.get(language)
    if pattern:
        for m in re.finditer(pattern, code, re.M):
            facts.imports += [name for g in m.groups() if g for name in g.replace('"', " ").split()]
    if language == "isabelle":
        own = [name for name in facts.imports if _isabelle_own_theory(name)]
        facts.imports = [name for name in facts.imports if not _isabelle_own_theory(name)]
        facts.relative_imports = len(own)
    pieces = _word_pieces(" ".join(re.findall(r"[A-Za-z_][\w']*", code)))
    facts.words += len(pieces)
    vocabulary = MATH_VOCABULARY - FORMAL_KEYWORDS if language in ("lean", "coq", "isabelle") else MATH_VOCABULARY
    facts.math_words += sum(map(vocabulary.__contains__, pieces))
    facts.software_words += sum(map(SOFTWARE_VOCABULARY.__contains__, pieces))
    facts.numbers = len(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", code))
    for comment in comments:
        if _LICENSE_COMMENT_TEXT.search(comment):
            continue  # boilerplate (see _tree_words)
        words = [w.lower() for w in _WORD.findall(comment)]
        facts.words += len(words)
        facts.math_words += sum(w in MATH_VOCABULARY for w in words)
        facts.software_words += sum(w in SOFTWARE_VOCABULARY for w in words)
        facts.latex_comments += bool(_LATEX.search(comment))
    return facts


def code_without_comments(language: str, text: str) -> str:
    """For keyword rules: the text with the language's comments removed (lexically)."""
    return strip_lexical_comments(language, text)[0]
