"""Per-language keep rules as data: AlgebraicStack's, made explicit, plus what it missed.

``ALGEBRAIC_STACK`` is the default rule set (``filters.language.preset: algebraic_stack``); a recipe's
``filters.language.rules`` overrides it per language and per field (``preset: none`` starts empty).
EleutherAI's ``proof_pile_2/algebraic_stack`` scripts used: file size <= 1 MiB (Maple 100 KB, TeX
10 MB); numerical density (digits / non-whitespace) <= 0.5 (C++ 0.1); Python kept iff it imports one of
17 numeric packages; C/C++ by an ``#include`` whitelist; Haskell by numeric imports; Coq needs
Theorem/Proof/Qed and is not Verilog; Lean and Isabelle need theorem/lemma/example; TeX needs a
sectioning command; notebooks need equations or sympy. Their implementation matched imports as
substrings and a missing comma silently skipped Haskell and Python; here imports come from the parse
tree (``facts.py``) and every language's rule is tested.

Beyond the lists: a file with no listed import is still kept when its *math density* (share of math
vocabulary in identifiers and comments, LaTeX in comments) reaches ``min_math_density``: the core
modules of math libraries import only each other. A listed import next to a web or CLI framework
(``incidental_imports``) counts only with math density too: ``import numpy`` in a Flask app is
weighed, not waved through. And the Stack's hygiene rules AlgebraicStack skipped: mean line length,
alphanumeric fraction, vendored paths.

Every drop names its rule: ``too_large_for_language``, ``digit_dense``, ``long_mean_line``,
``low_alphanumeric``, ``vendored``, a ``reject_patterns`` name (``verilog``), the ``required_reason``
(``no_theorem``, ``no_sectioning``, ``no_equations``), ``no_math_import`` / ``no_math_include``,
``incidental_math_import``, ``incidental_import`` (kept on density alone next to a framework import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathcorpus.filters.language.facts import CodeFacts, code_without_comments
from mathcorpus.recipe import LanguageRuleSpec

MIB = 1 << 20
_CODE_HYGIENE = dict(max_bytes=MIB, max_digit_fraction=0.5, max_mean_line_length=100, min_alnum_fraction=0.25)
_WEB_AND_CLI = [
    "flask",
    "django",
    "fastapi",
    "starlette",
    "aiohttp",
    "tornado",
    "werkzeug",
    "requests",
    "httpx",
    "click",
    "typer",
    "argparse",
    "jinja2",
    "sqlalchemy",
    "boto3",
]

# The default rules (data: edit them in a recipe, not here).
ALGEBRAIC_STACK: dict[str, dict] = {
    "python": {
        **_CODE_HYGIENE,
        "math_imports": [
            "numpy",
            "scipy",
            "sympy",
            "sage",
            "numba",
            "numexpr",
            "theano",
            "statsmodels",
            "networkx",
            "mpmath",
            "pymc3",
            "astropy",
            "cupy",
            "pycuda",
            "cvxpy",
            "pyomo",
            "jax",
        ],
        "min_math_density": 0.01,
        "incidental_imports": _WEB_AND_CLI,
    },
    "jupyter": {
        **_CODE_HYGIENE,
        "max_mean_line_length": None,
        "required_any": [r"\$[^$\n]+\$", r"\\begin\{(equation|align)", r"\bsympy\b"],
        "required_reason": "no_equations",
    },
    "c": {
        **_CODE_HYGIENE,
        "math_includes": [
            "fftw",
            "gsl",
            "blas",
            "cblas",
            "lapacke",
            "lapack",
            "nlopt",
            "petsc",
            "mkl",
            "flint",
            "gmp",
            "mpfr",
            "arb",
        ],
        "min_math_density": 0.01,
    },
    "cpp": {
        **_CODE_HYGIENE,
        "max_digit_fraction": 0.1,
        "math_includes": [
            "fftw",
            "gsl",
            "blas",
            "cblas",
            "lapacke",
            "lapack",
            "nlopt",
            "petsc",
            "Eigen",
            "eigen3",
            "boost/math",
            "boost/numeric",
            "armadillo",
            "NTL",
            "deal.II",
            "mkl",
            "flint",
            "gmp",
            "mpfr",
            "arb",
            "xtensor",
            "blaze",
            "dlib/matrix",
        ],
        "min_math_density": 0.01,
    },
    "haskell": {
        **_CODE_HYGIENE,
        "math_imports": [
            "Numeric.LinearAlgebra",
            "Numeric",
            "Statistics",
            "Data.Complex",
            "Data.Ratio",
            "Math",
            "Linear",
            "Data.Matrix",
            "Data.Number",
            "Algebra",
        ],
        "min_math_density": 0.01,
        "incidental_imports": ["Web", "Network", "Servant", "Yesod", "Snap"],
    },
    "julia": {
        **_CODE_HYGIENE,
        "math_imports": [
            "LinearAlgebra",
            "Statistics",
            "SpecialFunctions",
            "DifferentialEquations",
            "Polynomials",
            "FFTW",
            "Distributions",
            "ForwardDiff",
            "Optim",
            "JuMP",
            "QuadGK",
            "Symbolics",
            "SparseArrays",
            "Combinatorics",
            "Primes",
            "StaticArrays",
        ],
        "min_math_density": 0.01,
        "incidental_imports": ["HTTP", "Sockets", "JSON", "Genie", "Oxygen"],
    },
    "fortran": {
        **_CODE_HYGIENE,
        "max_mean_line_length": None,
        "math_imports": [
            "lapack",
            "lapack95",
            "blas",
            "blas95",
            "fftw3",
            "mkl",
            "stdlib_linalg",
            "stdlib_stats",
            "stdlib_math",
            "stdlib_quadrature",
            "stdlib_specialfunctions",
            "ieee_arithmetic",
        ],
        "min_math_density": 0.01,
    },
    "r": {**_CODE_HYGIENE},
    "matlab": {**_CODE_HYGIENE},
    # agda2hs code (imports Haskell.*) is a Haskell program written in Agda: its Functor, Monad and
    # Foldable classes say category words on every line, so it needs far more than incidental density
    "agda": {
        **_CODE_HYGIENE,
        "min_math_density": 0.04,
        "math_imports": [
            "Algebra",
            "Data.Nat",
            "Data.Integer",
            "Data.Rational",
            "Relation.Binary",
            "Categories",
            "Function",
        ],
        "incidental_imports": ["Haskell", "IO", "Foreign"],
        "incidental_min_math_density": 0.25,
    },
    "idris": {**_CODE_HYGIENE},
    "lean": {
        **_CODE_HYGIENE,
        "required_or_math_import": True,
        "min_proved_theorems": 2,
        "unfinished_proof": r"\bsorry\b",
        "required": [r"\b(theorem|lemma|example)\b"],
        "required_reason": "no_theorem",
        # Lean 4's Mathlib and Lean 3 mathlib's top-level folders
        "math_imports": [
            "Mathlib",
            "analysis",
            "algebra",
            "topology",
            "number_theory",
            "measure_theory",
            "linear_algebra",
            "ring_theory",
            "field_theory",
            "group_theory",
            "category_theory",
            "combinatorics",
            "geometry",
            "probability",
            "set_theory",
            "data.real",
            "data.complex",
            "data.nat.prime",
        ],
        "min_math_density": 0.01,
    },
    "coq": {
        **_CODE_HYGIENE,
        "required_or_math_import": True,
        "min_proved_theorems": 2,
        "unfinished_proof": r"\b(Admitted|admit)\b",
        "required": [
            r"\b(Theorem|Lemma|Proposition|Corollary|Fact|Remark|Example)\b",
            r"\bProof\b",
            r"\b(Qed|Defined|Admitted)\b",
        ],
        "required_reason": "no_theorem",
        "math_imports": [
            "mathcomp",
            "Coq.Reals",
            "Coq.Arith",
            "Coq.ZArith",
            "Coq.QArith",
            "Reals",
            "Coquelicot",
            "Flocq",
            "HoTT",
            "UniMath",
            "Interval",
            "CoRN",
            "MathClasses",
        ],
        "min_math_density": 0.01,
        "reject_patterns": {"verilog": r"\bendmodule\b|\balways\s*@|^\s*module\s+\w+\s*(#\s*)?\("},
    },
    "isabelle": {
        **_CODE_HYGIENE,
        "required_or_math_import": True,
        "required": [r"(?i)\b(theorem|lemma|corollary|proposition|schematic_goal)\b"],
        "required_reason": "no_theorem",
        "min_math_density": 0.01,
        "math_imports": [
            "HOL-Analysis",
            "HOL-Algebra",
            "HOL-Number_Theory",
            "HOL-Probability",
            "HOL-Computational_Algebra",
            "HOL-Real_Asymp",
            "Complex_Main",
        ],
    },
    "gap": {**_CODE_HYGIENE},
    "maple": {**_CODE_HYGIENE, "max_bytes": 100_000},
    "mathematica": {**_CODE_HYGIENE, "max_mean_line_length": None},
    "tex": {
        "max_bytes": 10 * MIB,
        "max_digit_fraction": 0.5,
        # .tex *code files* (AlgebraicStack's rule); papers and books (kind paper) are not judged by
        # it: a chapter with its own sectioning macros or a Beamer deck is still a math document
        "kinds": ["code"],
        "required": [r"\\(part|chapter|section|subsection|subsubsection)\*?\s*[\[{]"],
        "required_reason": "no_sectioning",
    },
}

_VENDORED = re.compile(
    r"(^|/)(node_modules|vendor|vendored|third_party|thirdparty|3rdparty|external|"
    r"bower_components|site-packages|dist|build)/|\.min\.(js|css)$"
)


_ASCII_NOT_ALNUM = bytes(b for b in range(128) if not chr(b).isalnum())


def _alnum_count(text: str) -> int:
    """How many characters of `text` are alphanumeric (``str.isalnum``), without a Python step per
    character: ASCII by a C-level bytes.translate; the other characters as UTF-32 code points in
    NumPy, where only the distinct ones are asked ``isalnum`` (a file has few distinct symbols)."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_NOT_ALNUM))
    import numpy as np

    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ascii_points = points[points < 128].astype(np.uint8).tobytes()
    count = len(ascii_points.translate(None, _ASCII_NOT_ALNUM))
    other, counts = np.unique(points[points >= 128], return_counts=True)
    return count + int(sum(n for p, n in zip(other.tolist(), counts.tolist()) if chr(p).isalnum()))


def rules_for(preset: str, overrides: dict[str, LanguageRuleSpec]) -> dict[str, LanguageRuleSpec]:
    """The preset's rules with the recipe's overrides merged field by field."""
    base = (
        {name: LanguageRuleSpec(**rule) for name, rule in ALGEBRAIC_STACK.items()}
        if preset == "algebraic_stack"
        else {}
    )
    for name, rule in overrides.items():
        given = rule.model_dump(exclude_unset=True)
        base[name] = base[name].model_copy(update=given) if name in base else rule
    return base


@dataclass(frozen=True)
class RuleVerdict:
    reason: str | None  # None: kept
    detail: str
    signal: str | None = None  # why a kept file counts as math (an import, density, keywords)
    pending_reason: str | None = None  # a file left to its package: the reason it is dropped with


def _module_matches(name: str, wanted: list[str]) -> str | None:
    for w in wanted:
        if name == w or name.startswith(w + "."):
            return w
    return None


def _include_matches(path: str, wanted: list[str]) -> str | None:
    lower = path.lower()
    for w in wanted:
        wl = w.lower()
        base = lower.rsplit("/", 1)[-1]
        if lower.startswith(wl + "/") or lower == wl or base.startswith(wl) or f"/{wl}" in lower:
            return w
    return None


def _math_import(rule: LanguageRuleSpec, facts: CodeFacts | None) -> str | None:
    """The first listed math library the file imports or includes, if any."""
    if facts is None:
        return None
    hit = None
    if rule.math_imports:
        hit = next((m for m in (_module_matches(i, rule.math_imports) for i in facts.imports) if m), None)
    if hit is None and rule.math_includes:
        hit = next((m for m in (_include_matches(i, rule.math_includes) for i in facts.includes) if m), None)
    return hit


def apply_rule(
    rule: LanguageRuleSpec, text: str, path: str | None, facts: CodeFacts | None, language: str
) -> RuleVerdict:
    data = text.encode("utf-8", "surrogatepass")
    size = len(data)
    if rule.max_bytes is not None and size > rule.max_bytes:
        return RuleVerdict("too_large_for_language", f"{size:,} bytes > {rule.max_bytes:,} for {language}")
    if path and rule.drop_vendored and _VENDORED.search(path):
        return RuleVerdict("vendored", f"vendored path {path}")
    # character counts by C-level bytes.translate (a Python loop per character would cost more than
    # the parse); whitespace and digits are ASCII, which UTF-8 never uses inside another character
    non_space = len(text) - (size - len(data.translate(None, b" \t\n\r\f\v"))) or 1
    if rule.max_digit_fraction is not None:
        digits = size - len(data.translate(None, b"0123456789"))
        if digits / non_space > rule.max_digit_fraction:
            return RuleVerdict(
                "digit_dense", f"digits / non-whitespace {digits / non_space:.2f} > {rule.max_digit_fraction}"
            )
    lines = text.splitlines() or [""]
    if rule.max_mean_line_length is not None:
        mean = sum(map(len, lines)) / len(lines)
        if mean > rule.max_mean_line_length:
            return RuleVerdict("long_mean_line", f"mean line length {mean:.0f} > {rule.max_mean_line_length}")
    if rule.min_alnum_fraction is not None:
        alnum = _alnum_count(text) / max(1, len(text))
        if alnum < rule.min_alnum_fraction:
            return RuleVerdict("low_alphanumeric", f"alphanumeric fraction {alnum:.2f} < {rule.min_alnum_fraction}")
    for reason, pattern in rule.reject_patterns.items():
        if re.search(pattern, text, re.M):
            return RuleVerdict(reason, f"matches {pattern!r}")
    signal = None
    if rule.required or rule.required_any:
        code = code_without_comments(language, text)
        missing = [p for p in rule.required if not re.search(p, code, re.M)]
        if missing or (rule.required_any and not any(re.search(p, code, re.M) for p in rule.required_any)):
            library = _math_import(rule, facts) if rule.required_or_math_import else None
            if library is None:
                return RuleVerdict(rule.required_reason, f"needs {(missing or rule.required_any)[0]!r}")
            return RuleVerdict(None, "", f"import:{library} (no {rule.required_reason[3:]})")
        signal = "required_patterns"
        if rule.min_proved_theorems is not None:
            stated = len(re.findall(rule.required[0], code, re.M))
            unfinished = len(re.findall(rule.unfinished_proof, code, re.M)) if rule.unfinished_proof else 0
            if stated - unfinished >= rule.min_proved_theorems:
                return RuleVerdict(None, "", f"proved_theorems:{stated - unfinished}")
    if rule.math_imports is None and rule.math_includes is None and rule.min_math_density is None:
        return RuleVerdict(None, "", signal)
    facts = facts or CodeFacts(analysis="none")
    hit = _math_import(rule, facts)
    # A program's framework import (web, CLI) raises the density bar, whether or not a math library is
    # imported too (else `import flask` without numpy would need less math than with it).
    framework = next((i for i in facts.imports if _module_matches(i, rule.incidental_imports)), None)
    floor = rule.incidental_min_math_density
    if hit is not None:
        if framework and (density := facts.math_density) < floor:
            return RuleVerdict(
                "incidental_math_import", f"imports {hit} but also {framework}, math density {density:.3f} < {floor}"
            )
        return RuleVerdict(None, "", f"import:{hit}")
    reason = "no_math_include" if rule.math_includes and not rule.math_imports else "no_math_import"
    listed = "include" if reason == "no_math_include" else "import"
    density = facts.math_density
    if rule.min_math_density is not None and density >= rule.min_math_density:
        if framework and density < floor:
            return RuleVerdict(
                "incidental_import", f"imports {framework}, no listed {listed}, math density {density:.3f} < {floor}"
            )
        return RuleVerdict(None, "", f"math_density:{density:.3f}")
    # A file importing only its own package (`from .poly import`), or nothing at all (a header of a
    # header-only library, a module its package's `__init__` pulls in), is decided later with the rest
    # of its package (filters/language/packages.py); a file saying more software words than math ones
    # is not math, whatever its package.
    imports_nothing = not (facts.imports or facts.includes or facts.relative_imports)
    if (
        (facts.relative_imports or (imports_nothing and facts.analysis == "tree-sitter"))
        and rule.relative_imports_in_math_package
        and density >= 0
    ):
        why = f"{facts.relative_imports} relative imports" if facts.relative_imports else "no imports"
        return RuleVerdict(
            None, f"no listed {listed}; math density {density:.3f}; {why}", RELATIVE_PENDING, pending_reason=reason
        )
    return RuleVerdict(reason, f"no listed {listed}; math density {density:.3f} < {rule.min_math_density}")


RELATIVE_PENDING = "relative_imports_pending"
