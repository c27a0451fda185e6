"""JSONL files, plain or compressed (.zst, .gz), one Document per line.

Rows are streamed (never the whole file in memory). A malformed line, a row without the text field
or a corrupt compressed stream becomes a Rejection with a reason; the rest of the file still counts.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from typing import IO, Iterator

import zstandard

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import SourceSpec

# Row fields copied onto the Document when present (Stack / OpenWebMath style rows).
_FIELD_ALIASES = {"language": ("lang", "language"), "path": ("path", "max_stars_repo_path"),
                  "repo": ("repo", "repo_name", "max_stars_repo_name"), "license": ("license",),
                  "url": ("url",)}


def open_text_lines(path: str) -> IO[str]:
    """A text stream over a JSONL file, decompressing by extension."""
    raw = storage.open_read(path)
    if path.endswith(".zst") or path.endswith(".zstd"):
        raw = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    elif path.endswith(".gz"):
        raw = gzip.GzipFile(fileobj=raw)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="strict", newline="\n")


def parse_row(line: str, lineno: int, path: str, spec: SourceSpec) -> Verdict:
    fallback_id = f"{spec.name}/{os.path.basename(path)}:{lineno}"

    def reject(reason: str, detail: str) -> Rejection:
        return Rejection(id=fallback_id, source=spec.name, stage="sources", reason=reason,
                         text=line[:65536], path=path, detail=detail)

    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return reject("malformed_json", str(err))
    if not isinstance(row, dict):
        return reject("malformed_json", f"row is a {type(row).__name__}, not an object")
    text = row.get(spec.text_field)
    if not isinstance(text, str):
        return reject("missing_text_field", f"no string field {spec.text_field!r}")
    raw_id = row.get(spec.id_field) if spec.id_field else None
    doc_id = f"{spec.name}/{raw_id}" if raw_id is not None else fallback_id
    fields = {name: next((str(row[a]) for a in aliases if row.get(a) is not None), None)
              for name, aliases in _FIELD_ALIASES.items()}
    language = spec.language or fields.pop("language")
    kind = spec.doc_kind or ("web" if fields["url"] else "code" if language else "text")
    return Document(id=doc_id, text=text, source=spec.name, kind=kind, language=language, **fields)


def read_jsonl(path: str, spec: SourceSpec) -> Iterator[Verdict]:
    lineno = 0
    try:
        with open_text_lines(path) as lines:
            for lineno, line in enumerate(lines, start=1):
                if line.strip():
                    yield parse_row(line, lineno, path, spec)
    except (OSError, EOFError, UnicodeDecodeError, zstandard.ZstdError, ValueError) as err:
        # The stream broke (truncated/corrupt archive or undecodable bytes): what was read counts;
        # the unreadable remainder is one rejection that says where it stopped.
        yield Rejection(id=f"{spec.name}/{os.path.basename(path)}:{lineno + 1}-", source=spec.name,
                        stage="sources", reason="corrupt_file", path=path,
                        detail=f"stopped after line {lineno}: {type(err).__name__}: {err}")
