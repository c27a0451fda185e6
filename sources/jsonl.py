"""JSONL files, plain or compressed (.zst, .gz), one Document per line.

Rows are streamed (never the whole file in memory, never a whole overlong line either). A malformed
line, a row without the text field or with a blank one, a line that is not UTF-8 or is longer than
``max_line_bytes``, or a corrupt compressed stream becomes a Rejection with a reason; the rest of the
file still counts.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
from typing import IO, Iterator

import zstandard

from mathcorpus import storage
from mathcorpus.document import Document, Rejection, Verdict
from mathcorpus.recipe import RecipeError, SourceSpec
from mathcorpus.sources.compression import Read1Reader, TruncatedStream, _ZstdReader  # noqa: F401

# Row fields copied onto the Document when present (Stack / OpenWebMath style rows).
_FIELD_ALIASES = {
    "language": ("lang", "language"),
    "path": ("path", "max_stars_repo_path"),
    "repo": ("repo", "repo_name", "max_stars_repo_name"),
    "license": ("license",),
    "url": ("url",),
}


@functools.lru_cache(maxsize=64)
def _field_columns(mapping: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(Document field, the row columns that may fill it) given a source's `fields` mapping."""
    mapped = dict(mapping)
    return tuple((name, (mapped[name],) if mapped.get(name) else aliases) for name, aliases in _FIELD_ALIASES.items())


def _row_fields(row: dict, spec: SourceSpec) -> dict:
    fields = {}
    for name, columns in _field_columns(tuple(sorted(spec.fields.items()))):
        value = None
        for column in columns:
            found = row.get(column)
            if found is not None:
                value = _valid_unicode(found if type(found) is str else str(found))
                break
        fields[name] = value
    return fields


def split_ranges(size: int, split_bytes: int) -> list[tuple[int, int | None]]:
    """Byte ranges [start, end) of about `split_bytes` covering a file of `size` bytes."""
    if split_bytes <= 0 or size <= split_bytes:
        return [(0, None)]
    starts = list(range(0, size, split_bytes))
    return [(a, b) for a, b in zip(starts, starts[1:] + [None])]


def is_compressed(path: str) -> bool:
    return path.endswith((".zst", ".zstd", ".gz"))


def open_byte_stream(path: str) -> IO[bytes]:
    """A buffered binary stream over a JSONL file, decompressed by extension."""
    raw = storage.open_read(path)
    if path.endswith(".zst") or path.endswith(".zstd"):
        raw = _ZstdReader(raw)
    elif path.endswith(".gz"):
        raw = Read1Reader(gzip.GzipFile(fileobj=raw))
    return io.BufferedReader(raw, buffer_size=1 << 20)


def byte_lines(
    stream: IO[bytes], max_line_bytes: int, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, line, complete) for the lines that start in [start, end) of the stream (which is
    positioned at `start`); a line longer than `max_line_bytes` is cut there (complete=False) and the
    rest of it is read and thrown away in bounded chunks, so one huge line never sits in memory."""
    pos = start
    while end is None or pos < end:
        line = stream.readline(max_line_bytes + 1)
        if not line:
            return
        offset = pos
        pos += len(line)
        if len(line) <= max_line_bytes or line.endswith(b"\n"):
            yield offset, line, True
            continue
        while True:  # drain the rest of the overlong line
            rest = stream.readline(1 << 20)
            pos += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield offset, line[:max_line_bytes], False


def _valid_unicode(value: str) -> str:
    """Metadata with lone surrogates (from JSON escapes) gets U+FFFD instead, so it can be written."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def parse_row(line: str, lineno: int, path: str, spec: SourceSpec, offset: int | None = None) -> Verdict:
    """One JSONL line. Rows are named by line number, or by byte offset (`offset` given) in a file
    read in parallel ranges, where line numbers are unknown."""
    where = f":{lineno}" if offset is None else f"@{offset}"
    fallback_id = f"{spec.name}/{os.path.basename(path)}{where}"

    def reject(reason: str, detail: str) -> Rejection:
        return Rejection(
            id=fallback_id,
            source=spec.name,
            stage="sources",
            reason=reason,
            text=line[:65536],
            path=path,
            detail=detail,
        )

    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return reject("malformed_json", str(err))
    if not isinstance(row, dict):
        return reject("malformed_json", f"row is a {type(row).__name__}, not an object")
    position = {"line": lineno} if offset is None else {"offset": offset}
    return row_verdict(row, fallback_id, f"line {where[1:]}", path, spec, position)


def row_verdict(row: dict, fallback_id: str, where: str, path: str, spec: SourceSpec, position: dict) -> Verdict:
    """A Document from one row of any table-like source (JSONL, Parquet, datasets), or why not.
    `where` names the row in messages; `position` goes into ``meta`` next to the file."""
    text = row.get(spec.text_field)
    if not isinstance(text, str):
        return Rejection(
            id=fallback_id,
            source=spec.name,
            stage="sources",
            reason="missing_text_field",
            path=path,
            detail=f"{where}: no string field {spec.text_field!r}",
            text=_valid_unicode(str(row)[:4096]),
        )
    raw_id = row.get(spec.id_field) if spec.id_field else None
    doc_id = _valid_unicode(f"{spec.name}/{raw_id}") if raw_id is not None else fallback_id
    fields = _row_fields(row, spec)
    row_language = fields.pop("language")
    language = spec.language or row_language
    try:  # JSON escapes can spell lone surrogates ("\ud800"): not Unicode text, unwritable to Parquet
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="invalid_unicode",
            path=path,
            detail=f"{where}: {err.reason}",
            text=_valid_unicode(text[:4096]),
        )
    if not text.strip():
        return Rejection(
            id=doc_id,
            source=spec.name,
            stage="sources",
            reason="empty",
            path=path,
            detail=f"{where}: the text field is empty or blank",
        )
    kind = spec.doc_kind or ("web" if fields["url"] else "code" if language else "text")
    meta = {"origin": path, **position}
    if spec.date_field and row.get(spec.date_field) is not None:
        date = normalize_date(row[spec.date_field])
        if date:
            meta["date"] = date
    return Document(id=doc_id, text=text, source=spec.name, kind=kind, language=language, meta=meta, **fields)


DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def normalize_date(value) -> str | None:
    """Fixed-width ISO 8601 text 'YYYY-MM-DDTHH:MM:SS.ffffff' (UTC when a zone is given; equal widths
    sort as dates) from ISO text, a datetime, or seconds since 1970; None when it is not a date."""
    import datetime as dt

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime(DATE_FORMAT)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc)
    return parsed.strftime(DATE_FORMAT)


def read_jsonl(path: str, spec: SourceSpec, start: int = 0, end: int | None = None) -> Iterator[Verdict]:
    """Every non-blank line becomes a Document or a Rejection: bad lines (malformed JSON, missing
    text field, invalid UTF-8, longer than ``max_line_bytes``) never stop the file.

    With a byte range (an uncompressed file split for parallel reading, see `split_ranges`), the lines
    that start in [start, end) are read; a line belongs to the range its first byte is in."""
    lineno = 0
    name = os.path.basename(path)
    ranged = start > 0 or end is not None

    def where(offset: int) -> str:
        return f"@{offset}" if ranged else f":{lineno}"

    try:
        with open_byte_stream(path) as stream:
            if start > 0:  # skip the line that started before the range (its own range reads it)
                stream.seek(start - 1)
                start -= 1
                while True:
                    chunk = stream.readline(1 << 20)
                    start += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
            for lineno, (offset, raw, complete) in enumerate(
                byte_lines(stream, spec.max_line_bytes, start, end), start=1
            ):
                if not raw.strip():  # blank lines (ASCII whitespace only) are not rows
                    continue
                if not complete:
                    yield Rejection(
                        id=f"{spec.name}/{name}{where(offset)}",
                        source=spec.name,
                        stage="sources",
                        reason="line_too_long",
                        path=path,
                        text=raw[:4096].decode("utf-8", "replace"),
                        detail=f"line longer than max_line_bytes {spec.max_line_bytes:,}",
                    )
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    yield Rejection(
                        id=f"{spec.name}/{name}{where(offset)}",
                        source=spec.name,
                        stage="sources",
                        reason="invalid_utf8",
                        path=path,
                        detail=str(err),
                        text=raw[:4096].decode("utf-8", "replace"),
                    )
                    continue
                yield parse_row(line, lineno, path, spec, offset if ranged else None)
    except (OSError, EOFError, zstandard.ZstdError, ValueError) as err:
        # The stream broke (truncated/corrupt archive): what was read counts; the unreadable
        # remainder is one rejection that says where it stopped.
        yield Rejection(
            id=f"{spec.name}/{name}:{lineno + 1}-",
            source=spec.name,
            stage="sources",
            reason="corrupt_file",
            path=path,
            detail=f"stopped after line {lineno}: {type(err).__name__}: {err}",
        )


# -- the source interface (sources/__init__.py) ----------------------------------------------------


def read_units(spec: SourceSpec) -> list[tuple[str, int, int | None]]:
    """(path, start, end) byte ranges: large uncompressed files are read in ranges by many workers;
    compressed streams cannot be entered in the middle and stay one unit each."""
    paths = storage.expand_patterns([spec.path])
    if not paths:
        raise RecipeError(f"source {spec.name!r}: no file matches {spec.path}")
    return [
        (path, start, end)
        for path in paths
        for start, end in (
            split_ranges(storage.size(path), spec.split_bytes) if not is_compressed(path) else [(0, None)]
        )
    ]


def read_unit(unit: tuple, spec: SourceSpec) -> Iterator[Verdict]:
    path, start, end = unit
    yield from read_jsonl(path, spec, start, end)


def input_bytes(spec: SourceSpec) -> int:
    return sum(storage.size(p) for p in storage.expand_patterns([spec.path]))
