import gzip
import json
import os

import pytest
import zstandard
from conftest import read_jsonl as load_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from mathcorpus.document import Document, Rejection
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources import read_unit, read_units
from mathcorpus.sources.files import read_file
from mathcorpus.sources.jsonl import read_jsonl


def files_spec(path, **kw):
    return SourceSpec(kind="files", path=str(path), name="t", **kw)


def test_tree_reading_accounts_for_every_file(tmp_path):
    (tmp_path / "a.py").write_text("import numpy as np\n")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.tex").write_text("\\section{A}")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")  # a symlink loop must not hang the walk
    spec = files_spec(tmp_path)
    verdicts = {rel: read_file(p, rel, spec) for p, rel in read_units(spec)}
    assert set(verdicts) == {"a.py", "b.bin", "c.txt", "sub/d.tex", "sub/loop"}
    assert isinstance(verdicts["a.py"], Document) and verdicts["a.py"].kind == "code"
    assert verdicts["sub/d.tex"].kind == "paper" and verdicts["sub/d.tex"].id == "t/sub/d.tex"
    reasons = {rel: v.reason for rel, v in verdicts.items() if isinstance(v, Rejection)}
    assert reasons == {"b.bin": "binary", "sub/loop": "symlink_not_followed"}
    # Latin-1 / Windows-1252 is the documented fallback; UTF-8 only rejects it
    assert verdicts["c.txt"].text == "caf\xe9" and verdicts["c.txt"].meta["encoding"] == "cp1252"
    strict = files_spec(tmp_path, encodings=["utf-8"])
    assert read_file(str(tmp_path / "c.txt"), "c.txt", strict).reason == "invalid_utf8"


def test_encoding_fallback_mixed_and_undecodable_bytes():
    from mathcorpus.sources.files import decode_text

    assert decode_text("x = 'caf\xe9'\n".encode("latin-1")) == ("x = 'caf\xe9'\n", None, "cp1252")
    assert decode_text("h\xe9".encode("utf-16")) == ("h\xe9", None, "utf-16")
    assert decode_text("caf\u00e9 ".encode() + "na\xefve".encode("latin-1"))[1] == "mixed_encoding"
    assert decode_text(b"ok \x81\x8d\x9d")[1] == "undecodable"  # bytes Windows-1252 leaves undefined
    assert decode_text(b"esc \x1b[0m \xe9")[1] == "undecodable"  # control characters: not text
    assert decode_text(b"a\x00b")[1] == "binary"


def test_jupyter_notebooks_become_markdown_and_code_without_outputs(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Roots\n", "Solve $x^2 = 2$."]},
            {
                "cell_type": "code",
                "source": "import sympy\nsympy.solve('x**2-2')",
                "outputs": [{"data": {"image/png": "iVBORw0KGgo" * 1000}}],
            },
        ],
        "metadata": {"kernelspec": {"language": "python"}},
    }
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    (tmp_path / "bad.ipynb").write_text("{not json")
    spec = files_spec(tmp_path)
    doc = read_file(str(tmp_path / "a.ipynb"), "a.ipynb", spec)
    assert doc.text == "# Roots\nSolve $x^2 = 2$.\n\n```python\nimport sympy\nsympy.solve('x**2-2')\n```\n"
    assert doc.language == "jupyter" and doc.kind == "code" and doc.meta["cells"] == {"markdown": 1, "code": 1}
    assert read_file(str(tmp_path / "bad.ipynb"), "bad.ipynb", spec).reason == "malformed_notebook"


def test_oversized_files_are_rejected_unread(tmp_path):
    (tmp_path / "big.py").write_text("x = 1\n" * 1000)
    spec = files_spec(tmp_path, max_file_bytes=100)
    [(path, rel)] = read_units(spec)
    assert read_file(path, rel, spec).reason == "too_large"


def test_include_exclude_patterns_have_glob_semantics(tmp_path):
    for rel in ["a.py", "tests/test_a.py", "b.md", "special/f.py", "special/tests/t.py", "x/y/z/deep.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    rels = lambda **kw: [rel for _, rel in read_units(files_spec(tmp_path, **kw))]  # noqa: E731
    assert rels(include=["*.py"], exclude=["tests/*"]) == [
        "a.py",
        "special/f.py",
        "special/tests/t.py",
        "x/y/z/deep.py",
    ]  # no '/': the file name
    assert rels(include=["special/*.py"]) == ["special/f.py"]  # `*` stays inside one folder
    assert rels(include=["special/**/*.py"]) == ["special/f.py", "special/tests/t.py"]
    assert rels(include=["**/*.py"], exclude=["**/tests/**"]) == ["a.py", "special/f.py", "x/y/z/deep.py"]


def _rows():
    return [{"id": 1, "text": "alpha", "lang": "python", "repo": "r/x", "license": "MIT"}, {"id": 2, "text": "beta"}]


def test_jsonl_plain_zst_gz_read_the_same(tmp_path):
    lines = "".join(json.dumps(r) + "\n" for r in _rows()).encode()
    (tmp_path / "a.jsonl").write_bytes(lines)
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines))
    spec = SourceSpec(kind="jsonl", path=str(tmp_path / "*"), name="j", id_field="id")
    results = [list(read_jsonl(p, spec, a, b)) for p, a, b in read_units(spec)]
    assert len(results) == 3
    for docs in results:
        assert [d.id for d in docs] == ["j/1", "j/2"]
        assert docs[0].language == "python" and docs[0].repo == "r/x" and docs[0].license == "MIT"


def test_jsonl_bad_lines_and_truncated_archive_are_counted(tmp_path):
    good = "".join(json.dumps({"text": f"doc {i} {i * 7919 % 10007}"}) + "\n" for i in range(30000)).encode()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{not json\n{"body": "no text"}\n[1, 2]\n')
    spec = SourceSpec(kind="jsonl", path=str(path), name="j")
    reasons = [getattr(v, "reason", "kept") for v in read_jsonl(str(path), spec)]
    assert reasons == ["kept", "malformed_json", "missing_text_field", "malformed_json"]
    zst, gz = zstandard.ZstdCompressor().compress(good), gzip.compress(good)
    for name, data in [("cut.jsonl.zst", zst[: len(zst) // 2]), ("cut.jsonl.gz", gz[: len(gz) // 2])]:
        truncated = tmp_path / name
        truncated.write_bytes(data)
        verdicts = list(read_jsonl(str(truncated), SourceSpec(kind="jsonl", path=str(truncated), name="j")))
        assert isinstance(verdicts[-1], Rejection) and verdicts[-1].reason == "corrupt_file", name
        assert all(isinstance(v, Document) for v in verdicts[:-1]) and 1000 < len(verdicts) < 30000, name


def test_stack_style_rows_from_real_data(shared_data):
    path = shared_data / "code" / "lean4.jsonl"
    spec = SourceSpec(kind="jsonl", path=str(path), name="lean", text_field="content")
    docs = list(read_jsonl(str(path), spec))
    assert len(docs) == len(load_rows(path))
    assert all(isinstance(d, Document) and d.language == "lean4" and d.repo and d.path for d in docs)


def test_language_override_per_source(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "theorem foo : 1 = 1 := rfl", "lang": "Lean"}) + "\n")
    spec = SourceSpec(kind="jsonl", path=str(path), name="j", language="lean4")
    [doc] = read_jsonl(str(path), spec)
    assert doc.language == "lean4"


def test_jsonl_bad_bytes_long_lines_and_blank_texts_do_not_stop_the_file(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"text": "one"}\n'
        + b'{"text": "caf\xe9"}\n'
        + b'{"text": "'
        + b"x" * 5000
        + b'"}\n'
        + b'{"text": "   "}\n'
        + b'{"text": "two"}\n'
        + b'{"text": "'
        + b"y" * 3000
    )
    spec = SourceSpec(kind="jsonl", path=str(path), name="j", max_line_bytes=1000)
    verdicts = list(read_jsonl(str(path), spec))
    assert [getattr(v, "reason", "kept") for v in verdicts] == [
        "kept",
        "invalid_utf8",
        "line_too_long",
        "empty",
        "kept",
        "line_too_long",
    ]
    assert (
        verdicts[4].text == "two"
        and verdicts[4].meta["origin"].endswith("mixed.jsonl")
        and verdicts[4].meta["line"] == 5
    )
    assert len(verdicts[2].text) <= 4096


def test_files_empty_and_special_files(tmp_path):
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "blank.md").write_text("\n\n   \n")
    os.mkfifo(tmp_path / "pipe.txt")
    spec = files_spec(tmp_path)
    verdicts = {rel: read_file(p, rel, spec) for p, rel in read_units(spec)}
    assert {rel: v.reason for rel, v in verdicts.items()} == {
        "blank.md": "empty",
        "empty.py": "empty",
        "pipe.txt": "special_file",
    }


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_jsonl_reader_never_crashes_and_accounts_for_every_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.jsonl"
    path.write_bytes(data)
    verdicts = list(read_jsonl(str(path), SourceSpec(kind="jsonl", path=str(path), name="f", max_line_bytes=500)))
    lines = [line for line in data.split(b"\n") if line.strip()]
    assert len(verdicts) == len(lines)
    assert all(isinstance(v, (Document, Rejection)) for v in verdicts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=8))
def test_jsonl_reader_roundtrips_arbitrary_unicode_rows(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("fuzz") / "u.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    verdicts = list(read_jsonl(str(path), SourceSpec(kind="jsonl", path=str(path), name="u")))
    assert [v.text for v in verdicts if isinstance(v, Document)] == [t for t in texts if t.strip()]
    assert all(v.reason == "empty" for v in verdicts if isinstance(v, Rejection))


def test_lone_surrogates_from_json_escapes_are_rejected_or_replaced(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"text": "bad \\ud800 text"}\n{"text": "ok \\ud83d\\ude00", "id": "x\\udc00", "repo": "\\ud800"}\n'
    )
    spec = SourceSpec(kind="jsonl", path=str(path), name="s", id_field="id")
    bad, good = read_jsonl(str(path), spec)
    assert bad.reason == "invalid_unicode" and bad.text.encode("utf-8")
    assert good.text == "ok \U0001f600" and good.id == "s/x\ufffd" and good.repo == "\ufffd"


def test_unreadable_files_are_rejected(tmp_path, monkeypatch):
    """Permissions cannot make a file unreadable for root (CI), so the read itself fails here."""
    from mathcorpus import storage

    (tmp_path / "a.py").write_text("x = 1\n")
    spec = files_spec(tmp_path)
    [(path, rel)] = read_units(spec)

    def refuse(_path):
        raise PermissionError(13, "Permission denied", _path)

    monkeypatch.setattr(storage, "read_bytes", refuse)
    verdict = read_file(path, rel, spec)
    assert verdict.reason == "unreadable" and "Permission denied" in verdict.detail


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(
            ['{"text": "a"}', '{"text": "' + "b" * 50 + '"}', "", "{bad", '{"x": 1}', '{"text": "' + "c" * 300 + '"}']
        ),
        max_size=40,
    ),
    split=st.integers(1, 200),
    trailing_newline=st.booleans(),
)
def test_byte_ranges_read_every_line_exactly_once(tmp_path_factory, lines, split, trailing_newline):
    path = tmp_path_factory.mktemp("split") / "f.jsonl"
    data = "\n".join(lines) + ("\n" if trailing_newline and lines else "")
    path.write_text(data)
    whole = SourceSpec(kind="jsonl", path=str(path), name="s", split_bytes=0, max_line_bytes=200)
    ranged = SourceSpec(kind="jsonl", path=str(path), name="s", split_bytes=split, max_line_bytes=200)
    units = read_units(ranged)
    assert len(units) == max(1, -(-len(data.encode()) // split)) if len(data) > split else len(units) == 1
    got = [v for p, a, b in units for v in read_jsonl(p, ranged, a, b)]
    expected = list(read_jsonl(str(path), whole))
    assert [(type(v), v.text, getattr(v, "reason", None)) for v in got] == [
        (type(v), v.text, getattr(v, "reason", None)) for v in expected
    ]
    if len(units) > 1:
        assert all("@" in v.id for v in got)
        offsets = [int(v.id.rsplit("@", 1)[1]) for v in got]
        assert offsets == sorted(set(offsets))


def test_parquet_rows_by_row_group_with_stack_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mathcorpus.sources import read_unit

    rows = [
        {
            "content": f"theorem t{i} : {i} = {i} := rfl",
            "lang": "Lean",
            "repo": "r/x",
            "path": f"T{i}.lean",
            "license": "MIT",
        }
        for i in range(10)
    ] + [{"content": None, "lang": "Lean", "repo": "r", "path": "n", "license": "MIT"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "stack.parquet", row_group_size=4)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    spec = SourceSpec(kind="parquet", path=str(tmp_path / "*.parquet"), name="p", text_field="content")
    units = read_units(spec)
    assert len(units) == 1 + 3  # the broken file, and three row groups
    verdicts = [v for u in units for v in read_unit(u, spec)]
    docs = [v for v in verdicts if isinstance(v, Document)]
    assert [d.id for d in docs] == [f"p/stack.parquet:{i}" for i in range(1, 11)]
    assert docs[3].language == "Lean" and docs[3].repo == "r/x" and docs[3].path == "T3.lean"
    reasons = sorted(v.reason for v in verdicts if isinstance(v, Rejection))
    assert reasons == ["corrupt_file", "missing_text_field"]


def test_git_source_reads_committed_files_at_a_ref(tmp_path):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (repo / "solver.py").write_text("import numpy\n")
    (repo / "notes.md").write_text("# v1\n")
    (repo / "link.py").symlink_to("solver.py")
    git("add", ".")
    git("commit", "-q", "-m", "v1")
    git("tag", "v1")
    (repo / "notes.md").write_text("# v2\n")
    (repo / "untracked.py").write_text("x = 1\n")
    (repo / "latin.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    git("add", "notes.md", "latin.txt")
    git("commit", "-q", "-m", "v2")
    spec = SourceSpec(kind="git", path=str(repo), name="g", git_ref="v1", license="MIT")
    verdicts = {v.id: v for u in read_units(spec) for v in read_unit(u, spec)}
    assert set(verdicts) == {"g/solver.py", "g/notes.md", "g/link.py"}  # untracked and later files unseen
    assert verdicts["g/notes.md"].text == "# v1\n" and verdicts["g/link.py"].reason == "symlink_not_followed"
    doc = verdicts["g/solver.py"]
    assert doc.repo == "repo" and doc.license == "MIT" and len(doc.meta["commit"]) == 40 and doc.meta["ref"] == "v1"
    head = SourceSpec(kind="git", path=str(repo), name="g", exclude=["*.py"])
    verdicts = {v.id: v for u in read_units(head) for v in read_unit(u, head)}
    assert verdicts["g/notes.md"].text == "# v2\n" and verdicts["g/latin.txt"].meta["encoding"] == "cp1252"
    assert set(verdicts) == {"g/notes.md", "g/latin.txt"}
    with pytest.raises(RecipeError, match="nope"):
        read_units(SourceSpec(kind="git", path=str(repo), name="g", git_ref="nope"))
