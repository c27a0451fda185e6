"""All reading and writing goes through Apache Beam's ``FileSystems``.

That makes local paths, ``gs://``, ``s3://`` and HDFS behave the same for every stage. Writes are
atomic: data goes to a temporary name next to the target and is renamed into place, so a crash never
leaves a file that looks complete.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import re
import uuid
from typing import Callable, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems


def is_remote(path: str) -> bool:
    return "://" in path


def join(base: str, *parts: str) -> str:
    return FileSystems.join(base, *parts)


def exists(path: str) -> bool:
    return FileSystems.exists(path)


def size(path: str) -> int:
    """Size in bytes of one file."""
    if not is_remote(path):
        return os.path.getsize(path)
    [result] = FileSystems.match([path])
    return result.metadata_list[0].size_in_bytes


def read_bytes(path: str) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        return fh.read()


def open_read(path: str) -> io.RawIOBase:
    """A binary stream of the raw bytes (no transparent decompression: callers choose)."""
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def mkdirs(path: str) -> None:
    if not is_remote(path):  # object stores have no folders
        os.makedirs(path, exist_ok=True)


def mkdirs_for(path: str) -> None:
    """Create the parent folder of a local file path (object stores need none)."""
    parent = os.path.dirname(path) if not is_remote(path) else None
    if parent:
        os.makedirs(parent, exist_ok=True)


def write_bytes_atomic(path: str, data: bytes) -> None:
    """Write `data` to `path` through a temporary file renamed into place."""
    mkdirs_for(path)
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        fh.write(data)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([tmp], [path])


def sha256_of(path: str, chunk: int = 1 << 22) -> tuple[str, int]:
    """(sha256 hex digest, size in bytes) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open_read(path) as fh:
        while block := fh.read(chunk):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def delete_tree(path: str) -> None:
    """Delete a file or a folder with everything under it. On object stores a "folder" is only a
    prefix of object names (it never `exists`), so the objects under it are listed and deleted."""
    if is_remote(path):
        under = [m.path for r in FileSystems.match([path.rstrip("/") + "/**"]) for m in r.metadata_list]
        if exists(path):
            under.append(path)
        if under:
            FileSystems.delete(sorted(set(under)))
    elif exists(path):
        FileSystems.delete([path])


def local_bytes(paths) -> int:
    """Bytes of local files (a path that vanished or cannot be read counts 0; links are not followed)."""
    total = 0
    for path in paths:
        try:
            total += os.lstat(path).st_size
        except OSError:
            pass
    return total


def tree_bytes(root: str) -> int:
    """Bytes of every file under a folder (one listing on object stores; symlinks not followed)."""
    if is_remote(root):
        return sum(m.size_in_bytes for r in FileSystems.match([root.rstrip("/") + "/**"]) for m in r.metadata_list)
    return local_bytes(path for path, _ in walk_tree(root))


def expand_patterns(patterns: list[str]) -> list[str]:
    """Sorted, de-duplicated files matching glob patterns (``**`` crosses folders)."""
    found: set[str] = set()
    for pattern in patterns:
        if is_remote(pattern):
            for result in FileSystems.match([pattern]):
                found.update(m.path for m in result.metadata_list)
        elif os.path.isdir(pattern):
            found.update(p for p, _ in walk_tree(pattern))
        else:
            found.update(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
    return sorted(found)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob semantics on '/'-separated paths: `*` and `?` stay inside one folder, `**` crosses them."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            c = pattern[i]
            out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_filter(include: list[str] | None, exclude: list[str] | None) -> Callable[[str], bool]:
    """Whether a relative path is wanted: it matches an `include` pattern (or there are none) and no
    `exclude` pattern (see `glob_regex`; a pattern without '/' is matched against the file name)."""
    compiled = {p: glob_regex(p) for p in (include or []) + (exclude or [])}

    def hit(patterns: list[str], rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(compiled[p].match(rel if "/" in p else name) for p in patterns)

    def wanted(rel: str) -> bool:
        return (not include or hit(include, rel)) and not (exclude and hit(exclude, rel))

    return wanted


def walk_tree(
    root: str, include: list[str] | None = None, exclude: list[str] | None = None
) -> Iterator[tuple[str, str]]:
    """Yield (path, path relative to root) for files under `root`, in sorted order.

    Symlinked folders are never descended into (no loops, no escaping the tree); symlinked files are
    yielded so that the reader can reject them with a reason. `include`/`exclude` are glob patterns
    (see `glob_regex`) on the relative path; a pattern without '/' is matched against the file name.
    """
    wanted = path_filter(include, exclude)
    if is_remote(root):
        prefix = root.rstrip("/") + "/"
        paths = sorted(m.path for r in FileSystems.match([prefix + "**"]) for m in r.metadata_list)
        for path in paths:
            rel = path[len(prefix) :]
            if wanted(rel):
                yield path, rel
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if d not in links)
        for name in sorted(filenames + links):  # symlinked folders too: the reader rejects them
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if wanted(rel):
                yield path, rel
