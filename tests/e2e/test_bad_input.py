"""A table of bad inputs, made here, through the whole pipeline: the run completes, each bad input is
in rejected/ with the expected reason, and input == kept + dropped for every source."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile

import pyarrow.parquet as pq
import pytest
import yaml
import zstandard

from mathcorpus.pipeline.build import run_recipe
from mathcorpus.recipe import load_recipe

GOOD_PY = "import numpy as np\n\n\ndef norm(v):\n    return np.sqrt((v * v).sum())\n"
GOOD_TEX = "\\section{Groups}\nLet $G$ be a group and $H \\le G$ a subgroup of finite index.\n"


def tar_gz(members) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tar.addfile(info)
    return buf.getvalue()


# (relative path in the tree, bytes, expected reason or "kept")
TREE_CASES = [
    ("good/norm.py", GOOD_PY.encode(), "kept"),
    ("bad/latin1.md", ("Caf\xe9 notes: " + "the integral of x is x^2/2. " * 8).encode("latin-1"), "kept"),
    ("bad/mixed.md", "caf\u00e9 ".encode() + "na\xefve".encode("latin-1"), "mixed_encoding"),
    ("bad/escapes.md", b"\x1b[31mred\x1b[0m \xe9", "undecodable"),
    ("bad/nul.py", b"x = 1\x00\x00\n", "binary"),
    ("bad/image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("bad/empty.py", b"", "empty"),
    ("bad/blank.md", b"\n  \n", "empty"),
    ("bad/minified.js", ("var a=1;" * 2000).encode(), "long_lines"),
    ("bad/cut.jsonl.gz", None, "corrupt_archive"),  # bytes filled in below
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    tree = root / "tree"
    for rel, data, _ in TREE_CASES:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            (tree / rel).write_bytes(data)
    rows = b"".join(json.dumps({"text": f"row {i} {i * 7919 % 10007}"}).encode() + b"\n" for i in range(5000))
    whole_gz = gzip.compress(rows)
    (tree / "bad/cut.jsonl.gz").write_bytes(whole_gz[: len(whole_gz) // 2])
    (tree / "bad/huge_line.txt").write_bytes(b"a" * (200 << 20))  # one 200 MB line: too large, unread
    os.symlink("..", tree / "bad" / "loop")  # a symlink loop
    os.mkfifo(tree / "bad" / "fifo.py")
    (tree / "archives").mkdir()
    (tree / "archives/paper.tar.gz").write_bytes(
        tar_gz(
            [
                ("main.tex", GOOD_TEX.encode(), "file"),
                ("/etc/passwd", b"root", "file"),
                ("../../escape.tex", GOOD_TEX.encode(), "file"),
                ("link.tex", b"/etc/shadow", "sym"),
                ("twice.tex", (GOOD_TEX + "first copy\n").encode(), "file"),
                ("twice.tex", (GOOD_TEX + "second copy\n").encode(), "file"),
            ]
        )
    )
    whole = tar_gz([(f"m{i}.tex", (GOOD_TEX + f"part {i} " * 300).encode(), "file") for i in range(30)])
    (tree / "archives/truncated.tar.gz").write_bytes(whole[: len(whole) // 2])
    (tree / "archives/bomb.tar.gz").write_bytes(tar_gz([("zeros.tex", b"0" * (64 << 20), "file")]))

    good_rows = [{"id": f"r{i}", "text": f"Row {i}: the sum of the first $n$ odd numbers is $n^2$."} for i in range(4)]
    lines = [json.dumps(r).encode() for r in good_rows]
    lines += [
        b"{not json",
        json.dumps({"body": "no text"}).encode(),
        b'"a string"',
        json.dumps({"id": "r0", "text": "a second row with id r0"}).encode(),
        json.dumps({"id": "e", "text": "   "}).encode(),
        b'{"id": "u", "text": "caf\xe9"}',
        b'{"id": "s", "text": "lone \\ud800 surrogate"}',
        b'{"id": "long", "text": "' + b"z" * (70 << 20) + b'"}',
    ]
    (root / "rows.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    good = b"".join(
        json.dumps({"text": f"line {i} of a stream {i * 7919 % 10007}"}).encode() + b"\n" for i in range(30000)
    )  # many zstd blocks: the ones before the cut decode
    (root / "cut.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(good)[:-40])

    recipe = {
        "name": "bad-input",
        "sources": [
            {"name": "tree", "kind": "files", "path": "tree", "max_inflated_bytes": 16 << 20},
            {"name": "rows", "kind": "jsonl", "path": "rows.jsonl", "id_field": "id"},
            {"name": "stream", "kind": "jsonl", "path": "cut.jsonl.zst"},
        ],
        "filters": {"quality": {"min_chars": 1, "max_line_length": 1000}},
        "dedup": {"exact": True},
        "output": "out",
    }
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    manifest = run_recipe(load_recipe(root / "recipe.yaml"), str(root / "out"))
    rejected = pq.read_table(sorted((root / "out" / "rejected").glob("*.parquet"))).to_pylist()
    kept = pq.read_table(sorted((root / "out" / "documents").glob("*.parquet"))).to_pylist()
    return manifest, {r["id"]: r for r in rejected}, {d["id"]: d for d in kept}, rejected


@pytest.mark.parametrize(
    "rel, reason",
    [(rel, reason) for rel, _, reason in TREE_CASES]
    + [
        ("bad/huge_line.txt", "too_large"),
        ("bad/loop", "symlink_not_followed"),
        ("bad/fifo.py", "special_file"),
        ("archives/paper.tar.gz::main.tex", "kept"),
        ("archives/paper.tar.gz::/etc/passwd", "unsafe_member_path"),
        ("archives/paper.tar.gz::../../escape.tex", "unsafe_member_path"),
        ("archives/paper.tar.gz::link.tex", "link_member"),
        ("archives/truncated.tar.gz::", "corrupt_archive"),
        ("archives/bomb.tar.gz::", "inflate_cap_exceeded"),
        ("archives/bomb.tar.gz::zeros.tex", "too_large"),
    ],
)
def test_tree_inputs_land_where_expected(run, rel, reason):
    _, rejected, kept, _ = run
    doc_id = f"tree/{rel}" if not rel.startswith("bad/cut") else "tree/bad/cut.jsonl.gz::"
    if reason == "kept":
        assert doc_id in kept
    else:
        assert rejected[doc_id]["reason"] == reason, rejected.get(doc_id)


def test_jsonl_rows_and_streams(run):
    manifest, rejected, kept, all_rejected = run
    assert {"rows/r0", "rows/r1", "rows/r2", "rows/r3"} <= set(kept)
    by_reason = {}
    for r in all_rejected:
        if r["source"] in ("rows", "stream"):
            by_reason.setdefault(r["reason"], []).append(r["id"])
    assert sorted(by_reason) == [
        "corrupt_file",
        "duplicate_id",
        "empty",
        "invalid_unicode",
        "invalid_utf8",
        "line_too_long",
        "malformed_json",
        "missing_text_field",
    ]
    assert len(by_reason["malformed_json"]) == 2 and by_reason["duplicate_id"] == ["rows/r0"]
    assert kept["rows/r0"]["text"].startswith("Row 0")  # the first r0 keeps the id
    stream_kept = manifest["counts"]["by_source"]["stream"]["kept"]
    assert 0 < stream_kept < 30000 and by_reason["corrupt_file"]


def test_a_repeated_member_name_keeps_the_first_copy(run):
    _, rejected, kept, all_rejected = run
    first = kept["tree/archives/paper.tar.gz::twice.tex"]
    assert "first copy" in first["text"]
    [dup] = [
        r for r in all_rejected if r["reason"] == "duplicate_id" and r["id"] == "tree/archives/paper.tar.gz::twice.tex"
    ]
    assert "second copy" in dup["text"]


def test_every_input_is_accounted_for(run):
    manifest, _, kept, all_rejected = run
    counts = manifest["counts"]
    assert counts["input"] == counts["kept"] + sum(counts["dropped"].values())
    assert counts["kept"] == len(kept) and sum(counts["dropped"].values()) == len(all_rejected)
    for source, c in counts["by_source"].items():
        assert c["input"] == c["kept"] + sum(c["dropped"].values()), source
