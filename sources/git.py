"""The committed files of a git repository at a ref (branch, tag or commit), bare or not.

Nothing is checked out: ``git ls-tree -r -z --long <ref>`` lists the tree once on the launcher (the
ref is resolved to a commit there, so every worker reads the same snapshot), and each work unit (up to
``UNIT_FILES`` files) is read by one ``git cat-file --batch`` process. Uncommitted and ignored files
are never read; ``include``/``exclude`` apply to paths as for a folder. Documents are named
``<source>/<path>`` with ``repo`` (the folder name, or the recipe's ``repo``), ``meta.commit`` and
``meta.ref``. Symbolic links are ``symlink_not_followed``, submodules ``submodule_not_read``; blobs
go through the same checks as files (size, binary, encoding, notebooks). Archives in the tree are not
opened (they are binary blobs here). The ``git`` command must be on the machine that reads.
"""

from __future__ import annotations

import os
import subprocess
from typing import Iterator

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec

UNIT_FILES = 256


def _git(repo: str, *args: str, data: bytes | None = None) -> bytes:
    try:
        return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise RecipeError("the git command is not installed (needed by kind: git sources)") from None
    except subprocess.CalledProcessError as err:
        raise RecipeError(
            f"git {' '.join(args[:2])} in {repo}: {err.stderr.decode(errors='replace').strip()}"
        ) from None


def read_units(spec: SourceSpec) -> list[tuple]:
    """(repo, commit, [(path, mode, type, object, size), ...]) per unit of up to UNIT_FILES files."""
    repo = spec.path
    if storage.is_remote(repo) or not os.path.isdir(repo):
        raise RecipeError(f"source {spec.name!r}: git repository not found: {repo}")
    ref = spec.git_ref or "HEAD"
    try:
        commit = _git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    except RecipeError as err:
        raise RecipeError(f"source {spec.name!r}: git_ref {ref!r} is not a commit of {repo} ({err})") from None
    entries = []
    wanted = storage.path_filter(spec.include, spec.exclude)
    for record in _git(repo, "ls-tree", "-r", "-z", "--long", commit).split(b"\0"):
        if not record:
            continue
        meta, _, path_bytes = record.partition(b"\t")
        mode, kind, obj, size = meta.decode().split()
        path = path_bytes.decode("utf-8", "surrogateescape")
        if wanted(path):
            entries.append((path, mode, kind, obj, -1 if size == "-" else int(size)))
    entries.sort()
    return [(repo, commit, entries[i : i + UNIT_FILES]) for i in range(0, len(entries), UNIT_FILES)]


def input_bytes(spec: SourceSpec) -> int:
    return sum(max(0, e[4]) for _, _, entries in read_units(spec) for e in entries)


def read_unit(unit: tuple, spec: SourceSpec) -> Iterator[Verdict]:
    from mathcorpus.sources.files import decode_text, kind_of, notebook_document

    repo, commit, entries = unit
    repo_name = spec.repo or os.path.basename(os.path.abspath(repo)).removesuffix(".git")
    meta = {"commit": commit, "ref": spec.git_ref or "HEAD"}

    def reject(path: str, reason: str, detail: str, text: str | None = None) -> Rejection:
        return Rejection(
            id=f"{spec.name}/{path}",
            source=spec.name,
            stage="sources",
            reason=reason,
            path=path,
            detail=detail,
            text=text,
        )

    readable = []
    for path, mode, kind, obj, size in entries:
        if kind == "commit":
            yield reject(path, "submodule_not_read", f"submodule at {obj}")
        elif mode == "120000":
            yield reject(path, "symlink_not_followed", "a symbolic link in the tree")
        elif size > spec.max_file_bytes:
            yield reject(path, "too_large", f"{size:,} bytes > max_file_bytes {spec.max_file_bytes:,}")
        else:
            readable.append((path, obj))
    if not readable:
        return
    out = _git(repo, "cat-file", "--batch", data=b"".join(obj.encode() + b"\n" for _, obj in readable))
    pos = 0
    for path, obj in readable:
        header_end = out.index(b"\n", pos)
        _, _, size = out[pos:header_end].split()
        start = header_end + 1
        data = out[start : start + int(size)]
        pos = start + int(size) + 1
        text, reason, encoding = decode_text(data, spec.encodings)
        doc_id = f"{spec.name}/{path}"
        if text is None:
            yield reject(path, reason, f"blob {obj}", data[:4096].decode("utf-8", "replace"))
        elif not text.strip():
            yield reject(path, "empty", f"blob {obj}: {len(data)} bytes of whitespace")
        elif path.lower().endswith(".ipynb"):
            verdict = notebook_document(doc_id, text, path, spec, dict(meta))
            yield verdict.replace(repo=repo_name, license=spec.license) if isinstance(verdict, Document) else verdict
        else:
            extra = {"encoding": encoding} if encoding != "utf-8" else {}
            yield Document(
                id=doc_id,
                text=text,
                source=spec.name,
                kind=spec.doc_kind or kind_of(path),
                language=spec.language,
                path=path,
                repo=repo_name,
                license=spec.license,
                meta={**meta, **extra},
            )
