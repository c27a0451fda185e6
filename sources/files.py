"""Local (or remote-prefix) file trees: one Document per file.

Reading is a pure function of (path, relative path, spec) that returns a Document or a Rejection, so
every file in the tree is accounted for: symlinks, oversized, binary and undecodable files are
rejected with a reason instead of being skipped.
"""

from __future__ import annotations

import os
import re
from typing import Iterator

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec

# Document kind by file extension; anything else is treated as code.
KIND_BY_EXTENSION = {
    ".tex": "paper",
    ".ltx": "paper",
    ".bib": "paper",
    ".md": "text",
    ".markdown": "text",
    ".txt": "text",
    ".rst": "text",
    ".html": "web",
    ".htm": "web",
}


def kind_of(path: str) -> str:
    return KIND_BY_EXTENSION.get(os.path.splitext(path)[1].lower(), "code")


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_IMPLAUSIBLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # control characters, C1 included


def decode_text(
    data: bytes, encodings: tuple[str, ...] | list[str] = ("utf-8", "cp1252")
) -> tuple[str | None, str | None, str | None]:
    """(text, None, encoding) for text we accept, or (None, reason, None).

    UTF-8 first (a BOM is dropped); UTF-16 when a BOM says so; then each fallback of `encodings` in
    order (default Windows-1252, a superset of Latin-1's printable characters: the usual encoding of
    old sources), accepted only when the result holds no control characters. Bytes that mix valid
    UTF-8 sequences with invalid ones are ``mixed_encoding`` (decoding them either way garbles part);
    NUL bytes are ``binary``; nothing plausible is ``undecodable`` (``invalid_utf8`` when UTF-8 is the
    only encoding allowed)."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "binary", None
    try:
        return data.decode("utf-8-sig"), None, "utf-8"
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None, "utf-16"
        except UnicodeDecodeError:
            return None, "undecodable", None
    fallbacks = [e for e in encodings if e.lower().replace("_", "-") not in ("utf-8", "utf8")]
    if not fallbacks:
        return None, "invalid_utf8", None
    if _UTF8_MULTIBYTE.search(data):
        return None, "mixed_encoding", None
    for encoding in fallbacks:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _IMPLAUSIBLE.search(text):
            return text, None, encoding
    return None, "undecodable", None


def notebook_to_text(raw: str) -> tuple[str, dict]:
    """A Jupyter notebook (nbformat 3 or 4) as markdown with fenced code cells; outputs are dropped
    (they are results, often huge, base64 images or tracebacks). Raises ValueError when it is not a
    notebook."""
    import json

    nb = json.loads(raw)
    if not isinstance(nb, dict):
        raise ValueError("not a JSON object")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise ValueError("no cells")
    meta = nb.get("metadata") or {}
    language = (
        (meta.get("language_info") or {}).get("name") or (meta.get("kernelspec") or {}).get("language") or "python"
    )
    parts, counts = [], {"markdown": 0, "code": 0}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", cell.get("input", ""))
        text = "".join(source) if isinstance(source, list) else str(source)
        if not text.strip():
            continue
        kind = cell.get("cell_type")
        if kind == "code":
            counts["code"] += 1
            parts.append(f"```{language}\n{text.rstrip()}\n```")
        elif kind in ("markdown", "raw", "heading"):
            counts["markdown"] += 1
            parts.append(text.strip())
    return "\n\n".join(parts) + "\n", {"notebook_language": language, "cells": counts}


def notebook_document(doc_id: str, raw: str, path: str, spec: SourceSpec, meta: dict | None = None) -> Verdict:
    try:
        text, info = notebook_to_text(raw)
    except (ValueError, TypeError, AttributeError) as err:
        return Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="malformed_notebook",
            path=path,
            detail=str(err)[:500],
            text=raw[:4096],
        )
    if not text.strip():
        return Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="empty",
            path=path,
            detail="a notebook without any non-empty cell",
        )
    return Document(
        id=doc_id,
        text=text,
        source=spec.name,
        kind=spec.doc_kind or "code",
        language=spec.language or "jupyter",
        path=path,
        repo=spec.repo,
        license=spec.license,
        meta={**(meta or {}), **info},
    )


def list_files(spec: SourceSpec) -> list[tuple[str, str]]:
    return list(storage.walk_tree(spec.path, spec.include, spec.exclude))


def read_file(path: str, rel: str, spec: SourceSpec) -> Verdict:
    doc_id = f"{spec.name}/{rel}"

    def reject(reason: str, detail: str | None = None, text: str | None = None) -> Rejection:
        return Rejection(
            id=doc_id, source=spec.name, stage="sources", reason=reason, text=text, path=path, detail=detail
        )

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
    text, reason, encoding = decode_text(data, spec.encodings)
    if text is None:
        return reject(reason, text=data[:4096].decode("utf-8", "replace"))
    if not text.strip():
        return reject("empty", f"{len(data)} bytes of whitespace" if data else "0 bytes")
    if rel.lower().endswith(".ipynb"):
        return notebook_document(doc_id, text, rel, spec)
    return Document(
        id=doc_id,
        text=text,
        source=spec.name,
        kind=spec.doc_kind or kind_of(rel),
        language=spec.language,
        path=rel,
        repo=spec.repo,
        license=spec.license,
        meta={"encoding": encoding} if encoding != "utf-8" else {},
    )


def read_path(path: str, rel: str, spec: SourceSpec) -> Iterator[Verdict]:
    """One file of a tree: an archive gives its members (archives.py), any other file one verdict."""
    from mathcorpus.sources.archives import is_archive, read_archive

    is_local_link = not storage.is_remote(path) and os.path.islink(path)  # rejected by read_file
    if spec.archives and is_archive(rel) and not is_local_link:
        try:
            yield from read_archive(path, rel, spec)
        except OSError as err:
            yield Rejection(
                id=f"{spec.name}/{rel}",
                source=spec.name,
                stage="sources",
                reason="unreadable",
                path=path,
                detail=str(err),
            )
        return
    yield read_file(path, rel, spec)


# -- the source interface (sources/__init__.py) ----------------------------------------------------


def read_units(spec: SourceSpec) -> list[tuple[str, str]]:
    """(path, relative path) of every file, sorted."""
    if not storage.is_remote(spec.path) and not os.path.isdir(spec.path):
        raise RecipeError(f"source {spec.name!r}: folder not found: {spec.path}")
    return list_files(spec)


def read_unit(unit: tuple[str, str], spec: SourceSpec) -> Iterator[Verdict]:
    path, rel = unit
    yield from read_path(path, rel, spec)


def input_bytes(spec: SourceSpec) -> int:
    if storage.is_remote(spec.path):  # one listing of everything under the folder
        return storage.tree_bytes(spec.path)
    return storage.local_bytes(path for path, _ in list_files(spec))
