"""Tokenizer stage and shard reader throughput, as ratios to baselines measured in the same run.

1. Stage: MB/s of text from a JSONL source to finished shards (a whole `run_recipe` of a recipe with
   only the tokenizer: scan, apply with encoding, plan, shards, manifest; start-up included), per number mode and packing, against
   bare `Tokenizer.encode_batch` over the same texts in batches of the same size (for split_digits,
   of the tokenizer with the same added Digits pre-tokenizer; xval is compared with plain encoding). Goal: >= 0.8.
   Also printed: the floor (the same recipe without the tokenizer: reading and writing the tables)
   and the ratio with that floor taken out of the stage's time.
2. Reader: tokens/s streamed row by row by `mathcorpus.shards.open` (seeded shuffle), against raw
   pyarrow reads of the same shards (whole columns, no rows).

Text: the real code, papers and web files in ../shared/data when present (cycled up to --mb),
otherwise seeded synthetic math prose and code. The tokenizer is a 32k byte-level BPE trained on that
text first (not timed). Prints figures; asserts nothing about time.

    python bench/tokenize_stage.py [--mb 40] [--seq-len 2048] [--shard-tokens 2000000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa

import mathcorpus.shards
from mathcorpus.pipeline.build import run_recipe
from mathcorpus.pipeline.tokenize.encode import Encoder, load_tokenizer
from mathcorpus.pipeline.tokenize.train import train_bpe
from mathcorpus.recipe import Recipe, SourceSpec, TokenizeSpec

SHARED = Path(os.environ.get("MATHCORPUS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def real_texts() -> list[str]:
    texts = []
    for path in sorted(SHARED.glob("code/*.jsonl")) + sorted(SHARED.glob("web/*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            text = row.get("content") or row.get("text")
            if isinstance(text, str) and text.strip():
                texts.append(text)
    for path in sorted(SHARED.glob("papers/**/*.tex")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


def synthetic_texts(n: int = 2000) -> list[str]:
    rng = random.Random(0)
    words = "let be the integral of over a field with prime ideal matrix sum where holds for all".split()
    out = []
    for i in range(n):
        prose = " ".join(rng.choice(words) for _ in range(300))
        nums = " ".join(f"$x_{{{k}}} = {rng.uniform(-1e4, 1e4):.3f}$" for k in range(30))
        code = "\n".join(f"def f{k}(x):\n    return x ** {k} + {rng.randint(0, 999)}" for k in range(20))
        out.append(f"{prose}\n{nums}\n{code}")
    return out


def corpus(target_mb: float) -> tuple[list[str], str]:
    base, label = (real_texts(), f"real data from {SHARED}") if SHARED.is_dir() else (synthetic_texts(), "synthetic")
    texts, size, i = [], 0, 0
    while size < target_mb * 1e6:
        text = base[i % len(base)]
        texts.append(text)
        size += len(text.encode("utf-8"))
        i += 1
    return texts, label


def _recipe(jsonl: str, spec: TokenizeSpec | None) -> Recipe:
    source = SourceSpec(kind="jsonl", path=jsonl, name="bench", language="natural")
    return Recipe(name="tokenize-bench", sources=[source], tokenize=spec)


def run_stage(jsonl: str, spec: TokenizeSpec, out: str) -> float:
    """Documents read from a JSONL file through a whole run whose only stage is the tokenizer."""
    t0 = time.perf_counter()
    run_recipe(_recipe(jsonl, spec), out, force=True)
    return time.perf_counter() - t0


def read_floor(jsonl: str, out: str) -> float:
    """The same run without the tokenizer: read, write the tables, the manifest (start-up included)."""
    t0 = time.perf_counter()
    run_recipe(_recipe(jsonl, None), out, force=True)
    return time.perf_counter() - t0


def bare_encode(
    tokenizer_path: str, texts: list[str], batch: int, numbers: str = "default", method: str = "encode_batch"
) -> float:
    """Bare `encode_batch`; for split_digits, of the tokenizer with the same Digits pre-tokenizer."""
    tokenizer = Encoder(
        load_tokenizer(tokenizer_path), numbers="split_digits" if numbers == "split_digits" else "default"
    ).tokenizer
    encode = getattr(tokenizer, method)
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        encode(texts[i : i + batch], add_special_tokens=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=40.0)
    parser.add_argument("--seq-len", type=int, default=2048)
    parser.add_argument("--shard-tokens", type=int, default=2_000_000)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    texts, label = corpus(args.mb)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"text: {len(texts):,} documents, {mb:.1f} MB ({label})")
    with tempfile.TemporaryDirectory() as tmp:
        tok_path = os.path.join(tmp, "tokenizer.json")
        train_bpe(iter(texts[:2000]), tok_path, vocab_size=32000)

        jsonl = os.path.join(tmp, "docs.jsonl")
        with open(jsonl, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"id": f"d{i:07d}", "text": t}) + "\n" for i, t in enumerate(texts))
        bares = {mode: bare_encode(tok_path, texts, args.batch_size, mode) for mode in ("default", "split_digits")}
        for mode, bare in bares.items():
            print(
                f"baseline: bare Tokenizer.encode_batch ({mode}), batches of {args.batch_size}: {bare:.2f} s, "
                f"{mb / bare:.2f} MB/s"
            )
        fast = bare_encode(tok_path, texts, args.batch_size, "default", method="encode_batch_fast")
        print(
            f"for reference: bare encode_batch_fast (default; what the stage calls): {fast:.2f} s, {mb / fast:.2f} MB/s"
        )
        floor = read_floor(jsonl, os.path.join(tmp, "floor"))
        print(f"floor: the same run without the tokenizer (read, tables, manifest): {floor:.2f} s")
        print(
            f"{'stage':<30}{'seconds':>9}{'MB/s':>8}{'tokens':>14}{'shards':>8}{'vs bare':>9}"
            f"{'vs bare, floor excluded':>25}"
        )
        for name, extra in [
            ("packed, default", {}),
            ("packed, split_digits", {"numbers": "split_digits"}),
            ("packed, xval", {"numbers": "xval"}),
            ("unpacked, default", {"packing": "unpacked"}),
        ]:
            spec = TokenizeSpec(
                tokenizer=tok_path,
                seq_len=args.seq_len,
                shard_tokens=args.shard_tokens,
                batch_size=args.batch_size,
                **extra,
            )
            out = os.path.join(tmp, name.replace(", ", "-"))
            seconds = run_stage(jsonl, spec, out)
            bare = bares["split_digits" if spec.numbers == "split_digits" else "default"]
            shards = sorted(Path(out, "shards").glob("*.arrow"))
            tokens = sum(
                pa.ipc.open_stream(pa.memory_map(str(s)))
                .read_all()
                .column("input_ids")
                .combine_chunks()
                .flatten()
                .__len__()
                for s in shards
            )
            print(
                f"{name:<30}{seconds:>9.2f}{mb / seconds:>8.2f}{tokens:>14,}{len(shards):>8}"
                f"{bare / seconds:>9.2f}{bare / max(seconds - floor, 1e-9):>25.2f}"
            )

        # Reader: a manifest-only run folder over the packed default shards.
        out = os.path.join(tmp, "packed-default")
        shards = sorted(Path(out, "shards").glob("*.arrow"))
        infos = []
        for s in shards:
            rows = pa.ipc.open_stream(pa.memory_map(str(s))).read_all().num_rows
            infos.append({"path": f"shards/{s.name}", "rows": rows})
        Path(out, "manifest.json").write_text(json.dumps({"shards": infos}))
        t0 = time.perf_counter()
        raw_tokens = 0
        for s in shards:
            table = mathcorpus.shards.read_table(str(s))
            raw_tokens += len(table.column("input_ids").combine_chunks().flatten().to_numpy())
        raw = time.perf_counter() - t0
        t0 = time.perf_counter()
        streamed = sum(len(row["input_ids"]) for row in mathcorpus.shards.open(out, seed=0))
        reader = time.perf_counter() - t0
        assert streamed == raw_tokens
        print(
            f"reader: {streamed / reader:,.0f} tokens/s row by row (seeded shuffle) vs raw pyarrow "
            f"{raw_tokens / raw:,.0f} tokens/s: ratio {raw / reader:.2f}"
        )


if __name__ == "__main__":
    main()
