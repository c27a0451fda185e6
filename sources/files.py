"""Local (or remote-prefix) file trees: one Document per file.

Reading is a pure function of (path, relative path, spec) that returns a Document or a Rejection, so
every file in the tree is accounted for: symlinks, oversized, binary and undecodable files are
rejected with a reason instead of being skipped.
"""

from __future__ import annotations

import os
from typing import Iterator

from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import SourceSpec
from mathcorpus import storage

# Document kind by file extension; anything else is treated as code.
KIND_BY_EXTENSION = {
    ".tex": "paper", ".ltx": "paper", ".bib": "paper",
    ".md": "text", ".markdown": "text", ".txt": "text", ".rst": "text",
    ".html": "web", ".htm": "web",
}


def kind_of(path: str) -> str:
    return KIND_BY_EXTENSION.get(os.path.splitext(path)[1].lower(), "code")


def decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) for text we accept, or (None, reason). UTF-8 only (a BOM is dropped)."""
    if b"\x00" in data[:65536]:
        return None, "binary"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "invalid_utf8"


def list_files(spec: SourceSpec) -> list[tuple[str, str]]:
    return list(storage.walk_tree(spec.path, spec.include, spec.exclude))


def read_file(path: str, rel: str, spec: SourceSpec) -> Verdict:
    doc_id = f"{spec.name}/{rel}"

    def reject(reason: str, detail: str | None = None, text: str | None = None) -> Rejection:
        return Rejection(id=doc_id, source=spec.name, stage="sources", reason=reason,
                         text=text, path=path, detail=detail)

    if not storage.is_remote(path):
        if os.path.islink(path):
            return reject("symlink_not_followed", os.readlink(path))
        if not os.path.isfile(path):
            return reject("special_file", "not a regular file (FIFO, socket or device)")
        try:
            size = os.path.getsize(path)
        except OSError as err:
            return reject("unreadable", str(err))
        if size > spec.max_file_bytes:
            return reject("too_large", f"{size} bytes > max_file_bytes {spec.max_file_bytes}")
    try:
        data = storage.read_bytes(path)
    except OSError as err:
        return reject("unreadable", str(err))
    if len(data) > spec.max_file_bytes:
        return reject("too_large", f"{len(data)} bytes > max_file_bytes {spec.max_file_bytes}")
    text, reason = decode_text(data)
    if text is None:
        return reject(reason, text=data[:4096].decode("utf-8", "replace"))
    if not text.strip():
        return reject("empty", f"{len(data)} bytes of whitespace" if data else "0 bytes")
    return Document(id=doc_id, text=text, source=spec.name, kind=spec.doc_kind or kind_of(rel),
                    language=spec.language, path=rel)


def read_path(path: str, rel: str, spec: SourceSpec) -> Iterator[Verdict]:
    """One file of a tree: an archive gives its members (archives.py), any other file one verdict."""
    from mathcorpus.sources.archives import is_archive, read_archive

    is_local_link = not storage.is_remote(path) and os.path.islink(path)  # rejected by read_file
    if spec.archives and is_archive(rel) and not is_local_link:
        try:
            yield from read_archive(path, rel, spec)
        except OSError as err:
            yield Rejection(id=f"{spec.name}/{rel}", source=spec.name, stage="sources", reason="unreadable",
                            path=path, detail=str(err))
        return
    yield read_file(path, rel, spec)
