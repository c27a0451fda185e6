"""End-to-end throughput of the demo recipe: documents/s and MB/s, in-memory vs multi-processing.

Prints figures (never asserts on time). The baseline in the same run is the bare cost of reading the
same input files (the floor any pipeline pays), so the ratio says how much the stages add.

    python bench/e2e.py [--workers 2]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time

from mathcorpus import storage
from mathcorpus.pipeline.assets import ensure_assets
from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import bundled_recipe, load_recipe
from mathcorpus.sources import read_units


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    recipe = load_recipe(bundled_recipe("demo"))
    ensure_assets(recipe)  # train/cached models outside the timed part

    t0 = time.perf_counter()
    n_bytes = n_units = 0
    for spec in recipe.sources:
        for unit in read_units(spec):
            path = unit[0] if isinstance(unit, tuple) else unit
            n_bytes += len(storage.read_bytes(path))
            n_units += 1
    read_seconds = time.perf_counter() - t0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, beam_args in [
            ("in-memory", []),
            (
                f"multi_processing x{args.workers}",
                ["--direct_running_mode=multi_processing", f"--direct_num_workers={args.workers}"],
            ),
        ]:
            t0 = time.perf_counter()
            manifest = run_recipe(recipe, os.path.join(tmp, label.split()[0]), beam_args=beam_args)
            seconds = time.perf_counter() - t0
            rows.append((label, seconds, manifest))

    docs = rows[0][2]["counts"]["input"]
    mb = n_bytes / 1e6
    print(f"demo input: {docs:,} documents from {n_units:,} files, {mb:.1f} MB")
    print(f"baseline (read every input file once): {read_seconds:.2f} s")
    print(f"{'run':<24}{'seconds':>9}{'docs/s':>10}{'MB/s':>8}{'tokens/s':>11}{'x baseline':>12}")
    for label, seconds, manifest in rows:
        print(
            f"{label:<24}{seconds:>9.1f}{docs / seconds:>10.1f}{mb / seconds:>8.2f}"
            f"{manifest['tokens']['total'] / seconds:>11,.0f}{seconds / max(read_seconds, 1e-9):>12.0f}"
        )


if __name__ == "__main__":
    main()
