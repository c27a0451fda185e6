"""Scaling with workers: the same recipe on 1, 2 (and more, where the machine has the cores) Beam
DirectRunner worker processes, printing wall time and the speedup over one worker. Prints figures;
asserts nothing (beyond the outputs being identical, which the tests check too).

Two inputs: the bundled demo (small: start-up dominates) and a seeded synthetic corpus of math prose
and code as a JSONL source (--docs documents, split into byte ranges so workers share one file),
through quality, exact + MinHash dedup, decontamination and tokenization.

    python bench/scale.py [--docs 20000] [--max-workers N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
import time

from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import bundled_recipe, load_recipe, recipe_from_dict

WORDS = (
    "let be the integral of over a field with prime ideal matrix sum where holds for all group ring "
    "kernel image norm bound series converges compact open closed set map basis vector"
).split()


def synthetic(root: str, docs: int) -> str:
    rng = random.Random(0)
    path = os.path.join(root, "docs.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(docs):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 600)))
            fh.write(json.dumps({"id": f"d{i:07d}", "text": f"{words} $x_{i} = {rng.random():.4f}$"}) + "\n")
    with open(os.path.join(root, "bench.jsonl"), "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": " ".join(rng.choice(WORDS) for _ in range(40))}) + "\n")
    return path


def timed(recipe, out: str, workers: int) -> tuple[float, dict]:
    args = [] if workers == 0 else ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]
    t0 = time.perf_counter()
    manifest = run_recipe(recipe, out, beam_args=args)
    return time.perf_counter() - t0, manifest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    counts = [w for w in (1, 2, 4, 8) if w <= max(2, args.max_workers)]
    with tempfile.TemporaryDirectory() as tmp:
        demo = load_recipe(bundled_recipe("demo"))
        ensure_assets(demo)
        path = synthetic(tmp, args.docs)
        big = recipe_from_dict(
            {
                "name": "scale",
                "sources": [{"name": "docs", "kind": "jsonl", "path": path, "id_field": "id", "split_bytes": 4 << 20}],
                "filters": {"quality": {"min_chars": 100}},
                "dedup": {"exact": True, "minhash": {"num_perm": 64, "threshold": 0.8}},
                "decontaminate": {"benchmarks": [os.path.join(tmp, "bench.jsonl")], "mode": "report"},
                "tokenize": {
                    "tokenizer": os.path.join(tmp, "tok.json"),
                    "seq_len": 2048,
                    "shard_tokens": 2_000_000,
                    "train_if_missing": {"inputs": [path], "vocab_size": 2000},
                },
                "output": os.path.join(tmp, "unused"),
            },
            base_dir=tmp,
        )
        ensure_assets(big)
        size = os.path.getsize(path) / 1e6
        print(f"cores: {os.cpu_count()}; synthetic corpus: {args.docs:,} documents, {size:.1f} MB")
        for name, recipe in (("demo", demo), ("synthetic", big)):
            base = None
            for workers in counts:
                seconds, manifest = timed(recipe, os.path.join(tmp, f"{name}-{workers}"), workers)
                base = base or seconds
                docs = manifest["counts"]["input"]
                print(
                    f"{name:<10} {workers} worker(s): {seconds:7.1f} s  {docs / seconds:8.0f} docs/s  "
                    f"speedup x{base / seconds:.2f}"
                )


if __name__ == "__main__":
    main()
