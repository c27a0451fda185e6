"""Streaming decompression shared by the readers: zstd that notices truncation, magic-byte
detection, and a reader that caps how many bytes a stream may inflate to (decompression bombs)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma

import zstandard


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


class InflateCapExceeded(ValueError):
    pass


class InflateBudget:
    """How many bytes one input may inflate to, shared by every stream opened inside it."""

    def __init__(self, cap: int):
        self.cap, self.used = cap, 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.cap:
            raise InflateCapExceeded(f"inflated past {self.cap:,} bytes (max_inflated_bytes)")


class CappedReader(io.RawIOBase):
    """Charges every byte read through it to an InflateBudget (which raises past its cap)."""

    def __init__(self, raw, budget: InflateBudget):
        self._raw, self._budget = raw, budget

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        data = self._raw.read(len(out))
        self._budget.take(len(data))
        out[: len(data)] = data
        return len(data)


MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))


def compression_of(head: bytes) -> str | None:
    return next((name for magic, name in MAGIC if head.startswith(magic)), None)


class Read1Reader(io.RawIOBase):
    """A raw stream over GzipFile/BZ2File/LZMAFile that reads with ``read1`` (one chunk at a time).

    Their ``read(n)`` loops until n bytes and, when the input is truncated, raises and loses every
    byte it had decoded in that call; ``read1`` hands each chunk over first, so a truncated file
    keeps everything up to the cut.
    """

    def __init__(self, stream):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        data = self._stream.read1(len(out))
        out[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def decompressed(raw, compression: str | None):
    """A binary stream of `raw` decompressed (`compression` from `compression_of`, None = as is)."""
    if compression == "gzip":
        return Read1Reader(gzip.GzipFile(fileobj=raw))
    if compression == "bz2":
        return Read1Reader(bz2.BZ2File(raw))
    if compression == "xz":
        return Read1Reader(lzma.LZMAFile(raw))
    if compression == "zstd":
        return _ZstdReader(raw)
    return raw


DECOMPRESSION_ERRORS = (OSError, EOFError, ValueError, zstandard.ZstdError, lzma.LZMAError)
