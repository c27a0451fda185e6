"""Decontamination quality and speed on real data (../shared/data): prints figures, asserts nothing.

1. Real contamination: every OpenWebMath / MathStack document that Llemma's overlap analysis found
   sharing 30-word runs with MATH or GSM8K test must be flagged, with the right benchmark item (an
   item whose text holds the overlapped input/output).
2. Planted recall: seeded benchmark items (GSM8K test + MATH test, problem and solution) planted in
   clean math documents, verbatim and lightly reformatted (case, whitespace, LaTeX delimiters,
   thousands separators, surrounding prose); recall = flagged with the planted item. Goal >= 0.98.
3. False positives: clean math documents (Stack Exchange threads on category theory and physics,
   LaTeX books and notes cut into ~1,500-word parts, math code) with any hit, per
   `min_matching_ngrams` threshold. Goal <= 0.5%.
4. Throughput: documents/s matching against the GSM8K+MATH index, against a plain Python
   set-of-n-grams baseline (lowercased whitespace words, tuples in a set) in the same run; and the
   Beam stage on 2 worker processes.

    python bench/decontam.py [--n 13] [--planted 1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import tempfile
import time
from pathlib import Path

from mathcorpus.pipeline.decontaminate.benchmarks import read_benchmark
from mathcorpus.pipeline.decontaminate.index import build_index, match_text, match_words
from mathcorpus.pipeline.decontaminate.ngrams import normalize_words
from mathcorpus.recipe import BenchmarkSpec

SHARED = Path(os.environ.get("MATHCORPUS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def clean_documents() -> list[str]:
    docs = []
    for f in sorted((SHARED / "web" / "stackexchange_math").glob("*.jsonl")):
        for t in jsonl(f):
            parts = [t["question"]["title"], t["question"]["body_text"]] + [a["body_text"] for a in t["answers"]]
            docs.append("\n\n".join(p for p in parts if p))
    for f in sorted((SHARED / "papers").glob("**/*.tex")):
        if "nonmath" in f.parts:
            continue
        words = f.read_text(encoding="utf-8", errors="replace").split(" ")
        docs += [" ".join(words[i : i + 1500]) for i in range(0, len(words), 1500)]
    for name in ("lean4", "coq", "isabelle", "haskell", "julia", "python", "cpp", "fortran", "agda"):
        docs += [r["content"] for r in jsonl(SHARED / "code" / f"{name}.jsonl")]
    return docs


def reformat(text: str, rng: random.Random) -> str:
    """A light reformatting as web copies do: case, whitespace, delimiters, separators."""
    if rng.random() < 0.5:
        text = text.upper() if rng.random() < 0.3 else text.lower()
    if rng.random() < 0.5:
        text = re.sub(r"\$([^$]+)\$", r"\\(\1\\)", text)
    if rng.random() < 0.5:
        text = re.sub(r"\b(\d)(\d{3})\b", r"\1,\2", text)
    if rng.random() < 0.5:
        text = re.sub(r"\s+", lambda m: rng.choice([" ", "  ", "\n", "\t"]), text)
    return text


def plant(host: str, item_text: str, rng: random.Random, formatted: bool) -> str:
    cut = rng.randrange(len(host) + 1) if host else 0
    body = reformat(item_text, rng) if formatted else item_text
    return f"{host[:cut]}\n\nHere is a problem I saw: {body}\nAny ideas?\n\n{host[cut:]}"


def baseline_index(items, n):
    grams = {}
    for it in items:
        words = it.text.lower().split()
        for i in range(len(words) - n + 1):
            grams.setdefault(tuple(words[i : i + n]), (it.benchmark, it.item))
    return grams


def baseline_match(text, grams, n):
    words = text.lower().split()
    return {grams[g] for g in (tuple(words[i : i + n]) for i in range(len(words) - n + 1)) if g in grams}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=13)
    parser.add_argument("--planted", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    if not SHARED.is_dir():
        raise SystemExit(f"needs the real data in {SHARED} (set MATHCORPUS_SHARED_DATA)")
    n = args.n
    specs = {
        "MATH": BenchmarkSpec(
            path=str(SHARED / "benchmarks/math/test.jsonl"), name="math", fields=["problem", "solution"]
        ),
        "gsm8k": BenchmarkSpec(
            path=str(SHARED / "benchmarks/gsm8k/test.jsonl"), name="gsm8k", fields=["question", "answer"]
        ),
    }
    items = {k: list(read_benchmark(s)) for k, s in specs.items()}
    all_items = items["MATH"] + items["gsm8k"]
    t0 = time.perf_counter()
    index = build_index(all_items, n)
    print(
        f"index: {len(index):,} {n}-grams from {len({(i.benchmark, i.item) for i in all_items}):,} items "
        f"({index.dropped_template_ngrams:,} template n-grams left out), built in {time.perf_counter() - t0:.1f} s"
    )
    texts: dict[tuple, str] = {}
    for i in all_items:
        texts[(i.benchmark, i.item)] = texts.get((i.benchmark, i.item), "") + "\n" + i.text

    def item_words(hit: dict) -> str:
        return " ".join(normalize_words(texts[(hit["benchmark"], hit["item"])]))

    # 1. real contamination
    folder = SHARED / "web" / "openwebmath_contaminated"
    total = flagged = right = 0
    for key in ("MATH", "gsm8k"):
        for f in sorted(folder.glob(f"*_{key}_*.jsonl")):
            for row in jsonl(f):
                total += 1
                hits = match_words(normalize_words(row["text"]), index)
                flagged += bool(hits)
                # the right item: one whose problem or solution holds the overlapped input / output
                wanted = [" ".join(normalize_words(row.get(k) or "")[:20]) for k in ("input", "output")]
                right += any(
                    h["benchmark"] == specs[key].name and any(w and w in item_words(h) for w in wanted) for h in hits
                )
    print(f"1. real OpenWebMath/MathStack overlaps: {flagged}/{total} flagged, {right}/{total} with the right item")

    # 2. planted recall
    clean = clean_documents()
    rng = random.Random(0)
    by_item: dict[tuple, list] = {}
    for it in all_items:
        by_item.setdefault((it.benchmark, it.item), []).append(it.text)
    keys = sorted(by_item)
    chosen = rng.sample(keys, min(args.planted, len(keys)))
    for formatted in (False, True):
        found = found_problem = 0
        for key in chosen:
            host = rng.choice(clean)
            full = "\n".join(by_item[key])
            hits = match_words(normalize_words(plant(host, full, rng, formatted)), index)
            found += any((h["benchmark"], h["item"]) == key for h in hits)
            hits = match_words(normalize_words(plant(host, by_item[key][0], rng, formatted)), index)
            found_problem += any((h["benchmark"], h["item"]) == key for h in hits)
        label = "reformatted" if formatted else "verbatim"
        print(
            f"2. planted items, {label}: recall {found / len(chosen):.3f} (problem + solution), "
            f"{found_problem / len(chosen):.3f} (problem/question alone; items under {n} words cannot match)"
        )

    # 3. false positives on clean math documents
    counts = [max((h["matching_ngrams"] for h in match_words(normalize_words(d), index)), default=0) for d in clean]
    print(f"3. clean math documents: {len(clean):,}")
    for threshold in (1, 2, 3, 5):
        fp = sum(c >= threshold for c in counts)
        print(f"   min_matching_ngrams={threshold}: {fp} flagged = {fp / len(clean):.2%} false positives")

    # 4. throughput
    grams = baseline_index(all_items, n)
    t0 = time.perf_counter()
    for d in clean:
        baseline_match(d, grams, n)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in clean:
        match_text(d, index)
    ours = time.perf_counter() - t0
    mb = sum(len(d.encode()) for d in clean) / 1e6
    print(
        f"4. matching {len(clean):,} documents ({mb:.1f} MB), one core: {len(clean) / ours:,.0f} docs/s "
        f"({mb / ours:.2f} MB/s) vs plain Python set of n-grams {len(clean) / base:,.0f} docs/s: "
        f"ratio {base / ours:.2f} (the baseline does no normalization)"
    )
    beam_stage(clean, specs, n)


def beam_stage(clean: list[str], specs: dict, n: int) -> None:
    from mathcorpus.pipeline.build import run_recipe
    from mathcorpus.recipe import recipe_from_dict

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docs.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for i, d in enumerate(clean * 4):
                fh.write(json.dumps({"id": f"d{i}", "text": d}) + "\n")
        recipe = recipe_from_dict(
            {
                "name": "decontam-bench",
                "sources": [{"name": "docs", "kind": "jsonl", "path": path, "id_field": "id"}],
                "decontaminate": {"benchmarks": [s.model_dump() for s in specs.values()], "ngram": n, "mode": "report"},
                "output": os.path.join(tmp, "out"),
            }
        )
        for label, beam_args in (
            ("in-memory", []),
            ("2 processes", ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]),
        ):
            t0 = time.perf_counter()
            manifest = run_recipe(recipe, os.path.join(tmp, label.replace(" ", "-")), beam_args=beam_args)
            seconds = time.perf_counter() - t0
            docs = manifest["counts"]["input"]
            print(
                f"   whole run (read JSONL, language filter, index, match, write), {label}: {docs:,} documents "
                f"in {seconds:.1f} s = {docs / seconds:,.0f} docs/s"
            )


if __name__ == "__main__":
    main()
