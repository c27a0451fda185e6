"""Kill test: a run killed mid-way (SIGKILL, shards half written) is re-run without --force and ends
byte-identical to a run that was never interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

WORDS = (
    "theorem lemma proof integral derivative matrix vector eigenvalue polynomial root prime group "
    "ring field limit series bound norm kernel image"
).split()


def write_corpus(root: Path) -> None:
    rng = random.Random(0)
    with open(root / "docs.jsonl", "w", encoding="utf-8") as fh:
        for i in range(3000):
            text = " ".join(rng.choice(WORDS) for _ in range(300)) + f" {i}"
            fh.write(json.dumps({"id": f"d{i:05d}", "text": text}) + "\n")
    recipe = {
        "name": "kill",
        "sources": [{"name": "docs", "kind": "jsonl", "path": "docs.jsonl", "id_field": "id"}],
        "dedup": {"exact": True, "minhash": {"num_perm": 32, "bands": 8}},
        "tokenize": {
            "tokenizer": "tok.json",
            "seq_len": 256,
            "shard_tokens": 25_000,
            "train_if_missing": {"inputs": ["docs.jsonl"], "vocab_size": 500},
        },
        "output": "out",
    }
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def mathcorpus(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mathcorpus.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def test_killed_run_is_redone_cleanly(tmp_path):
    write_corpus(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathcorpus.cli.main", "run", "recipe.yaml"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 600
    while proc.poll() is None and time.time() < deadline:
        if (out / "shards").is_dir() and any((out / "shards").iterdir()):
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and any worker it started
            break
        time.sleep(0.005)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "manifest.json").exists()
    half = tree_bytes(out)
    assert any(k.startswith("shards/") for k in half)  # it really was half-written

    rerun = mathcorpus("run", "recipe.yaml", cwd=tmp_path)  # no --force: a half-written output is redone
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    reference = mathcorpus("run", "recipe.yaml", "-o", str(tmp_path / "reference"), cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert tree_bytes(out) == tree_bytes(tmp_path / "reference")
    assert mathcorpus("verify", "out", cwd=tmp_path).returncode == 0
