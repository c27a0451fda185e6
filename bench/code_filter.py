"""Code language rules on real code: precision and recall of "math code kept" per language, and the
cost of the rules next to bare tree-sitter parsing.

Data: ../shared/data/code/<lang>.jsonl (files of math repositories, label math) and
<lang>_nonmath.jsonl (non-math repositories in the same language). The language stage runs as in a
recipe with the default rules (``filters.language.preset: algebraic_stack``), except that the parse
error limit is off (the parse-error rule is measured by the tests, not here).

Throughput: files/s and MB/s on 2 worker processes through ``LanguageFilter.apply`` (detect, parse,
facts, rules) as a ratio to bare ``parser.parse`` of the same files with the same grammar in the same
run (goal >= 0.6: the rules cost less than the parse). Lean, Coq and Isabelle have no bundled grammar:
their files are read lexically and are left out of the ratio (reported separately).

    python bench/code_filter.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from multiprocessing import get_context
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = {
    "lean4": "lean",
    "coq": "coq",
    "isabelle": "isabelle",
    "agda": "agda",
    "haskell": "haskell",
    "julia": "julia",
    "python": "python",
    "cpp": "cpp",
    "fortran": "fortran",
}

_filter = None
_parsers = None


def _init():
    global _filter, _parsers
    from mathcorpus.filters.language import LanguageFilter
    from mathcorpus.filters.language.parse import Parsers
    from mathcorpus.recipe import LanguageFilterSpec

    _filter = LanguageFilter(LanguageFilterSpec(max_parse_error_ratio=1.0))
    _filter.setup()
    _parsers = Parsers()


def _apply(batch, repos=None):
    from mathcorpus.document import Document
    from mathcorpus.filters.language.packages import resolve_all

    verdicts = [
        _filter.apply(
            Document(id=path, text=text, source="bench", kind="code", path=path, repo=repos[i] if repos else None)
        )
        for i, (path, text) in enumerate(batch)
    ]
    if repos:  # files held back for their package (relative imports) are decided with it
        verdicts = resolve_all(verdicts, _filter.rules)
    return [(getattr(v, "reason", None), v.meta.get("analysis") if isinstance(v, Document) else None) for v in verdicts]


def _bare(batch):
    from mathcorpus.filters.language.detect import detect_language
    from mathcorpus.filters.language.parse import GRAMMAR_BY_LANGUAGE

    for path, text in batch:
        language = detect_language(path, text)
        if language in GRAMMAR_BY_LANGUAGE:
            parser, _ = _parsers._get(GRAMMAR_BY_LANGUAGE[language])
            parser.parse(text.encode("utf-8"))
    return len(batch)


def _timed(pool, fn, files, repeat):
    batches = [files[i : i + 16] for i in range(0, len(files), 16)] * repeat
    start = time.perf_counter()
    results = pool.map(fn, batches, chunksize=4)
    return time.perf_counter() - start, results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    code = Path(args.data) / "code"
    if not code.is_dir():
        print(f"real data not found at {code}: nothing to measure")
        return 0
    rows = {
        name: {
            label: [json.loads(line) for line in (code / f"{name}{suffix}.jsonl").read_text().splitlines()]
            for suffix, label in (("", 1), ("_nonmath", 0))
        }
        for name in LANGUAGES
    }

    _init()
    print(
        f"{'language':<10}{'analysis':<13}{'math':>6}{'other':>7}{'precision':>11}{'recall':>8}   dropped (math / other) by rule"
    )
    for name, by_label in rows.items():
        counts = collections.Counter()
        reasons = {1: collections.Counter(), 0: collections.Counter()}
        analysis = set()
        for label, files in by_label.items():
            results = _apply([(r["path"], r["content"]) for r in files], [r["repo"] for r in files])
            for reason, method in results:
                counts[(label, reason is None)] += 1
                if reason:
                    reasons[label][reason] += 1
                elif method:
                    analysis.add(method)
        tp, fp, fn = counts[(1, True)], counts[(0, True)], counts[(1, False)]
        dropped = "; ".join(
            f"{r}: {reasons[1][r]} / {reasons[0][r]}" for r in sorted(set(reasons[1]) | set(reasons[0]))
        )
        print(
            f"{name:<10}{'/'.join(sorted(analysis)) or '-':<13}{len(by_label[1]):>6}{len(by_label[0]):>7}"
            f"{tp / max(1, tp + fp):>11.3f}{tp / max(1, tp + fn):>8.3f}   {dropped}"
        )

    from mathcorpus.filters.language.parse import GRAMMAR_BY_LANGUAGE

    files = [
        (r["path"], r["content"])
        for name, by_label in rows.items()
        if LANGUAGES[name] in GRAMMAR_BY_LANGUAGE
        for label in (1, 0)
        for r in by_label[label]
    ]
    lexical = [
        (r["path"], r["content"])
        for name, by_label in rows.items()
        if LANGUAGES[name] not in GRAMMAR_BY_LANGUAGE
        for label in (1, 0)
        for r in by_label[label]
    ]
    mb = sum(len(t.encode()) for _, t in files) / 1e6
    with get_context("spawn").Pool(2, initializer=_init) as pool:
        # warm both workers: every language's grammar, parser and queries built once (what a
        # long-running worker amortizes), for the bare parse and for the stage alike
        warm = list(
            {name: [(r["path"], r["content"]) for r in by_label[1][:2]] for name, by_label in rows.items()}.values()
        )
        warm = [f for group in warm for f in group]
        pool.map(_bare, [warm] * 8, chunksize=1)
        pool.map(_apply, [warm] * 8, chunksize=1)
        bare_s, _ = _timed(pool, _bare, files, args.repeat)
        ours_s, _ = _timed(pool, _apply, files, args.repeat)
        lex_s, _ = _timed(pool, _apply, lexical, args.repeat)
    n = len(files) * args.repeat
    print(f"\n{len(files)} files with a grammar ({mb:.1f} MB) x {args.repeat}, 2 processes:")
    print(f"  bare tree-sitter parse: {n / bare_s:,.0f} files/s, {mb * args.repeat / bare_s:.1f} MB/s")
    print(
        f"  language stage (parse + facts + rules): {n / ours_s:,.0f} files/s, {mb * args.repeat / ours_s:.1f} MB/s"
        f" = {bare_s / ours_s:.2f} x bare parsing (goal >= 0.6)"
    )
    lex_mb = sum(len(t.encode()) for _, t in lexical) / 1e6
    print(
        f"  lexical languages (Lean, Coq, Isabelle; {len(lexical)} files, {lex_mb:.1f} MB): "
        f"{len(lexical) * args.repeat / lex_s:,.0f} files/s, {lex_mb * args.repeat / lex_s:.1f} MB/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
