"""Archives read in memory: every member accounted for, nothing extracted, bombs and corruption survived."""

import gzip
import io
import tarfile
import zipfile

import pytest
import zstandard

from mathcorpus.document import Document, Rejection
from mathcorpus.recipe import SourceSpec
from mathcorpus.sources import read_unit, read_units


def tar_bytes(members, compression=""):
    """members: (name, data | None, type) with type in file, dir, sym, lnk, fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{compression}" if compression else "w") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "sym": tarfile.SYMTYPE,
                "lnk": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[kind]
            info.linkname = data.decode() if data else ""
            tar.addfile(info)
    return buf.getvalue()


def read_tree(tmp_path, **kw):
    spec = SourceSpec(kind="files", path=str(tmp_path), name="t", **kw)
    out = {}
    for unit in read_units(spec):
        for v in read_unit(unit, spec):
            assert v.id not in out or v.reason == "corrupt_archive", v.id
            out[v.id] = v
    return out


def reasons(verdicts):
    return {k: v.reason for k, v in verdicts.items() if isinstance(v, Rejection)}


GOOD = b"\\section{Groups}\nLet $G$ be a group.\n"


def test_tar_members_are_documents_and_unsafe_members_are_rejected(tmp_path):
    nested = tar_bytes([("inner.lean", b"theorem t : 1 = 1 := rfl\n", "file")], "gz")
    (tmp_path / "paper.tar.gz").write_bytes(
        tar_bytes(
            [
                ("src", None, "dir"),
                ("src/main.tex", GOOD, "file"),
                ("/etc/passwd", b"root:x:0:0", "file"),
                ("../escape.tex", GOOD, "file"),
                ("link.tex", b"/etc/passwd", "sym"),
                ("hard.tex", b"src/main.tex", "lnk"),
                ("pipe", None, "fifo"),
                ("blob.bin", b"\x00\x01\x02", "file"),
                ("latin.txt", "caf\xe9".encode("latin-1"), "file"),
                ("blank.md", b"  \n", "file"),
                ("more.tar.gz", nested, "file"),
            ],
            "gz",
        )
    )
    v = read_tree(tmp_path)
    doc = v["t/paper.tar.gz::src/main.tex"]
    assert isinstance(doc, Document) and doc.text == GOOD.decode() and doc.kind == "paper"
    assert doc.path == "paper.tar.gz::src/main.tex"
    assert v["t/paper.tar.gz::more.tar.gz::inner.lean"].text.startswith("theorem")
    assert reasons(v) == {
        "t/paper.tar.gz::/etc/passwd": "unsafe_member_path",
        "t/paper.tar.gz::../escape.tex": "unsafe_member_path",
        "t/paper.tar.gz::link.tex": "link_member",
        "t/paper.tar.gz::hard.tex": "link_member",
        "t/paper.tar.gz::pipe": "special_member",
        "t/paper.tar.gz::blob.bin": "binary",
        "t/paper.tar.gz::blank.md": "empty",
    }
    assert v["t/paper.tar.gz::latin.txt"].meta["encoding"] == "cp1252"  # the documented fallback
    assert not list(tmp_path.glob("**/main.tex"))  # nothing was extracted


@pytest.mark.parametrize("compression", ["", "gz", "bz2", "xz", "zst"])
def test_every_tar_compression_is_recognised_by_content(tmp_path, compression):
    plain = tar_bytes([("a.tex", GOOD, "file")])
    data = (
        zstandard.ZstdCompressor().compress(plain)
        if compression == "zst"
        else tar_bytes([("a.tex", GOOD, "file")], compression)
        if compression
        else plain
    )
    (tmp_path / f"x.tar{'.' + compression if compression else ''}").write_bytes(data)
    [(key, doc)] = read_tree(tmp_path).items()
    assert isinstance(doc, Document) and doc.text == GOOD.decode() and key.endswith("::a.tex")


def test_single_gzip_files_and_gzipped_tars(tmp_path):
    (tmp_path / "1234.5678.gz").write_bytes(gzip.compress(tar_bytes([("ms.tex", GOOD, "file")])))
    (tmp_path / "Notes.tex.gz").write_bytes(gzip.compress(GOOD))
    v = read_tree(tmp_path)
    assert set(v) == {"t/1234.5678.gz::ms.tex", "t/Notes.tex.gz::Notes.tex"}
    assert v["t/Notes.tex.gz::Notes.tex"].kind == "paper"


def test_truncated_and_corrupt_archives_keep_what_was_read(tmp_path):
    big = tar_bytes([(f"m{i}.tex", GOOD * 400, "file") for i in range(20)], "gz")
    (tmp_path / "cut.tar.gz").write_bytes(big[: len(big) // 2])
    (tmp_path / "garbage.tar").write_bytes(b"this is not a tar archive at all" * 40)
    (tmp_path / "garbage.zip").write_bytes(b"PK\x03\x04 broken")
    v = read_tree(tmp_path)
    kept = [k for k, x in v.items() if isinstance(x, Document)]
    assert 0 < len(kept) < 20 and all(k.startswith("t/cut.tar.gz::m") for k in kept)
    r = reasons(v)
    assert r["t/cut.tar.gz::"] == "corrupt_archive"
    assert r["t/garbage.tar::"] == "corrupt_archive" and r["t/garbage.zip::"] == "corrupt_archive"


def test_decompression_bomb_stops_at_the_cap(tmp_path):
    bomb = tar_bytes([("zeros.txt", b"0" * (20 << 20), "file"), ("after.tex", GOOD, "file")], "gz")
    assert len(bomb) < 100_000  # 20 MiB inflated from a few KB
    (tmp_path / "bomb.tar.gz").write_bytes(bomb)
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"1" * (20 << 20)))
    v = read_tree(tmp_path, max_inflated_bytes=4 << 20, max_file_bytes=1 << 20)
    r = reasons(v)
    assert r["t/bomb.tar.gz::zeros.txt"] == "too_large"  # never read into memory
    assert r["t/bomb.tar.gz::"] == "inflate_cap_exceeded"  # skipping it still inflates: capped
    assert r["t/bomb.txt.gz::bomb.txt"] == "too_large"


def test_zip_members(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok/thm.v", "Theorem t : True. Proof. exact I. Qed.\n")
        z.writestr("../evil.v", "x")
        link = zipfile.ZipInfo("link.v")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    (tmp_path / "code.zip").write_bytes(buf.getvalue())
    v = read_tree(tmp_path)
    assert isinstance(v["t/code.zip::ok/thm.v"], Document)
    assert reasons(v) == {"t/code.zip::../evil.v": "unsafe_member_path", "t/code.zip::link.v": "link_member"}


def test_empty_archive_and_archives_off(tmp_path):
    (tmp_path / "empty.tar").write_bytes(tar_bytes([]))
    assert reasons(read_tree(tmp_path)) == {"t/empty.tar": "empty"}
    (tmp_path / "empty.tar").unlink()
    (tmp_path / "a.tar.gz").write_bytes(tar_bytes([("a.tex", GOOD, "file")], "gz"))
    assert reasons(read_tree(tmp_path, archives=False)) == {"t/a.tar.gz": "binary"}
