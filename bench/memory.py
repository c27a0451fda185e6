"""Peak memory of whole `mathcorpus run`s as the corpus grows: the resident memory of the process tree
(launcher and any worker processes), sampled from /proc every 50 ms, and the wall time.

Synthetic prose (~3.4 KB per document: math, and 10% not; 5% exact and 10% near copies) as one JSONL source read in
byte ranges; two recipes: dedup only (exact + MinHash) and all stages (language, quality, classifier,
dedup, decontamination, tokenizer). Figures print as ratios to the first size and, with --baseline
(a folder holding another build of the package as `mathcorpus/`, run in the same sitting), to it.

    python bench/memory.py --docs 20000 200000 [--recipes dedup all] [--workers 0 2] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

import yaml
from peers import _descendants_rss_mb  # bench/ is on sys.path when run as a script

from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.recipe import load_recipe

OTHER_WORDS = (
    "the team met on monday to plan the trip and the budget for travel hotels meals and tickets "
    "weather was mild and the garden needed water before the guests arrived for dinner"
).split()
WORDS = (
    "let be the integral of over a field with prime ideal matrix sum where holds for all group ring "
    "kernel image norm bound series converges compact open closed set map basis vector theorem lemma "
    "proof suppose then hence therefore derivative limit polynomial root eigenvalue"
).split()


def write_corpus(path: str, docs: int) -> None:
    rng = random.Random(0)
    kept: list[str] = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(docs):
            roll = rng.random()
            if kept and roll < 0.05:
                text = rng.choice(kept)
            elif kept and roll < 0.15:
                words = rng.choice(kept).split()
                words[rng.randrange(len(words))] = "changed"
                text = " ".join(words)
            elif roll > 0.9:  # non-math prose, for the classifier to tell apart
                text = " ".join(rng.choice(OTHER_WORDS) for _ in range(rng.randint(300, 700)))
            else:
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 700)))
                text += f" $x_{{{i}}} = {rng.random():.4f}$"
                if len(kept) < 5000:
                    kept.append(text)
                else:
                    kept[rng.randrange(5000)] = text
            fh.write(json.dumps({"id": f"d{i:08d}", "text": text}) + "\n")


def recipe(kind: str, corpus: str, tmp: str) -> dict:
    out = {
        "name": f"memory-{kind}",
        "sources": [{"name": "docs", "kind": "jsonl", "path": corpus, "id_field": "id", "doc_kind": "text"}],
        "dedup": {"exact": True, "minhash": {"num_perm": 128}},
    }
    if kind == "all":
        out["filters"] = {
            "language": {},
            # stated: each synthetic document is one long line, which code's line limit would drop
            "quality": {"min_chars": 100, "max_line_length": 1_000_000},
            "math_classifier": {
                "model": os.path.join(tmp, "clf.bin"),
                "threshold": 0.1,
                "train_if_missing": {"unlabeled": [corpus + ".head"]},
            },
        }
        out["decontaminate"] = {"benchmarks": [os.path.join(tmp, "bench.jsonl")]}
        out["tokenize"] = {
            "tokenizer": os.path.join(tmp, "tok.json"),
            "train_if_missing": {"inputs": [corpus + ".head"], "vocab_size": 4000},
        }
    return out


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    try:
        with open(f"/proc/{root}/statm") as fh:
            own = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        own = 0.0
    return own + sum(_descendants_rss_mb(root).values())


def measured_run(recipe_path: str, out: str, workers: int, pythonpath: str | None) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) of one `mathcorpus run`."""
    env = dict(os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {}))
    args = [sys.executable, "-m", "mathcorpus.cli.main", "run", recipe_path, "-o", out, "--force"]
    if workers:
        args += ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"run failed: {err[-2000:]}")
    return time.perf_counter() - t0, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--recipes", nargs="+", default=["dedup", "all"], choices=["dedup", "all"])
    parser.add_argument("--workers", type=int, nargs="+", default=[0])
    parser.add_argument("--baseline", help="folder holding another build as mathcorpus/ (same sitting)")
    parser.add_argument("--tmp", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        with open(os.path.join(tmp, "bench.jsonl"), "w") as fh:
            fh.write(
                json.dumps(
                    {
                        "text": "Let the integral of the polynomial over the field be bounded by "
                        "the norm of the kernel for all prime ideals of the ring"
                    }
                )
                + "\n"
            )
        first: dict = {}
        for docs in args.docs:
            corpus = os.path.join(tmp, f"docs-{docs}.jsonl")
            write_corpus(corpus, docs)
            with open(corpus) as src, open(corpus + ".head", "w") as head:
                for _, line in zip(range(2000), src):
                    head.write(json.loads(line)["text"] + "\n")
            mb = os.path.getsize(corpus) / 1e6
            for kind in args.recipes:
                path = os.path.join(tmp, f"{kind}-{docs}.yaml")
                with open(path, "w") as fh:
                    yaml.safe_dump(recipe(kind, corpus, tmp), fh)
                # the models a recipe trains when missing are trained here, untimed, not by the first run
                ensure_assets(load_recipe(path))
                for workers in args.workers:
                    builds = [("this", None)] + ([("baseline", args.baseline)] if args.baseline else [])
                    results = {}
                    for name, pythonpath in builds:
                        results[name] = measured_run(path, os.path.join(tmp, f"out-{name}"), workers, pythonpath)
                    seconds, peak = results["this"]
                    key = (kind, workers)
                    first.setdefault(key, peak)
                    line = (
                        f"{kind:<5} {docs:>9,} docs {mb:8.0f} MB  workers {workers}: {seconds:7.1f} s  "
                        f"peak {peak:7.0f} MB ({peak / mb:.2f}x input, {peak / first[key]:.2f}x the first size)"
                    )
                    if "baseline" in results:
                        b_seconds, b_peak = results["baseline"]
                        line += (
                            f"  | baseline {b_seconds:.1f} s, {b_peak:.0f} MB: time {seconds / b_seconds:.2f}x, "
                            f"memory {peak / b_peak:.2f}x"
                        )
                    print(line, flush=True)
            os.remove(corpus)


if __name__ == "__main__":
    main()
