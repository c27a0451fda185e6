"""Spill files: what one work unit's worker writes for a later pass over the same unit to read.

Texts never cross a Beam shuffle or side input (docs/architecture.md, "Execution model"): the scan
pass writes each work unit's kept documents and rejections to a spill file next to the outputs, the
global steps decide from small keys, and the apply pass reads the unit's spill back to apply the
decisions. A spill is a stream of frames (one pickled batch each, length-prefixed) inside one zstd
stream, written through Beam's FileSystems (local disk, gs://, s3:// alike) to a temporary name and
renamed when complete, so a retried work unit rewrites it whole. Memory: one frame at a time on
either side. The run deletes the spill folder when its manifest is written.
"""

from __future__ import annotations

import pickle
import struct
import uuid
from typing import Iterator

import zstandard
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from mathcorpus import storage

SPILL_DIR = "_spill"
_LENGTH = struct.Struct("<Q")
ZSTD_LEVEL = 1  # spills are read once: speed over size


def spill_path(out_dir: str, unit: int, name: str) -> str:
    return storage.join(out_dir, SPILL_DIR, f"{name}-{unit:06d}.zst")


class SpillWriter:
    """Frames appended one at a time; the file appears under its name on `close()` only."""

    def __init__(self, path: str):
        self.path = path
        storage.mkdirs_for(path)
        self._tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
        self._raw = FileSystems.create(self._tmp, compression_type=CompressionTypes.UNCOMPRESSED)
        self._stream = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(self._raw, closefd=False)
        self.frames = 0

    def write(self, value) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._stream.write(_LENGTH.pack(len(data)))
        self._stream.write(data)
        self.frames += 1

    def close(self) -> str:
        self._stream.close()
        self._raw.close()
        if FileSystems.exists(self.path):
            FileSystems.delete([self.path])
        FileSystems.rename([self._tmp], [self.path])
        return self.path

    def __enter__(self) -> "SpillWriter":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.close()
        else:  # an abandoned attempt leaves no file under the real name
            self._stream.close()
            self._raw.close()
            FileSystems.delete([self._tmp])


def read_spill(path: str) -> Iterator:
    """The frames of a spill file, in the order they were written."""
    with storage.open_read(path) as raw:
        stream = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)
        while header := _read_exactly(stream, _LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            yield pickle.loads(_read_exactly(stream, length))


def _read_exactly(stream, n: int) -> bytes:
    parts, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == n:
                return b""
            raise IOError(f"spill file ends inside a frame ({n - left} of {n} bytes)")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)
