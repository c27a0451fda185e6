"""arXiv LaTeX source (and any LaTeX paper) as one Document per paper, read in memory.

The shapes arXiv ships, all read without extracting anything to disk:

* the bulk ``arXiv_src_*.tar`` of per-paper ``.gz`` files: each member is one paper; a member that is
  a gzip'd tar holds a multi-file paper, a gzip'd plain file (named without extension) is a one-file
  paper; a member that is not an archive (``.pdf``: a paper without source) is a ``no_tex_source``
  rejection;
* one paper as ``.tar.gz`` / ``.tgz`` / ``.tar`` / ``.zip``, or a single gzip'd ``.tex``;
* a folder: each immediate subfolder is one paper, each archive in it is one paper (or many, for a
  bulk tar), and the ``.tex`` files directly in the folder are one paper together;
* a single ``.tex`` file (the source's path, or a glob of them).

The files of a paper (``.tex``, ``.ltx`` and the paper's own ``.sty``; a file without extension
whose head has ``\\documentclass`` or ``\\begin{document}``) are decoded as UTF-8, else Latin-1 (the
usual encoding of older arXiv sources; ``meta["encoding"]`` says so), then cleaned by
``sources/latex.py``. Figures and other files are counted in ``meta["other_files"]``. A paper gives
one Document (id ``<source>/<paper>``; a supplement with its own ``\\documentclass`` and no shared
file is a second one, ``<paper>#<file>``) or a rejection: ``no_tex_source`` (no LaTeX in it),
``empty_after_cleaning``; archive problems are rejected as in ``sources/archives.py``.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Iterator

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources.archives import ArchiveReader, is_archive
from mathcorpus.sources.latex import TEX_SUFFIXES, clean_paper

_ARCHIVE_SUFFIX = re.compile(r"(\.tar\.(gz|bz2|xz|zst|zstd)|\.tgz|\.tbz2|\.txz|\.tar|\.zip|\.gz)$", re.I)
_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]+\d{7})(v\d+)?$", re.I)
_LATEX_HEAD = re.compile(rb"\\document(class|style)|\\begin\s*\{document\}")


def paper_name(key: str) -> str:
    """'2301/2301.00001v2.tar.gz' -> '2301.00001v2'."""
    return _ARCHIVE_SUFFIX.sub("", posixpath.basename(key.rstrip("/")))


def arxiv_id(key: str) -> str | None:
    m = _ARXIV_ID.search(paper_name(key))
    return m.group(0) if m else None


def arxiv_month(ident: str) -> str | None:
    """The month an arXiv id was issued: '2301.00001' -> '2023-01-01T00:00:00.000000', 'math0601001' -> 2006-01."""
    m = re.match(r"(\d{2})(\d{2})\.", ident) or re.search(r"(\d{2})(\d{2})\d{3}(v\d+)?$", ident)
    if not m:
        return None
    yy, mm = int(m.group(1)), int(m.group(2))
    if not 1 <= mm <= 12:
        return None
    return f"{1900 + yy if yy >= 91 else 2000 + yy:04d}-{mm:02d}-01T00:00:00.000000"


def decode_latex(data: bytes) -> tuple[str | None, str]:
    """(text, encoding); (None, "binary") for bytes with NUL."""
    if b"\x00" in data[:65536]:
        return None, "binary"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def has_extension(name: str) -> bool:
    """'main.tex' has one; '2301.00001' (arXiv's one-file papers) and 'README' do not."""
    suffix = posixpath.splitext(posixpath.basename(name))[1]
    return bool(suffix) and not suffix[1:].isdigit()


def is_latex_file(name: str, data: bytes) -> bool:
    if name.lower().endswith(TEX_SUFFIXES):
        return True
    return not has_extension(name) and bool(_LATEX_HEAD.search(data[:65536]))


# -- work units -------------------------------------------------------------------------------


def read_units(spec: SourceSpec) -> list[tuple]:
    """("archive", path, rel) | ("folder", key, [(path, rel in paper), ...]) | ("tex", path, rel)."""
    remote = storage.is_remote(spec.path)
    if remote or os.path.isdir(spec.path):
        units: list[tuple] = []
        folders: dict[str, list[tuple[str, str]]] = {}
        for path, rel in storage.walk_tree(spec.path, spec.include, spec.exclude):
            head, _, rest = rel.partition("/")
            if not rest:
                if spec.archives and is_archive(rel):
                    units.append(("archive", path, rel))
                else:
                    folders.setdefault("", []).append((path, rel))
            else:
                folders.setdefault(head, []).append((path, rest))
        units += [("folder", key, files) for key, files in sorted(folders.items())]
        if not units and not remote:
            raise RecipeError(f"source {spec.name!r}: no file under {spec.path}")
        return sorted(units, key=lambda u: (u[0], u[1] if u[0] == "folder" else u[2]))
    paths = storage.expand_patterns([spec.path])
    if not paths:
        raise RecipeError(f"source {spec.name!r}: no file or folder matches {spec.path}")
    return [("archive" if is_archive(p) else "tex", p, os.path.basename(p)) for p in paths]


def read_unit(unit: tuple, spec: SourceSpec) -> Iterator[Verdict]:
    kind = unit[0]
    if kind == "archive":
        yield from _read_archive(unit[1], unit[2], spec)
    elif kind == "folder":
        key, files = unit[1], unit[2]
        yield from _read_folder(key, files, spec)
    else:
        _, path, rel = unit
        yield from _read_folder(rel, [(path, rel)], spec)


# -- readers ----------------------------------------------------------------------------------


class _PaperArchive(ArchiveReader):
    """ArchiveReader that hands the raw bytes of plain members back instead of making Documents."""

    def member_verdicts(self, inner: str, data: bytes, depth: int):
        name = inner.rsplit("::", 1)[-1]
        if self.spec.archives and is_archive(name):
            yield from super().member_verdicts(inner, data, depth)
        else:
            yield ("file", inner, data)


def _read_archive(path: str, rel: str, spec: SourceSpec) -> Iterator[Verdict]:
    """Members arrive in archive order; the members of one nested paper are consecutive, so one
    paper is in memory at a time."""
    current_key, current_files = None, []
    top_level: list[tuple[str, bytes]] = []
    nested_seen = False
    try:
        for item in _PaperArchive(path, rel, spec).read():
            if isinstance(item, Rejection):
                yield item
                continue
            _, inner, data = item
            segments = inner.split("::")[1:]
            if len(segments) >= 2:
                nested_seen = True
                key, name = segments[0], "::".join(segments[1:])
                if key != current_key:
                    if current_key is not None:
                        yield from _paper(f"{rel}::{current_key}", current_files, spec)
                    current_key, current_files = key, []
                current_files.append((name, data))
            else:
                top_level.append((segments[0], data))
    except OSError as err:
        yield Rejection(
            id=f"{spec.name}/{rel}", source=spec.name, stage="sources", reason="unreadable", path=path, detail=str(err)
        )
        return
    if current_key is not None:
        yield from _paper(f"{rel}::{current_key}", current_files, spec)
    if not top_level:
        return
    if nested_seen and not any(is_latex_file(n, d) for n, d in top_level):
        for name, _ in top_level:  # a bulk tar's PDF-only submissions
            yield Rejection(
                id=f"{spec.name}/{rel}::{name}",
                source=spec.name,
                stage="sources",
                reason="no_tex_source",
                path=f"{rel}::{name}",
                detail="a submission without LaTeX source",
            )
        return
    yield from _paper(rel, top_level, spec)


def _read_folder(key: str, files: list[tuple[str, str]], spec: SourceSpec) -> Iterator[Verdict]:
    paper_key = key or "."
    loaded, rejected = [], []
    for path, rel in files:
        if not rel.lower().endswith(TEX_SUFFIXES) and has_extension(rel):
            loaded.append((rel, b""))  # counted, never read (figures, data)
            continue
        try:
            size = storage.size(path)
            if size > spec.max_file_bytes:
                rejected.append(
                    Rejection(
                        id=f"{spec.name}/{paper_key}/{rel}",
                        source=spec.name,
                        stage="sources",
                        reason="too_large",
                        path=path,
                        detail=f"{size:,} bytes > max_file_bytes {spec.max_file_bytes:,}",
                    )
                )
                continue
            loaded.append((rel, storage.read_bytes(path)))
        except OSError as err:
            rejected.append(
                Rejection(
                    id=f"{spec.name}/{paper_key}/{rel}",
                    source=spec.name,
                    stage="sources",
                    reason="unreadable",
                    path=path,
                    detail=str(err),
                )
            )
    yield from rejected
    yield from _paper(paper_key, loaded, spec)


def _paper(key: str, members: list[tuple[str, bytes]], spec: SourceSpec) -> Iterator[Verdict]:
    """The Document(s) of one paper from its (name, bytes) members."""
    files: dict[str, str] = {}
    encodings, other = set(), 0
    for name, data in members:
        if not data or not is_latex_file(name, data):
            other += 1
            continue
        text, encoding = decode_latex(data)
        if text is None:
            other += 1
            continue
        encodings.add(encoding)
        norm = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
        if not has_extension(norm):
            norm += ".tex"  # arXiv's gzip'd one-file papers have no extension
        files[norm] = text
    doc_id = f"{spec.name}/{key}"
    if not any(p.endswith((".tex", ".ltx")) for p in files):
        yield Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="no_tex_source",
            path=key,
            detail=f"{len(members)} files, none of them LaTeX",
        )
        return
    latex = spec.latex
    papers = clean_paper(
        files,
        expand=latex.expand_macros,
        keep_abstract=latex.keep_abstract,
        drop_preamble_=latex.drop_preamble,
        max_input_depth=latex.max_input_depth,
    )
    if not papers:
        yield Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="no_tex_source",
            path=key,
            detail="every .tex file is \\input by another one (a cycle): no root file",
        )
        return
    base_meta = {
        "origin": key,
        "files": len(files),
        "other_files": other,
        "encoding": "latin-1" if "latin-1" in encodings else "utf-8",
    }
    ident = arxiv_id(key)
    if ident:
        base_meta["arxiv_id"] = ident
        date = arxiv_month(ident)
        if date:
            base_meta["date"] = date
    for i, paper in enumerate(papers):
        part_id = doc_id if i == 0 else f"{doc_id}#{paper.roots[0]}"
        if not paper.text.strip():
            yield Rejection(
                id=part_id,
                source=spec.name,
                stage="sources",
                reason="empty_after_cleaning",
                path=key,
                detail=f"nothing left of {', '.join(paper.roots)} after cleaning",
            )
            continue
        yield Document(
            id=part_id,
            text=paper.text,
            source=spec.name,
            kind=spec.doc_kind or "paper",
            language=spec.language or "tex",
            path=key,
            meta={**base_meta, **paper.meta},
        )


def input_bytes(spec: SourceSpec) -> int:
    if not storage.is_remote(spec.path) and not os.path.isdir(spec.path):  # archive files or a glob
        return sum(storage.size(p) for p in storage.expand_patterns([spec.path]))
    return storage.tree_bytes(spec.path)
