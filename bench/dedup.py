"""Near-duplicate removal against ground truth and against datasketch: prints figures, asserts nothing.

A seeded synthetic corpus (math prose with LaTeX, and code) with known clusters: exact copies and
near copies with 1-6% of their words changed; the true 5-gram Jaccard of every near copy to its
source is computed exactly. Reported, for each method:
- precision (removed documents that really are copies of their survivor's cluster), exact recall,
  and recall on near copies whose true Jaccard is >= 0.8;
- documents/s and MB/s, and peak RSS, each method in a fresh process (the datasketch loop holds the
  corpus, as it must; datatrove and a multi-process run: the largest of their processes), with the
  ratio of the whole `mathcorpus run`'s to each peer's.
Methods: (a) mathcorpus's dedup stage as pure functions (NumPy signatures per batch, band hashes,
bucket edges, components), (b) `mathcorpus run` of a dedup-only recipe on the JSONL (Beam
DirectRunner: reading, the language filter, both dedup steps, writing the tables), (c) the
datasketch loop (MinHash per document + MinHashLSH insert/query) at the same threshold, (d)
datatrove's 4-stage MinHash dedup on 2 processes, when installed (``pip install 'mathcorpus[bench]'``).

    python bench/dedup.py [--docs 20000] [--num-perm 128] [--fn-weight 0.95] [--skip-datasketch]
        [--skip-datatrove] [--workers-run [--docs-per-worker 10000]] [--verify-exact]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import tempfile
import time

import numpy as np
from peers import measured  # noqa: E402 (bench/ is on sys.path when run as a script)

from mathcorpus.document import Document
from mathcorpus.pipeline.dedup.minhash import (
    batch_shingle_hashes,
    candidate_probability,
    choose_bands,
    connected_components,
    flat_signatures,
    permutations,
    shingle_hashes,
)
from mathcorpus.pipeline.dedup.near import band_parts, bucket_edges, nodes

MATH = (
    "let be the integral of over a field with prime ideal matrix sum where holds for all group ring "
    "kernel image norm bound series converges compact open closed set map basis vector theorem lemma "
    "proof suppose then hence therefore eigenvalue polynomial root degree finite infinite"
).split()
LATEX = ["$x^2$", "$\\sum_{k=1}^n k$", "$\\int_0^1 f$", "$a_n \\to 0$", "$G/H$", "$\\mathbb{R}^n$"]
CODE = [
    "def",
    "return",
    "import",
    "numpy",
    "as",
    "np",
    "for",
    "in",
    "range",
    "if",
    "else",
    "x",
    "y",
    "np.linalg.solve",
    "=",
    "+",
    "*",
    "(",
    ")",
    ":",
    "self",
    "class",
    "while",
]


def make_text(rng: random.Random) -> str:
    if rng.random() < 0.7:
        words = [rng.choice(MATH) if rng.random() > 0.1 else rng.choice(LATEX) for _ in range(rng.randint(80, 600))]
    else:
        words = [rng.choice(CODE) for _ in range(rng.randint(80, 600))] + [str(rng.randint(0, 99999))]
    return " ".join(words) + f" {rng.random():.12f}"


def corpus(n: int, seed: int = 0):
    """Documents and ground truth: cluster label per document, the true Jaccard and kind of each
    copy, and the position of each copy's source."""
    rng = random.Random(seed)
    docs, cluster, jaccard, kind = [], [], {}, {}
    while len(docs) < n:
        source = len(docs)
        docs.append(make_text(rng))
        cluster.append(source)
        r = rng.random()
        if r < 0.1 and len(docs) < n:  # an exact copy
            docs.append(docs[source])
            cluster.append(source)
            kind[len(docs) - 1] = "exact"
        elif r < 0.25 and len(docs) < n:  # a near copy
            words = docs[source].split()
            for i in rng.sample(range(len(words)), max(1, int(len(words) * rng.choice([0.01, 0.02, 0.03, 0.06])))):
                words[i] = rng.choice(MATH)
            docs.append(" ".join(words))
            cluster.append(source)
            a, b = set(shingle_hashes(docs[source], 5).tolist()), set(shingle_hashes(docs[-1], 5).tolist())
            jaccard[len(docs) - 1] = len(a & b) / len(a | b)
            kind[len(docs) - 1] = "near"
    order = list(range(n))
    rng.shuffle(order)  # copies are not next to their sources
    position = {old: new for new, old in enumerate(order)}
    source = {position[k]: position[cluster[k]] for k in kind}
    return (
        [docs[i] for i in order],
        [cluster[i] for i in order],
        {position[k]: v for k, v in jaccard.items()},
        {position[k]: v for k, v in kind.items()},
        source,
    )


def evaluate(removed: dict[int, int], cluster: list[int], jaccard: dict, kind: dict, source: dict) -> dict:
    """`removed`: document index -> index of the document it duplicates."""
    correct = sum(1 for d, s in removed.items() if s >= 0 and s != d and cluster[d] == cluster[s])
    exact = [d for d, k in kind.items() if k == "exact"]
    near = [d for d, k in kind.items() if k == "near" and jaccard[d] >= 0.8]

    def caught(d):  # the copy or its source was removed: the pair no longer both stays
        return d in removed or source[d] in removed

    return {
        "precision": correct / max(1, len(removed)),
        "exact_recall": sum(map(caught, exact)) / max(1, len(exact)),
        "near_recall": sum(map(caught, near)) / max(1, len(near)),
        "removed": len(removed),
        "near_pairs": len(near),
    }


def ours(texts: list[str], num_perm: int, bands: int, rows: int, batch: int = 512) -> dict[int, int]:
    perms = permutations(num_perm)
    ids = [f"d{i:07d}" for i in range(len(texts))]
    docs = [Document(id=i, text=t, source="b") for i, t in zip(ids, texts)]
    from mathcorpus.pipeline.dedup.exact import exact_key

    survivors_exact, removed = {}, {}
    for k, d in enumerate(docs):  # exact first, as the stage does
        key = exact_key(d.text)
        if key in survivors_exact:
            removed[k] = survivors_exact[key]
        else:
            survivors_exact[key] = k
    keep = np.array([k for k in range(len(docs)) if k not in removed], dtype=np.uint64)
    groups: dict[int, list] = {}
    for start in range(0, len(keep), batch):
        nums = keep[start : start + batch]
        sigs = flat_signatures(*batch_shingle_hashes([docs[k].text for k in nums.tolist()], 5), perms)
        for r, part in band_parts(sigs, nums, None, bands, rows, 16):
            groups.setdefault(r, []).append(part)
    comp = connected_components(e for parts in groups.values() for e in nodes(bucket_edges(parts), False))
    for node, root in comp.items():
        if node != root:
            removed[node] = root
    return removed


def in_child(fn_name: str, *args):
    """(result, peak RSS in MB of the largest process of the run) of ``peers.fn_name(*args)``, run by
    a fresh interpreter that imports only the peer (bench/peers.py), not Beam or mathcorpus."""
    import pickle
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        args_path, result_path = os.path.join(tmp, "args.pickle"), os.path.join(tmp, "result.pickle")
        with open(args_path, "wb") as fh:
            pickle.dump(args, fh)
        subprocess.run(
            [
                sys.executable,
                os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers.py"),
                fn_name,
                args_path,
                result_path,
            ],
            check=True,
        )
        with open(result_path, "rb") as fh:
            return pickle.load(fh)


def _run_in_child(recipe: dict, out: str, beam_args: list[str]) -> tuple[float, float, float]:
    """`mathcorpus run` in a fresh process: (seconds, its peak RSS, the largest peak RSS of its own
    child processes, i.e. of the Beam workers in multi_processing mode), in MB, as
    `peers.measured` takes them (VmHWM; the workers sampled from /proc)."""
    from mathcorpus.pipeline.build import run_recipe
    from mathcorpus.recipe import recipe_from_dict

    logging.getLogger().setLevel(logging.ERROR)

    def run() -> float:
        t0 = time.perf_counter()
        run_recipe(recipe_from_dict(recipe), out, beam_args=beam_args)
        return time.perf_counter() - t0

    return measured(run, children=bool(beam_args))


WHOLE_RUN_MEMORY: list[str] = []


def whole_run(
    texts: list[str],
    tmp: str,
    num_perm: int,
    fn_weight: float,
    beam_args: tuple[str, ...] = (),
    minhash_extra: dict | None = None,
    split_bytes: int | None = None,
) -> tuple[float, dict[int, int], float]:
    import multiprocessing

    import pyarrow.parquet as pq

    path = os.path.join(tmp, "docs.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"d{i:07d}", "text": t}) + "\n")
    recipe = {
        "name": "dedup-bench",
        "sources": [
            {
                "name": "b",
                "kind": "jsonl",
                "path": path,
                "id_field": "id",
                **({"split_bytes": split_bytes} if split_bytes else {}),
            }
        ],
        # in-process: signatures on both cores (minhash.threads); worker processes: one thread each
        "dedup": {
            "exact": True,
            "minhash": {
                "num_perm": num_perm,
                "ngram": 5,
                "false_negative_weight": fn_weight,
                "threads": 1 if beam_args else min(2, os.cpu_count() or 1),
                **(minhash_extra or {}),
            },
        },
        "output": os.path.join(tmp, "out"),
    }
    # in a child process, so that its peak memory is the pipeline's, not this bench's corpus
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        seconds, own_mb, workers_mb = pool.apply(_run_in_child, (recipe, os.path.join(tmp, "out"), list(beam_args)))
    workers = [a.split("=")[1] for a in beam_args if a.startswith("--direct_num_workers=")]
    mode = f"{workers[0]} worker processes" if workers else "in-process FnApiRunner"
    WHOLE_RUN_MEMORY.append(
        f"{len(texts):,} documents, {mode}: peak RSS {own_mb:,.0f} MB"
        + (f" (launcher), {workers_mb:,.0f} MB (largest worker)" if beam_args else "")
    )
    rows = pq.read_table(
        [str(p) for p in sorted((__import__("pathlib").Path(tmp) / "out" / "rejected").glob("*.parquet"))],
        columns=["id", "duplicate_of"],
    ).to_pylist()
    return (
        seconds,
        {int(r["id"].split("/d")[1]): int(r["duplicate_of"].split("/d")[1]) for r in rows if r["duplicate_of"]},
        own_mb if not beam_args else workers_mb,
    )


def datatrove_minhash(
    texts: list[str], tmp: str, cluster: list[int], workers: int = 2
) -> tuple[float, dict[int, int], float]:
    """datatrove's 4-stage MinHash dedup (its defaults: 14 buckets x 8 hashes, 5-grams of its word
    tokenizer, 64-bit hashes) with a local executor on `workers` processes, reading the same JSONL.
    It does not say which copy a removed document duplicates: the survivor is taken to be a kept
    member of the removed document's true cluster (none: counted as a false removal). Its input files
    are written here; the pipeline runs in a fresh process (peak memory: the largest of its processes)."""
    data = os.path.join(tmp, "in")
    os.makedirs(data)
    tasks = max(2, workers)
    chunk = -(-len(texts) // tasks)
    for t in range(tasks):
        with open(os.path.join(data, f"part{t}.jsonl"), "w") as fh:
            for i in range(t * chunk, min(len(texts), (t + 1) * chunk)):
                fh.write(json.dumps({"id": f"d{i:07d}", "text": texts[i]}) + "\n")
    (seconds, removed_ids), peak_mb = in_child("datatrove_pipeline", tmp, tasks, workers)
    members: dict[int, list[int]] = {}
    for i, c in enumerate(cluster):
        members.setdefault(c, []).append(i)
    removed = {}
    for d in removed_ids:
        kept = [m for m in members[cluster[d]] if m not in removed_ids]
        removed[d] = kept[0] if kept else -1
    return seconds, removed, peak_mb


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, nargs="+", default=[20000])
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--fn-weight", type=float, default=0.95)
    parser.add_argument("--skip-datasketch", action="store_true")
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument(
        "--workers-run",
        action="store_true",
        help="also run the whole recipe with Beam worker processes (one per --docs-per-worker "
        "documents, at least 2) and report the largest worker's peak memory",
    )
    parser.add_argument("--docs-per-worker", type=int, default=10_000)
    parser.add_argument(
        "--verify-exact",
        action="store_true",
        help="also run the whole recipe with minhash.verify_exact (true Jaccard of the shingle sets)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    bands, rows = choose_bands(0.8, args.num_perm, args.fn_weight)
    print(
        f"bands x rows = {bands} x {rows}: P(candidate) at J=0.6/0.7/0.8/0.9 = "
        + "/".join(f"{candidate_probability(s, bands, rows):.3f}" for s in (0.6, 0.7, 0.8, 0.9))
    )
    for n in args.docs:
        texts, cluster, jaccard, kind, source = corpus(n)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(
            f"\n{n:,} documents, {mb:.1f} MB: {sum(1 for k in kind.values() if k == 'exact'):,} exact copies, "
            f"{sum(1 for k in kind.values() if k == 'near'):,} near copies "
            f"({sum(1 for d in jaccard if jaccard[d] >= 0.8):,} with Jaccard >= 0.8)"
        )
        rows_out = []
        t0 = time.perf_counter()
        removed = ours(texts, args.num_perm, bands, rows)
        rows_out.append(("mathcorpus dedup (functions)", time.perf_counter() - t0, removed, None))
        with tempfile.TemporaryDirectory() as tmp:
            seconds, removed, peak = whole_run(texts, tmp, args.num_perm, args.fn_weight)
            rows_out.append(("mathcorpus run (Beam, whole)", seconds, removed, peak))
        if args.verify_exact:
            with tempfile.TemporaryDirectory() as tmp:
                seconds, removed, peak = whole_run(
                    texts, tmp, args.num_perm, args.fn_weight, minhash_extra={"verify_exact": True}
                )
                rows_out.append(("mathcorpus run (exact Jaccard)", seconds, removed, peak))
        if args.workers_run:
            with tempfile.TemporaryDirectory() as tmp:
                # Workers in proportion to documents, as a cluster grows with its corpus (the time is
                # not comparable on 2 cores); the input is read in byte ranges of a worker's share.
                workers = max(2, -(-n // args.docs_per_worker))
                share = int(mb * 1e6 / workers) + 1
                seconds, removed, peak = whole_run(
                    texts,
                    tmp,
                    args.num_perm,
                    args.fn_weight,
                    ("--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"),
                    split_bytes=share,
                )
                rows_out.append((f"mathcorpus run ({workers} workers)", seconds, removed, peak))
        if not args.skip_datatrove:
            try:
                import datatrove  # noqa: F401
            except ImportError:
                print("datatrove is not installed (pip install 'mathcorpus[bench]'): its row is skipped")
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    seconds, removed, peak = datatrove_minhash(texts, tmp, cluster)
                rows_out.append(("datatrove MinHash (14x8, 2 procs)", seconds, removed, peak))
        if not args.skip_datasketch:
            (seconds, removed), peak = in_child("timed_datasketch_loop", texts, args.num_perm, 0.8)
            rows_out.append(("datasketch loop (b=9, r=13)", seconds, removed, peak))
        base = rows_out[-1][1]
        base_name = rows_out[-1][0].split(" (")[0]
        print(
            f"{'method':<34}{'seconds':>9}{'docs/s':>9}{'MB/s':>7}{'precision':>11}{'exact rec':>11}"
            f"{'near rec':>10}{'x ' + base_name:>20}{'peak MB':>9}"
        )
        for name, seconds, removed, peak in rows_out:
            m = evaluate(removed, cluster, jaccard, kind, source)
            print(
                f"{name:<34}{seconds:>9.1f}{n / seconds:>9.0f}{mb / seconds:>7.2f}{m['precision']:>11.4f}"
                f"{m['exact_recall']:>11.4f}{m['near_recall']:>10.4f}{base / seconds:>20.1f}"
                f"{(f'{peak:,.0f}' if peak else '-'):>9}"
            )
        ours_peak = next((peak for name, _, _, peak in rows_out if name == "mathcorpus run (Beam, whole)"), None)
        for name, _, _, peak in rows_out:
            if ours_peak and peak and not name.startswith("mathcorpus"):
                print(f"peak RSS of the whole mathcorpus run / {name}: {ours_peak / peak:.2f}")
        print(f"peak RSS of this bench process so far (it holds the corpus): {rss_mb():.0f} MB")
        for line in WHOLE_RUN_MEMORY:
            print(f"  mathcorpus run, {line}")
        WHOLE_RUN_MEMORY.clear()


if __name__ == "__main__":
    main()
