"""Math classifier quality and scoring speed on real documents from ../shared/data.

Two domains, each with math and non-math documents:

* papers: math and physics LaTeX books/papers (cleaned by the arXiv source) vs non-math LaTeX
  manuals, CVs, and software documentation (markdown, reStructuredText), cut in ~2,000-char pieces;
* web: math StackExchange / MathOverflow threads, OpenWebMath pages, MATH and GSM8K problems with
  solutions vs Common Crawl pages and the comments and docstrings of non-math code.

Prints, for our preprocessing (``filters/classifier.preprocess``) and for bare fastText on
lower-cased text (the baseline, trained the same way in the same run):
* held-out ROC AUC (80/20 split of both domains pooled; goal >= 0.97);
* cross-domain ROC AUC (train on one domain, evaluate on the other; goal >= 0.9 both ways);
* the bootstrap (no labels: rules seed, model relabels) evaluated on the same held-out split;
* scoring throughput: documents/s through ``MathClassifier.apply_batch`` (what the pipeline runs)
  and through a Beam pipeline, as ratios to bare ``model.predict`` on a list of the same texts.

    python bench/classifier.py [--data ../shared/data] [--per-class 1500]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def chunks(text: str, size: int = 2000) -> list[str]:
    from mathcorpus.filters.classifier import chunk_text

    return [c for c in chunk_text(text, size) if len(c.strip()) > 200]


def jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_COMMENT = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'|(?:^|\s)(?:#|//|--)\s?(.*)$|/\*(.*?)\*/', re.S | re.M)


def code_comments(text: str) -> str:
    return "\n".join(next(g for g in m.groups() if g is not None).strip() for m in _COMMENT.finditer(text))


WHOLE: list[str] = []  # the documents before cutting, for the throughput on whole documents


def load_domains(data: Path, per_class: int, seed: int = 0) -> dict[str, list[tuple[str, int]]]:
    from mathcorpus.document import Document
    from mathcorpus.recipe import SourceSpec
    from mathcorpus.sources import read_unit, read_units

    rng = random.Random(seed)

    def sample(items: list[str]) -> list[str]:
        items = [t for t in items if len(t.strip()) > 200]
        rng.shuffle(items)
        return items[:per_class]

    def papers(folder: str) -> list[str]:
        spec = SourceSpec(kind="arxiv", path=str(data / "papers" / folder), name=folder)
        docs = [v for u in read_units(spec) for v in read_unit(u, spec) if isinstance(v, Document)]
        WHOLE.extend(d.text for d in docs)
        return [c for d in docs for c in chunks(d.text)]

    nonmath_docs = [
        c
        for p in sorted((data / "papers" / "nonmath").rglob("*"))
        if p.is_file() and p.suffix in (".md", ".rst", ".tex")
        for c in chunks(p.read_text("utf-8", "replace"))
    ]
    paper_math = sample(papers("math") + papers("physics"))
    paper_other = sample(nonmath_docs)

    web = data / "web"
    threads = []
    for f in sorted((web / "stackexchange_math").glob("*.jsonl")):
        for r in jsonl(f):
            parts = [r["question"].get("title", ""), r["question"].get("body_text", "")]
            parts += [a.get("body_text", "") for a in r.get("answers", [])]
            threads.append("\n\n".join(parts))
    owm = [r["text"] for f in sorted((web / "openwebmath_contaminated").glob("*.jsonl")) for r in jsonl(f)]
    problems = [r["problem"] + "\n\n" + r["solution"] for r in jsonl(data / "benchmarks" / "math" / "test.jsonl")]
    problems += [r["question"] + "\n\n" + r["answer"] for r in jsonl(data / "benchmarks" / "gsm8k" / "test.jsonl")]
    web_math = sample([c for t in threads + owm for c in chunks(t)] + problems)
    cc = [r["text"] for f in sorted((web / "commoncrawl_nonmath").rglob("*.json*")) for r in jsonl(f) if "text" in r]
    comments = [
        c
        for f in sorted((data / "code").glob("*_nonmath.jsonl"))
        for r in jsonl(f)
        for c in chunks(code_comments(r["content"]), 1500)
    ]
    web_other = sample([c for t in cc for c in chunks(t)] + comments)
    WHOLE.extend(
        threads
        + owm
        + problems
        + cc
        + [r["content"] for f in sorted((data / "code").glob("*.jsonl")) for r in jsonl(f)]
    )
    return {
        "papers": [(t, 1) for t in paper_math] + [(t, 0) for t in paper_other],
        "web": [(t, 1) for t in web_math] + [(t, 0) for t in web_other],
    }


def bare_scores(train: list[tuple[str, int]], test: list[str], tmp: str) -> list[float]:
    """The baseline: fastText on lower-cased whitespace-joined text, same hyperparameters."""
    import fasttext

    path = os.path.join(tmp, "bare.txt")
    with open(path, "w", encoding="utf-8") as fh:
        for text, label in train:
            fh.write(f"__label__{'math' if label else 'other'} {' '.join(text.lower().split())}\n")
    from mathcorpus.filters.classifier import _train_isolated

    model_path = os.path.join(tmp, "bare.bin")
    # in a fresh process, as train_classifier does (fastText diverges to NaN in long-lived processes)
    error = _train_isolated(
        path,
        dict(epoch=25, lr=0.5, wordNgrams=2, dim=32, bucket=200_000, thread=1, seed=0, verbose=0, minCount=1),
        model_path,
    )
    if error:
        raise RuntimeError(f"bare fastText training failed: {error}")
    model = fasttext.load_model(model_path)
    labels, probs = model.predict([" ".join(t.lower().split()) for t in test], k=2)
    return [float(dict(zip(ls, ps)).get("__label__math", 0.0)) for ls, ps in zip(labels, probs)]


def ours(train: list[tuple[str, int]], test: list[str], tmp: str, name: str) -> tuple[list[float], str]:
    from mathcorpus.filters.classifier import load_model, math_probabilities, train_classifier

    path = os.path.join(tmp, f"{name}.bin")
    train_classifier(train, path)
    return math_probabilities(load_model(path), test), path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--per-class", type=int, default=1500)
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "papers").is_dir():
        print(f"real data not found at {data}: nothing to measure")
        return 0
    from mathcorpus.filters.classifier import evaluate, load_model, math_probabilities, train_bootstrap

    domains = load_domains(data, args.per_class)
    for name, rows in domains.items():
        print(f"{name}: {sum(label for _, label in rows)} math, {sum(1 - label for _, label in rows)} other")
    rng = random.Random(1)
    pooled = domains["papers"] + domains["web"]
    rng.shuffle(pooled)
    cut = int(0.8 * len(pooled))
    train, test = pooled[:cut], pooled[cut:]
    y_test = [label for _, label in test]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        scores, model_path = ours(train, [t for t, _ in test], tmp, "heldout")
        results["held-out"] = (
            evaluate(y_test, scores),
            evaluate(y_test, bare_scores(train, [t for t, _ in test], tmp)),
        )
        adapted = {}
        for a, b in (("papers", "web"), ("web", "papers")):
            # the target domain in two halves: unlabeled text to adapt on, and the evaluation half
            target = list(domains[b])
            random.Random(2).shuffle(target)
            unlabeled, te = [t for t, _ in target[: len(target) // 2]], target[len(target) // 2 :]
            tr = domains[a]
            y = [label for _, label in te]
            s, _ = ours(tr, [t for t, _ in te], tmp, f"{a}2{b}")
            results[f"{a} -> {b}"] = (evaluate(y, s), evaluate(y, bare_scores(tr, [t for t, _ in te], tmp)))
            path = os.path.join(tmp, f"{a}2{b}-adapted.bin")
            train_bootstrap(unlabeled, path, rounds=2, labeled=tr)
            adapted[f"{a} -> {b}"] = evaluate(y, math_probabilities(load_model(path), [t for t, _ in te]))
        boot_path = os.path.join(tmp, "boot.bin")
        history = train_bootstrap([t for t, _ in train], boot_path, rounds=2)
        boot = evaluate(y_test, math_probabilities(load_model(boot_path), [t for t, _ in test]))

        print(f"\n{'split':<18}{'AUC ours':>10}{'AUC bare':>10}{'P':>8}{'R':>8}{'F1':>8}")
        for split, (mine, bare) in results.items():
            print(
                f"{split:<18}{mine['auc']:>10.4f}{bare['auc']:>10.4f}{mine['precision']:>8.3f}"
                f"{mine['recall']:>8.3f}{mine['f1']:>8.3f}"
            )
        print(
            f"{'bootstrap (held-out)':<18}{boot['auc']:>8.4f}{'':>10}{boot['precision']:>8.3f}"
            f"{boot['recall']:>8.3f}{boot['f1']:>8.3f}   rounds: "
            + ", ".join(f"{h['math']}+/{h['other']}-/{h['unlabeled']}?" for h in history)
        )
        for split, ev in adapted.items():
            print(
                f"{split + ' adapted':<18}{ev['auc']:>10.4f}{'':>10}{ev['precision']:>8.3f}{ev['recall']:>8.3f}"
                f"{ev['f1']:>8.3f}   (labeled source + bootstrap on unlabeled target text)"
            )
        print("\nscoring the ~2,000-character pieces above (every text shorter than the classified head):")
        throughput(model_path, [t for t, _ in pooled])
        print(
            f"\nscoring whole documents ({len(WHOLE):,}: books, papers, threads, problems, pages, code files;"
            f" only the head of each is classified, bare fastText reads all of it):"
        )
        throughput(model_path, WHOLE, repeat=1)
    return 0


def throughput(model_path: str, texts: list[str], repeat: int = 8) -> None:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from mathcorpus.batches import BATCH_DOCS
    from mathcorpus.document import Document
    from mathcorpus.filters.classifier import MathClassifier, load_model
    from mathcorpus.pipeline.build import build_pipeline
    from mathcorpus.recipe import ClassifierSpec, FiltersSpec, Recipe, SourceSpec
    from mathcorpus.workers import tune_collector

    # the thresholds a pipeline worker runs with (mathcorpus.workers), for every measure below alike
    tune_collector()
    texts = texts * repeat
    docs = [Document(id=f"d{i}", text=t, source="bench") for i, t in enumerate(texts)]
    model = load_model(model_path)
    clf = MathClassifier(ClassifierSpec(model=model_path, threshold=0.0))
    clf.setup()

    def best_rate(work, trials: int = 3) -> float:
        """Documents per second of the fastest of a few trials (as timeit does): the machine's
        other work only ever slows a trial down."""
        seconds = []
        for _ in range(trials):
            start = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - start)
        return len(texts) / min(seconds)

    bare = best_rate(lambda: model.predict([" ".join(t.split()) for t in texts], k=2))
    stage = best_rate(lambda: [clf.apply_batch(docs[i : i + BATCH_DOCS]) for i in range(0, len(docs), BATCH_DOCS)])
    # In a pipeline: a whole run over a JSONL source with the classifier as its only filter, minus the
    # same run without it (reading, the language stage's detection, tables, Beam start-up).
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = os.path.join(tmp, "pieces.jsonl")
        with open(jsonl, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"text": t}) + "\n" for t in texts)
        source = SourceSpec(kind="jsonl", path=jsonl, name="bench")

        def run(with_stage: bool) -> tuple[float, float]:
            filters = FiltersSpec(
                math_classifier=ClassifierSpec(model=model_path, threshold=0.0) if with_stage else None
            )
            recipe = Recipe(name="classifier-bench", sources=[source], filters=filters)
            start = time.perf_counter()
            p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
            build_pipeline(p, recipe, os.path.join(tmp, f"out-{with_stage}-{start}"))
            result = p.run()
            result.wait_until_finish()
            busy = result.metrics().query(beam.metrics.MetricsFilter().with_name("classifier_busy_us"))["counters"]
            return time.perf_counter() - start, sum(c.committed or c.attempted or 0 for c in busy) / 1e6

        # best of 5 each, runs with and without the stage taking turns (a pipeline run here varies by
        # ~0.25 s, and the stage's start - loading the model, Beam's setup - costs ~0.1 s a run)
        runs = [(run(False)[0], run(True)) for _ in range(5)]
        floor = min(without for without, _ in runs)
        (whole, busy_seconds) = min(with_stage for _, with_stage in runs)
    in_pipeline = len(texts) / max(1e-9, whole - floor)
    inside = len(texts) / max(1e-9, busy_seconds)
    print(
        f"scoring {len(texts):,} documents: bare model.predict {bare:,.0f} docs/s; "
        f"MathClassifier.apply_batch {stage:,.0f} docs/s = {stage / bare:.2f} x bare (goal >= 0.7)\n"
        f"  in a whole run reading them from JSONL: the stage adds {whole - floor:.2f} s to "
        f"{floor:.2f} s = {in_pipeline:,.0f} docs/s = {in_pipeline / bare:.2f} x bare; time inside the "
        f"filter (Beam metric classifier_busy_us): {inside:,.0f} docs/s = {inside / bare:.2f} x bare"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
