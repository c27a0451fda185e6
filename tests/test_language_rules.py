"""Per-language keep rules: every language's rule on small files written here, then on real code
(math repositories vs non-math repositories in the same language) from ../shared/data."""

from __future__ import annotations

import collections
import json

import pytest

from mathcorpus.document import Document, Rejection
from mathcorpus.filters.language import LanguageFilter
from mathcorpus.filters.language.facts import FactReader, lexical_facts
from mathcorpus.filters.language.parse import Parsers
from mathcorpus.filters.language.rules import rules_for
from mathcorpus.recipe import LanguageFilterSpec, LanguageRuleSpec


@pytest.fixture(scope="module")
def language_filter():
    f = LanguageFilter(LanguageFilterSpec())
    f.setup()
    return f


def verdict(f, path, text, language=None):
    return f.apply(Document(id=path, text=text, source="s", kind="code", path=path, language=language))


def reason(v):
    return v.reason if isinstance(v, Rejection) else "kept"


PY_SOLVER = '''"""Newton iteration for the roots of a polynomial."""
import numpy as np


def newton(poly, x0, steps=20):
    """Find a root of `poly` (coefficients, highest first) near x0."""
    deriv = np.polyder(poly)
    x = x0
    for _ in range(steps):
        x = x - np.polyval(poly, x) / np.polyval(deriv, x)
    return x
'''

PY_WEB = """import numpy as np
from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/upload", methods=["POST"])
def upload():
    payload = request.get_json()
    ids = np.array(payload["ids"])
    return jsonify({"count": int(ids.size), "user": payload["user"], "session": request.cookies.get("s")})
"""

PY_CORE = '''from .polys import Poly
from ..core import sympify


def gcd_of_coefficients(poly):
    """Greatest common divisor of the integer coefficients of a polynomial."""
    coefficients = [sympify(c) for c in poly.coeffs()]
    result = 0
    for coefficient in coefficients:
        result = gcd(result, coefficient)
    return result
'''


def test_python_imports_come_from_the_parse_tree(language_filter):
    kept = verdict(language_filter, "solver.py", PY_SOLVER)
    assert reason(kept) == "kept" and kept.meta["math_signal"] == "import:numpy"
    assert kept.meta["analysis"] == "tree-sitter"
    # AlgebraicStack matched substrings: "numpyx" and a comment saying numpy passed. Not here.
    fake = "import numpyx\n# we could use numpy here\n\ndef f(request):\n    return request.json\n"
    assert reason(verdict(language_filter, "fake.py", fake)) == "no_math_import"
    # an incidental numpy import in a web app is weighed, not waved through
    web = verdict(language_filter, "app.py", PY_WEB)
    assert reason(web) == "incidental_math_import" and "flask" in web.detail
    # the core of a math library imports only itself: kept on its math density
    core = verdict(language_filter, "sympy/polys/gcd.py", PY_CORE)
    assert reason(core) == "kept" and core.meta["math_signal"].startswith("math_density")


@pytest.mark.parametrize(
    "path,text,expected",
    [
        ("a.cpp", "#include <Eigen/Dense>\nint main() { Eigen::MatrixXd m(2, 2); return 0; }\n", "kept"),
        (
            "a.cpp",
            '#include <iostream>\n#include <string>\nint main() { std::string user = "x"; '
            "std::cout << user; return 0; }\n",
            "no_math_include",
        ),
        ("a.c", "#include <gsl/gsl_sf_bessel.h>\ndouble f(double x) { return gsl_sf_bessel_J0(x); }\n", "kept"),
        (
            "a.cpp",
            "#include <boost/math/special_functions.hpp>\nconst double t[] = {"
            + ", ".join(str(1000 + i) for i in range(200))
            + "};\n",
            "digit_dense",
        ),  # C++: digits <= 0.1
        ("a.hs", "import qualified Numeric.LinearAlgebra as L\nmain = print (L.ident 3 :: L.Matrix Double)\n", "kept"),
        ("a.hs", 'import Web.Scotty\nmain = scotty 3000 $ get "/" $ text "hello"\n', "no_math_import"),
        ("a.jl", "using LinearAlgebra\nA = [1 2; 3 4]\nprintln(det(A))\n", "kept"),
        ("a.jl", 'using HTTP\nHTTP.serve() do request\n  return HTTP.Response(200, "ok")\nend\n', "no_math_import"),
        ("a.f90", "program p\n  use lapack95, only: gesv\n  real :: a(2,2)\nend program p\n", "kept"),
        ("a.R", "library(MASS)\nx <- rnorm(10)\nprint(mean(x))\n", "kept"),
        ("a.m", "A = magic(4);\nx = A \\ [1;2;3;4];\n", "kept"),
        (
            "a.agda",
            "module A where\nopen import Data.Nat\nopen import Relation.Binary.PropositionalEquality\n"
            "+-identity : (n : ℕ) → n + 0 ≡ n\n+-identity zero = refl\n+-identity (suc n) = cong suc (+-identity n)\n",
            "kept",
        ),
    ],
)
def test_tree_sitter_languages(language_filter, path, text, expected):
    assert reason(verdict(language_filter, path, text)) == expected


@pytest.mark.parametrize(
    "path,text,expected",
    [
        (
            "a.lean",
            "import Mathlib.Analysis.SpecialFunctions.Pow.Real\n\ntheorem two_le (x : ℝ) (h : 2 ≤ x) : 1 ≤ x := by linarith\n",
            "kept",
        ),
        ("a.lean", '-- theorem in a comment only\ndef main : IO Unit := IO.println "hello"\n', "no_theorem"),
        (
            "a.lean",
            'import Lean\n\ntheorem parse_ok : parseHeader "x" = some "x" := rfl\n'
            'def printHelp (args : List String) : IO Unit := IO.println s!"usage {args}"\n',
            "no_math_import",
        ),
        (
            "a.v",
            "From mathcomp Require Import ssreflect ssrnat.\nLemma addn0 n : n + 0 = n.\nProof. by elim: n. Qed.\n",
            "kept",
        ),
        ("a.v", "Definition x := 1.\n", "no_theorem"),
        # a proof library's re-export / structure file: no theorem of its own, but it imports math-comp
        ("all_algebra.v", "From mathcomp Require Export ssralg.\nFrom mathcomp Require Export poly.\n", "kept"),
        ("a.v", 'Require Import Coq.Strings.String.\nDefinition greeting := "hi"%string.\n', "no_theorem"),
        (
            "a.v",
            "module counter(input clk, output reg [3:0] q);\n  always @(posedge clk) q <= q + 1;\nendmodule\n",
            "verilog",
        ),
        ("a.thy", 'theory A imports Complex_Main begin\nlemma "(x::real) ^ 2 \\<ge> 0" by simp\nend\n', "kept"),
        ("a.thy", 'theory A imports Main begin\ndefinition f where "f = (1::nat)"\nend\n', "no_theorem"),
        ("a.g", 'LoadPackage("ctbllib");\nG := SymmetricGroup(5);\nPrint(Size(G));\n', "kept"),
        ("a.mpl", "with(LinearAlgebra):\nA := Matrix([[1,2],[3,4]]):\nDeterminant(A);\n", "kept"),
        ("a.wl", 'Needs["Combinatorica`"]\nIntegrate[Sin[x]^2, {x, 0, Pi}]\n', "kept"),
    ],
)
def test_lexical_fallback_languages(language_filter, path, text, expected):
    v = verdict(language_filter, path, text)
    assert reason(v) == expected
    if expected == "kept":
        assert v.meta["analysis"] == "lexical"


def test_tex_needs_a_sectioning_command_and_maple_a_smaller_size(language_filter):
    tex = Document(id="n.tex", text="\\section{Groups} Let $G$ be a group.", source="s", kind="paper", path="n.tex")
    assert reason(language_filter.apply(tex)) == "kept"
    tex = tex.replace(text="% \\section{commented}\nJust a macro file \\def\\x{1}")
    assert reason(language_filter.apply(tex)) == "kept"  # a paper is not judged by the rule for .tex code
    assert reason(language_filter.apply(tex.replace(kind="code"))) == "no_sectioning"
    assert reason(verdict(language_filter, "big.mpl", "x := 1;\n" * 20_000)) == "too_large_for_language"


def test_formal_files_with_proved_theorems_are_kept_whatever_they_import(language_filter):
    coq = (
        "Require Import List.\nLemma a : True.\nProof. trivial. Qed.\n"
        "Theorem b (l : list nat) : l = l.\nProof. reflexivity. Qed.\n"
    )
    assert verdict(language_filter, "List.v", coq).meta["math_signal"] == "proved_theorems:2"
    admitted = coq.replace("Proof. reflexivity. Qed.", "Admitted.")  # one proved: the other rules judge it
    assert verdict(language_filter, "List.v", admitted).meta["math_signal"].startswith("math_density")
    lean = "import Std\ntheorem a : 1 = 1 := rfl\ntheorem b (n : Nat) : n + 0 = n := by simp\n"
    assert verdict(language_filter, "A.lean", lean).meta["math_signal"] == "proved_theorems:2"
    unfinished = verdict(language_filter, "A.lean", lean.replace("by simp", "sorry"))
    assert not getattr(unfinished, "meta", {}).get("math_signal", "").startswith("proved_theorems")


def test_notebooks_need_equations_or_sympy(language_filter):
    assert (
        reason(verdict(language_filter, "a.ipynb", "# Roots\nSolve $x^2=2$.\n```python\nx=1\n```\n", "jupyter"))
        == "kept"
    )
    assert (
        reason(verdict(language_filter, "b.ipynb", "# Plot\n```python\nimport pandas\n```\n", "jupyter"))
        == "no_equations"
    )


def test_stack_hygiene_rules(language_filter):
    assert reason(verdict(language_filter, "node_modules/x/index.py", PY_SOLVER)) == "vendored"
    wide = "import numpy as np\n" + "x = np.array([" + ", ".join("a" * 5 for _ in range(60)) + "])\n"
    assert reason(verdict(language_filter, "wide.py", wide * 3)) == "long_mean_line"
    symbols = "import numpy\n" + 's = "+-*/=<>!?;:,.{}[]()|~^&%$#@+-*/=<>!?;:,.{}[]()|~^&%$#@"\n' * 30
    assert reason(verdict(language_filter, "sym.py", symbols)) == "low_alphanumeric"


def test_recipe_rules_override_the_preset_per_field():
    rules = rules_for(
        "algebraic_stack", {"python": LanguageRuleSpec(math_imports=["pandas"]), "gap": LanguageRuleSpec(max_bytes=10)}
    )
    assert rules["python"].math_imports == ["pandas"] and rules["python"].min_math_density == 0.01
    assert rules["gap"].max_bytes == 10 and rules["gap"].max_digit_fraction == 0.5
    assert rules_for("none", {}) == {}
    f = LanguageFilter(
        LanguageFilterSpec(rules={"python": LanguageRuleSpec(math_imports=["pandas"], min_math_density=None)})
    )
    f.setup()
    assert reason(verdict(f, "s.py", PY_SOLVER)) == "no_math_import"
    assert reason(verdict(f, "p.py", "import pandas as pd\ndf = pd.DataFrame()\n")) == "kept"


def test_facts_from_the_tree_and_lexically():
    parsers, reader = Parsers(), FactReader()
    src = "import numpy as np\nfrom scipy import linalg\nfrom . import core\nimport os.path, sympy\n"
    tree, _ = parsers.parse("python", src)
    facts = reader.facts("python", src, tree)
    assert facts.imports == ["numpy", "scipy", "os.path", "sympy"] and facts.relative_imports == 1
    tree, _ = parsers.parse("cpp", '#include <Eigen/Dense>\n#include "gsl/gsl_math.h"\n')
    assert reader.facts("cpp", "", tree).includes == ["Eigen/Dense", "gsl/gsl_math.h"]
    tree, _ = parsers.parse("r", 'library(MASS)\nrequire("stats")\nprint(x)\n')
    assert reader.facts("r", "", tree).imports == ["MASS", "stats"]
    lean = "public import Mathlib.Data.Real.Basic\nimport Mathlib.Tactic\n/- import Fake -/\ntheorem t : 1 = 1 := rfl\n"
    assert lexical_facts("lean", lean).imports == ["Mathlib.Data.Real.Basic", "Mathlib.Tactic"]
    assert (
        lexical_facts("coq", "From mathcomp Require Import ssreflect.\n(* Require Import Fake. *)\n").imports[0]
        == "mathcomp"
    )


REAL_LANGUAGES = {
    "lean4": "lean",
    "coq": "coq",
    "isabelle": "isabelle",
    "cpp": "cpp",
    "haskell": "haskell",
    "julia": "julia",
    "fortran": "fortran",
    "agda": "agda",
    "python": "python",
}


def test_real_math_and_non_math_code_per_language(shared_data):
    """Math repositories vs non-math ones, per language: the rules keep math and drop the rest."""
    f = LanguageFilter(LanguageFilterSpec(max_parse_error_ratio=1.0))
    f.setup()
    from mathcorpus.filters.language.packages import resolve_all

    for name in REAL_LANGUAGES:
        counts = collections.Counter()
        for suffix, label in (("", 1), ("_nonmath", 0)):
            rows = [
                json.loads(line) for line in (shared_data / "code" / f"{name}{suffix}.jsonl").read_text().splitlines()
            ]
            docs = [
                Document(id=r["path"], text=r["content"], source="s", kind="code", path=r["path"], repo=r["repo"])
                for r in rows
            ]
            for v in resolve_all([f.apply(d) for d in docs], f.rules):
                counts[(label, isinstance(v, Document))] += 1
        tp, fp, fn = counts[(1, True)], counts[(0, True)], counts[(1, False)]
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        assert precision >= 0.9 and recall >= 0.9, (name, precision, recall, dict(counts))


PY_RELATIVE = '''from .base import Thing
from ..utils import helper


def combine(a, b):
    """Join two things."""
    return helper(Thing(a), Thing(b))
'''


def _run_rows(tmp_path, rows: list[dict]):
    """A pipeline run over JSONL rows of Python code; (kept [(id, text)], dropped [(id, reason)])."""
    import pyarrow.parquet as pq
    import yaml

    from mathcorpus.pipeline.build import run_recipe
    from mathcorpus.recipe import load_recipe

    (tmp_path / "code.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "pkg",
                "sources": [
                    {
                        "name": "s",
                        "kind": "jsonl",
                        "path": "code.jsonl",
                        "id_field": "id",
                        "doc_kind": "code",
                        "language": "python",
                    }
                ],
                "filters": {"language": {}},
            }
        )
    )
    run_recipe(load_recipe(tmp_path / "r.yaml"), str(tmp_path / "out"))
    kept = pq.read_table(tmp_path / "out" / "documents").to_pylist()
    dropped = pq.read_table(tmp_path / "out" / "rejected").to_pylist()
    return [(d["id"], d["text"]) for d in kept], sorted((r["id"], r["reason"]) for r in dropped)


def test_relative_imports_are_decided_by_their_package(tmp_path):
    from mathcorpus.filters.language.packages import decide, package_key

    rows = [{"id": f"mathpkg/m{i}.py", "path": f"mathpkg/m{i}.py", "text": PY_SOLVER} for i in range(3)]
    rows += [
        {"id": "mathpkg/core.py", "path": "mathpkg/core.py", "text": PY_RELATIVE},
        {"id": "webpkg/core.py", "path": "webpkg/core.py", "text": PY_RELATIVE},
        {"id": "webpkg/app.py", "path": "webpkg/app.py", "text": "import os\nprint(os.getcwd())\n"},
    ]
    language_filter = LanguageFilter(LanguageFilterSpec())
    language_filter.setup()
    held = language_filter.apply(
        Document(id="s/mathpkg/core.py", text=PY_RELATIVE, source="s", kind="code", path="mathpkg/core.py")
    )
    assert held.meta["math_signal"] == "relative_imports_pending" and package_key(held) == (
        "s",
        "",
        "mathpkg",
        "python",
    )
    assert decide(held, 0.75, 0.25).meta["math_signal"] == "relative_import_in_math_package:0.75"
    assert decide(held, 0.1, 0.25).reason == "no_math_import"
    kept, dropped = _run_rows(tmp_path, rows)
    assert sorted(i for i, _ in kept) == ["s/mathpkg/core.py"] + [f"s/mathpkg/m{i}.py" for i in range(3)]
    assert dropped == [("s/webpkg/app.py", "no_math_import"), ("s/webpkg/core.py", "no_math_import")]


def test_later_copies_of_an_id_are_dropped_with_the_package_verdicts(tmp_path):
    rows = [{"id": f"mathpkg/m{i}.py", "path": f"mathpkg/m{i}.py", "text": PY_SOLVER} for i in range(3)]
    rows += [
        {"id": "mathpkg/core.py", "path": "mathpkg/core.py", "text": PY_RELATIVE},
        {"id": "webpkg/core.py", "path": "webpkg/core.py", "text": PY_RELATIVE},
    ]
    # later copies of a kept file and of a held-back one
    rows += [{**rows[i], "text": rows[i]["text"] + "\n# copy\n"} for i in (0, 3)]
    kept, dropped = _run_rows(tmp_path, rows)
    assert sorted((i, "# copy" in t) for i, t in kept) == [("s/mathpkg/core.py", False)] + [
        (f"s/mathpkg/m{i}.py", False) for i in range(3)
    ]
    assert dropped == [
        ("s/mathpkg/core.py", "duplicate_id"),
        ("s/mathpkg/m0.py", "duplicate_id"),
        ("s/webpkg/core.py", "no_math_import"),
    ]


def test_a_file_importing_nothing_is_judged_by_its_package():
    from mathcorpus.filters.language.packages import resolve_all

    header = (
        "template <typename T>\nconstexpr T clamp_to(const T x, const T lo, const T hi) {\n"
        "  return x < lo ? lo : (x > hi ? hi : x);\n}\n"
    )
    solver = "#include <Eigen/Dense>\nEigen::MatrixXd solve(const Eigen::MatrixXd& a) { return a.inverse(); }\n"
    daemon = "#include <sys/socket.h>\nint serve(int port) { return socket(AF_INET, SOCK_STREAM, 0); }\n"
    docs = [
        Document(id=f"s/{p}", text=t, source="s", kind="code", path=p)
        for p, t in (
            ("mathlib/solve.cpp", solver),
            ("mathlib/solve2.cpp", solver),
            ("mathlib/clamp.hpp", header),
            ("netd/serve.cpp", daemon),
            ("netd/clamp.hpp", header),
        )
    ]
    language_filter = LanguageFilter(LanguageFilterSpec())
    language_filter.setup()
    verdicts = [language_filter.apply(d) for d in docs]
    assert verdicts[2].meta["math_signal"] == "relative_imports_pending"  # held back: it imports nothing
    resolved = {v.id: reason(v) for v in resolve_all(verdicts, language_filter.rules)}
    assert resolved == {
        "s/mathlib/solve.cpp": "kept",
        "s/mathlib/solve2.cpp": "kept",
        "s/mathlib/clamp.hpp": "kept",
        "s/netd/serve.cpp": "no_math_include",
        "s/netd/clamp.hpp": "no_math_include",
    }


def test_license_comments_are_not_the_vocabulary_of_the_code():
    code = (
        "// Solve the linear system by Gaussian elimination with partial pivoting.\n"
        "double determinant(const Matrix& m) { return lu(m).product_of_diagonal(); }\n"
    )
    license = (
        "/* Copyright 2020 Example Corp. Licensed under the Apache License, Version 2.0; you may not\n"
        " * use this software except in compliance with the License, distributed WITHOUT WARRANTIES\n"
        " * or conditions of any kind, server, client, network, buffer, http. */\n"
    )
    parsers, reader = Parsers(), FactReader()

    def density(text, language="cpp"):
        if language == "coq":
            return lexical_facts(language, text).math_density
        tree, _ = parsers.parse(language, text)
        return reader.facts(language, text, tree).math_density

    assert density(license + code) == density(code) > 0
    coq = "Lemma le_refl n : n <= n.\nProof. auto. Qed.\n"
    assert density("(* Licensed under the MIT license: software, http, json *)\n" + coq, "coq") == density(coq, "coq")


def test_imports_are_found_wherever_their_statements_are():
    """The import query runs over the statements from the first import keyword to the last: imports
    nested in functions, preprocessor blocks and modules, or spread over lines, are all found."""
    parsers, reader = Parsers(), FactReader()

    def imports(language, src):
        tree, _ = parsers.parse(language, src)
        facts = reader.facts(language, src, tree)
        return facts.imports or facts.includes

    late = (
        "import os\n\n\nclass Grid:\n    def solve(self):\n        return 1\n\n\n"
        "def lazy():\n    try:\n        import sympy\n    except ImportError:\n        return None\n"
    )
    assert imports("python", late) == ["os", "sympy"]
    assert imports("python", "def f(x):\n    return x + 1\n") == []
    assert imports("python", '"""Not important."""\nx = 1\n') == []  # "import" inside a word only
    assert imports("cpp", "int x;\n#ifdef USE_GSL\n#include <gsl/gsl_math.h>\n#endif\n") == ["gsl/gsl_math.h"]
    fortran = "MODULE m\n  USE LAPACK95\n  IMPLICIT NONE\nCONTAINS\n  SUBROUTINE s\n    use fftw3\n  END SUBROUTINE\nEND MODULE\n"
    assert [i.lower() for i in imports("fortran", fortran)] == ["lapack95", "fftw3"]
    assert imports("julia", "x = 1\nusing LinearAlgebra,\n    Statistics\n") == ["LinearAlgebra", "Statistics"]


AGDA2HS_FUNCTOR = """module Haskell.Prim.Functor where

open import Haskell.Prim
open import Haskell.Prim.List

record Functor (f : Type -> Type) : Type1 where
  field
    fmap : (a -> b) -> f a -> f b
    _<$_ : (@0 {{ b }} -> a) -> f b -> f a
open Functor {{...}} public
{-# COMPILE AGDA2HS Functor existing-class #-}

instance
  iFunctorList : Functor List
  iFunctorList .fmap = map
  iFunctorList ._<$_ = \\ x xs -> map (const x) xs
  printList : List Nat -> String
  printList xs = show xs
"""


def test_a_framework_import_raises_the_bar_for_math_density(language_filter):
    # agda2hs code (a Haskell program written in Agda) says "functor" everywhere: not math on that alone
    v = verdict(language_filter, "lib/Haskell/Prim/Functor.agda", AGDA2HS_FUNCTOR)
    assert reason(v) == "incidental_import" and "Haskell.Prim" in v.detail
    # the same density without the framework import keeps the file
    plain = AGDA2HS_FUNCTOR.replace("open import Haskell.Prim\nopen import Haskell.Prim.List\n", "")
    assert reason(verdict(language_filter, "src/Functor.agda", plain)) == "kept"
    # Python: without a listed import, `import argparse` asks for the incidental density too
    strict = LanguageFilter(LanguageFilterSpec(rules={"python": LanguageRuleSpec(incidental_min_math_density=0.9)}))
    strict.setup()
    script = "def polynomial_roots(coefficients):\n    return eigenvalues(companion_matrix(coefficients))\n"
    assert reason(verdict(strict, "roots.py", script)) == "kept"
    assert reason(verdict(strict, "roots.py", "import argparse\n" + script)) == "incidental_import"


def test_isabelle_imports_of_its_own_session_are_relative():
    from mathcorpus.filters.language.packages import resolve_all

    header = 'theory A imports Main "hoare/Hoare" Maybe "HOL-Analysis.Derivative" "~~/src/HOL/Library/Multiset" begin\n'
    facts = lexical_facts("isabelle", header + "end\n")
    assert facts.imports == ["Main", "HOL-Analysis.Derivative", "~~/src/HOL/Library/Multiset"]
    assert facts.relative_imports == 2
    # a theory of lemmas about its own definitions (little math vocabulary) importing its session's
    # theories is decided with its package, like Python's relative imports
    own = 'theory List imports Maybe begin\nlemma rev_rev: "rev (rev xs) = xs" by (induct xs) auto\nend\n'
    mathy = 'theory R imports Complex_Main begin\nlemma "(x::real) ^ 2 \\<ge> 0" by simp\nend\n'
    tool = 'theory T imports Main begin\nlemma "cmd_ok (parse_cmd s)" sorry\nend\n'
    docs = [
        Document(id=f"s/{p}", text=t, source="s", kind="code", path=p)
        for p, t in (
            ("hott/R.thy", mathy),
            ("hott/R2.thy", mathy),
            ("hott/List.thy", own),
            ("tools/T.thy", tool),
            ("tools/List.thy", own),
        )
    ]
    f = LanguageFilter(LanguageFilterSpec())
    f.setup()
    resolved = {v.id: reason(v) for v in resolve_all([f.apply(d) for d in docs], f.rules)}
    assert resolved == {
        "s/hott/R.thy": "kept",
        "s/hott/R2.thy": "kept",
        "s/hott/List.thy": "kept",
        "s/tools/T.thy": "no_math_import",
        "s/tools/List.thy": "no_math_import",
    }
