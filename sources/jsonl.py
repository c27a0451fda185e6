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


class TruncatedStream(ValueError):
    pass


class _ZstdReader(io.RawIOBase):
    """Streaming zstd decompression that notices truncation (zstandard's stream_reader just ends).

    Concatenated frames are read one after the other; input that ends inside a frame raises.
    """

    def __init__(self, raw, chunk: int = 1 << 20):
        self._raw, self._chunk = raw, chunk
        self._dobj = zstandard.ZstdDecompressor().decompressobj()
        self._buffer = b""
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self._buffer:
            data = self._raw.read(self._chunk)
            if not data:
                if self._in_frame:
                    raise TruncatedStream("zstd stream ends inside a frame (truncated file)")
                return 0
            while data:
                self._in_frame = True
                self._buffer += self._dobj.decompress(data)
                if not self._dobj.eof:
                    break
                data, self._in_frame = self._dobj.unused_data, False
                self._dobj = zstandard.ZstdDecompressor().decompressobj()
        n = min(len(out), len(self._buffer))
        out[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_text_lines(path: str) -> IO[str]:
    """A text stream over a JSONL file, decompressing by extension."""
    raw = storage.open_read(path)
    if path.endswith(".zst") or path.endswith(".zstd"):
        raw = _ZstdReader(raw)
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
    row_language = fields.pop("language")
    language = spec.language or row_language
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
