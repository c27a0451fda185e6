"""Relative imports inside a math package: the rule that needs a file's neighbours.

The core modules of a math library import only each other (``from .polytools import Poly``): no
listed import, and sometimes little math vocabulary. Such a file is held back by the language stage
(``meta.math_signal == "relative_imports_pending"``) and decided here, per package: it is kept when at
least ``relative_imports_in_math_package`` of the package's files in its language were kept on their
own signal (a listed import or math density), else dropped as ``no_math_import``. A package is the
top folder of the document's path within its repository (``repo``, when known) and source. The
pipeline's scan pass counts the packages and holds nothing back: the held-back file stays in its work
unit's spill, and the apply pass decides it from the run's counts (one pair of numbers per package).
"""

from __future__ import annotations

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.filters.language.rules import RELATIVE_PENDING


def package_key(doc_or_rejection) -> tuple[str, str, str, str]:
    """(source, repo, top folder of the path, language): a repository's `maths/` and `web/` folders
    are different packages."""
    path = doc_or_rejection.path or ""
    repo = getattr(doc_or_rejection, "repo", None) or ""
    top = path.split("/", 1)[0] if "/" in path else ""
    return doc_or_rejection.source, repo, top, doc_or_rejection.language or ""


def is_pending(doc: Document) -> bool:
    return doc.meta.get("math_signal") == RELATIVE_PENDING


def decide(doc: Document, share: float, needed: float) -> Verdict:
    """Keep a pending file of a package whose files are `share` math (kept on their own signal)."""
    meta = {k: v for k, v in doc.meta.items() if k not in ("math_signal", "pending_detail", "pending_reason")}
    detail = doc.meta.get("pending_detail", "")
    if share >= needed:
        return doc.replace(meta={**meta, "math_signal": f"relative_import_in_math_package:{share:.2f}"})
    reason = doc.meta.get("pending_reason") or "no_math_import"  # the reason it would have had on its own
    return Rejection.of(
        doc.replace(meta=meta), "language", reason, f"{detail}; its package is {share:.0%} math (< {needed:.0%})"
    )


def resolve_all(verdicts: list[Verdict], rules: dict) -> list[Verdict]:
    """The same decision without Beam, for a list of the language stage's verdicts (tests, benches)."""
    needed = needed_shares(rules)
    counts = dict(package_counts(verdicts, set(needed)))
    return [
        decide(v, _share(counts.get(package_key(v), (0, 0))), needed[v.language])
        if isinstance(v, Document) and is_pending(v)
        else v
        for v in verdicts
    ]


def _share(counts) -> float:
    math, seen = counts
    return math / seen if seen else 0.0


def package_counts(verdicts: list[Verdict], languages: set) -> list[tuple[tuple, tuple[int, int]]]:
    """(package, (files kept on their own math signal, files)) over one batch of the language stage's
    kept documents or rejections, for the languages that have the rule."""
    counts: dict = {}
    for v in verdicts:
        if v.language not in languages or (isinstance(v, Document) and v.kind != "code"):
            continue
        math = int(isinstance(v, Document) and not is_pending(v) and bool(v.meta.get("math_signal")))
        key = package_key(v)
        m, n = counts.get(key, (0, 0))
        counts[key] = (m + math, n + 1)
    return list(counts.items())


def add_pairs(pairs):
    """(math files, files) summed over a package's counts (a combiner)."""
    math = seen = 0
    for m, n in pairs:
        math, seen = math + m, seen + n
    return math, seen


def pending_verdict(doc: Document, shares: dict, rules: dict) -> Verdict:
    """A held-back file's verdict, from the package shares of the whole run ({package: (math, files)})."""
    return decide(doc, _share(shares.get(package_key(doc), (0, 0))), needed_shares(rules)[doc.language])


def needed_shares(rules: dict) -> dict:
    """{language: share of math files its package needs}, for the languages that have the rule."""
    return {
        lang: r.relative_imports_in_math_package
        for lang, r in rules.items()
        if r.relative_imports_in_math_package is not None
    }


def would_drop(package: tuple, language: str, shares: dict, rules: dict) -> bool:
    """Whether a held-back file of `package` is dropped (so that dedup leaves it out)."""
    return _share(shares.get(package, (0, 0))) < needed_shares(rules)[language]
