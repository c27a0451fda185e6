"""Archives in a file tree, read in memory as containers of documents (never extracted to disk).

Handled: ``.tar`` (plain, gzip, bzip2, xz or zstd compressed: ``.tar.gz``, ``.tgz``, ``.tar.zst`` ...),
``.zip``, and single gzip'd files (``paper.tex.gz``; when the inflated bytes are a tar, as many
arXiv ``.gz`` files are, it is read as a tar). Compression is recognised by magic bytes, not names.

Every member is accounted for: a regular file becomes a Document (id ``<source>/<archive>::<member>``)
or a Rejection like any file (``too_large``, ``binary``, ``invalid_utf8``, ``empty``); members that are
never read are rejected with a reason: ``unsafe_member_path`` (absolute, ``..``, drive letters),
``link_member`` (symlinks and hard links are never followed), ``special_member`` (devices, FIFOs).
Archives inside archives are read the same way, two levels deep at most (``nested_too_deep`` below
that). A stream that breaks keeps what was read and adds one ``corrupt_archive`` rejection; inflating
more than ``max_inflated_bytes`` for one archive (a decompression bomb) stops it with one
``inflate_cap_exceeded`` rejection. An archive with no member at all is one ``empty`` rejection.
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import tarfile
import zipfile
import zlib
from typing import Iterator

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import SourceSpec
from mathcorpus.sources.compression import (
    DECOMPRESSION_ERRORS,
    CappedReader,
    InflateBudget,
    InflateCapExceeded,
    compression_of,
    decompressed,
)

ARCHIVE_SUFFIXES = (
    ".tar",
    ".tgz",
    ".tbz2",
    ".txz",
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".tar.zst",
    ".tar.zstd",
    ".zip",
    ".gz",
)
MAX_DEPTH = 2
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def unsafe_member_name(name: str) -> str | None:
    """Why a member name may not be used as a path, or None when it is a plain relative path."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "'..' in the path"
    if "\x00" in name:
        return "NUL in the name"
    return None


class ArchiveReader:
    """Verdicts for one archive file (see the module docstring)."""

    def __init__(self, path: str, rel: str, spec: SourceSpec):
        self.path, self.rel, self.spec = path, rel, spec
        self.budget = InflateBudget(spec.max_inflated_bytes)
        self.members = 0  # members seen so far, numbered in archive order (provenance, id ties)

    # -- verdicts ------------------------------------------------------------------------------
    def _id(self, inner: str) -> str:
        return f"{self.spec.name}/{self.rel}{inner}"

    def reject(self, inner: str, reason: str, detail: str | None = None, text: str | None = None) -> Rejection:
        return Rejection(
            id=self._id(inner),
            source=self.spec.name,
            stage="sources",
            reason=reason,
            path=f"{self.rel}{inner}",
            detail=detail,
            text=text,
        )

    def member_verdicts(self, inner: str, data: bytes, depth: int) -> Iterator[Verdict]:
        """A member's bytes: a nested archive, or one document."""
        from mathcorpus.sources.files import decode_text, kind_of

        name = inner.rsplit("::", 1)[-1]
        if self.spec.archives and is_archive(name):
            if depth + 1 >= MAX_DEPTH:
                yield self.reject(inner, "nested_too_deep", f"an archive nested {depth + 2} levels deep")
                return
            yield from self.read_bytes(inner, data, depth + 1)
            return
        if len(data) > self.spec.max_file_bytes:
            yield self.reject(inner, "too_large", f"{len(data):,} bytes > max_file_bytes {self.spec.max_file_bytes:,}")
            return
        text, reason, encoding = decode_text(data, self.spec.encodings)
        if text is None:
            yield self.reject(inner, reason, text=data[:4096].decode("utf-8", "replace"))
            return
        if not text.strip():
            yield self.reject(inner, "empty")
            return
        path = f"{self.rel}{inner}"
        meta = {"origin": path, "member": self.members, **({"encoding": encoding} if encoding != "utf-8" else {})}
        if name.lower().endswith(".ipynb"):
            from mathcorpus.sources.files import notebook_document

            yield notebook_document(self._id(inner), text, path, self.spec, meta)
            return
        yield Document(
            id=self._id(inner),
            text=text,
            source=self.spec.name,
            kind=self.spec.doc_kind or kind_of(name),
            language=self.spec.language,
            path=path,
            repo=self.spec.repo,
            license=self.spec.license,
            meta=meta,
        )

    # -- formats -------------------------------------------------------------------------------
    def read(self) -> Iterator[Verdict]:
        with storage.open_read(self.path) as raw:
            yield from self._read_stream("", io.BufferedReader(raw) if not hasattr(raw, "peek") else raw, 0)

    def read_bytes(self, inner: str, data: bytes, depth: int) -> Iterator[Verdict]:
        yield from self._read_stream(inner, io.BufferedReader(io.BytesIO(data)), depth)

    def _read_stream(self, inner: str, stream, depth: int) -> Iterator[Verdict]:
        name = inner.rsplit("::", 1)[-1] if inner else self.rel
        lower = name.lower()
        emitted = 0
        try:
            head = stream.peek(8)[:8]
            if head.startswith(b"PK"):
                gen = self._zip(inner, stream, depth)
            else:
                # every inflated byte (read or skipped, members and headers) is charged to the budget
                inflated = io.BufferedReader(CappedReader(decompressed(stream, compression_of(head)), self.budget))
                tar_head = inflated.peek(512)[:512]
                if _looks_like_tar(tar_head) or not lower.endswith(".gz") or lower.endswith((".tar.gz", ".tgz")):
                    gen = self._tar(inner, inflated, depth)
                else:  # a single gzip'd file
                    gen = self._single(inner, name, inflated, depth)
            for verdict in gen:
                emitted += 1
                yield verdict
        except InflateCapExceeded as err:
            emitted += 1
            yield self.reject(f"{inner}::", "inflate_cap_exceeded", f"after {emitted - 1} members: {err}")
        except (tarfile.TarError, zipfile.BadZipFile, zlib.error, *DECOMPRESSION_ERRORS) as err:
            emitted += 1
            yield self.reject(
                f"{inner}::", "corrupt_archive", f"stopped after {emitted - 1} members: {type(err).__name__}: {err}"
            )
        if not emitted:
            yield self.reject(inner, "empty", "an archive without members")

    def _single(self, inner: str, name: str, inflated, depth: int) -> Iterator[Verdict]:
        member = f"{inner}::{posixpath.basename(name)[:-3]}"  # "Notes.tex.gz" -> "Notes.tex"
        data = inflated.read(self.spec.max_file_bytes + 1)
        if len(data) > self.spec.max_file_bytes:
            yield self.reject(member, "too_large", f"inflates past max_file_bytes {self.spec.max_file_bytes:,}")
            return
        yield from self.member_verdicts(member, data, depth)

    def _tar(self, inner: str, inflated, depth: int) -> Iterator[Verdict]:
        # Stream mode ("r|"): members in order, nothing seeks, nothing is extracted to disk.
        with tarfile.open(fileobj=inflated, mode="r|") as tar:
            for member in tar:
                self.members += 1
                member_inner = f"{inner}::{member.name}"
                if member.isdir():
                    continue
                why = unsafe_member_name(member.name)
                if why:
                    yield self.reject(member_inner, "unsafe_member_path", why)
                elif member.issym() or member.islnk():
                    yield self.reject(member_inner, "link_member", f"link to {member.linkname!r}, not followed")
                elif not member.isfile():
                    yield self.reject(member_inner, "special_member", "device, FIFO or other non-file member")
                elif member.size > self.spec.max_file_bytes and not is_archive(member.name):
                    yield self.reject(
                        member_inner,
                        "too_large",
                        f"{member.size:,} bytes > max_file_bytes {self.spec.max_file_bytes:,}",
                    )
                else:
                    data = tar.extractfile(member).read()
                    yield from self.member_verdicts(member_inner, data, depth)

    def _zip(self, inner: str, stream, depth: int) -> Iterator[Verdict]:
        # zip needs seeking: the archive's compressed bytes are held (bounded by the budget).
        data = stream.read(self.budget.cap - self.budget.used + 1)
        self.budget.take(len(data))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                self.members += 1
                member_inner = f"{inner}::{info.filename}"
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                why = unsafe_member_name(info.filename)
                if why:
                    yield self.reject(member_inner, "unsafe_member_path", why)
                elif stat.S_ISLNK(mode):
                    yield self.reject(member_inner, "link_member", "symlink member, not followed")
                elif info.file_size > self.spec.max_file_bytes and not is_archive(info.filename):
                    yield self.reject(
                        member_inner,
                        "too_large",
                        f"{info.file_size:,} bytes > max_file_bytes {self.spec.max_file_bytes:,}",
                    )
                else:
                    with archive.open(info) as fh:  # the declared size may lie: read with a limit
                        member_data = fh.read(self.spec.max_file_bytes + 1)
                    self.budget.take(len(member_data))
                    yield from self.member_verdicts(member_inner, member_data, depth)


def _looks_like_tar(block: bytes) -> bool:
    return len(block) >= 262 and block[257:262] == b"ustar"


def read_archive(path: str, rel: str, spec: SourceSpec) -> Iterator[Verdict]:
    yield from ArchiveReader(path, rel, spec).read()
