"""The small corpus the end-to-end tests run: a tree with math notes, code, a near copy, a binary, a
broken file and a note quoting a benchmark item; a zstd JSONL with a broken line; a benchmark file."""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

import yaml
import zstandard

MATH_MD = """# Notes on the {topic}

Let $f(x) = \\sum_{{k=0}}^{{n}} a_k x^k$ be a polynomial of degree $n$ with real coefficients. The
fundamental theorem of algebra says that $f$ has exactly $n$ complex roots counted with
multiplicity, and the non-real ones come in conjugate pairs. By the rational root theorem every
rational root $p/q$ in lowest terms has $p \\mid a_0$ and $q \\mid a_n$. The derivative
$f'(x) = \\sum_{{k=1}}^{{n}} k a_k x^{{k-1}}$ vanishes at every multiple root of $f$. {extra}
"""

BENCH_QUESTION = (
    "Tom has 12 marbles and gives a third of them to his sister and then buys 7 more "
    "at the shop on the corner of the street. How many marbles does Tom have now?"
)


VOCAB = (
    "theorem lemma proof integral derivative matrix vector eigenvalue polynomial root prime "
    "group ring field limit series sum product bound estimate inequality function space norm "
    "basis kernel image map sequence converges diverges continuous compact open closed set"
).split()


def prose(seed: int, words: int = 160) -> str:
    rng = random.Random(seed)
    return textwrap.fill(" ".join(rng.choice(VOCAB) for _ in range(words)) + ".", width=90)


def make_corpus(root: Path) -> Path:
    tree = root / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "solver.py").write_text(
        'import numpy as np\n\n\ndef solve(a, b):\n    """Solve the linear system a x = b."""\n'
        '    return np.linalg.solve(a, b)\n\n\ndef eig(a):\n    """Eigenvalues of a symmetric matrix."""\n'
        "    return np.linalg.eigvalsh(a)\n" * 3
    )
    (tree / "pkg" / "copy_of_solver.py").write_text((tree / "pkg" / "solver.py").read_text())
    (tree / "pkg" / "broken.py").write_text("def broken(:\n    return ((\n" * 20)
    (tree / "pkg" / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tree / "notes").mkdir()
    for i, topic in enumerate(["roots", "derivatives", "factoring"]):
        (tree / "notes" / f"{topic}.md").write_text(MATH_MD.format(topic=topic, extra=prose(i, 400)))
    near = (tree / "notes" / "roots.md").read_text().replace("fundamental theorem", "main theorem")
    (tree / "notes" / "roots_v2.md").write_text(near)  # a near copy: 2 words changed
    (tree / "notes" / "homework.md").write_text(prose(10) + " " + BENCH_QUESTION)
    rows = [{"id": f"r{i}", "text": prose(100 + i, 200 + 10 * i)} for i in range(5)]
    lines = "".join(json.dumps(r) + "\n" for r in rows) + "{broken json\n"
    (root / "web.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines.encode()))
    (root / "bench.jsonl").write_text(json.dumps({"id": "q1", "text": BENCH_QUESTION}) + "\n")
    recipe = {
        "name": "e2e",
        "sources": [
            {"name": "tree", "kind": "files", "path": "tree"},
            {"name": "web", "kind": "jsonl", "path": "web.jsonl.zst", "id_field": "id"},
        ],
        "filters": {"language": {"max_parse_error_ratio": 0.05}, "quality": {"min_chars": 50}},
        "dedup": {"exact": True, "minhash": {"num_perm": 64, "bands": 16, "ngram": 5}},
        "decontaminate": {"benchmarks": ["bench.jsonl"], "ngram": 13},
        "tokenize": {
            "tokenizer": "tok.json",
            "seq_len": 64,
            "shard_tokens": 512,
            "train_if_missing": {"inputs": ["tree/notes/*.md"], "vocab_size": 400},
        },
        "output": "out",
    }
    path = root / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path
