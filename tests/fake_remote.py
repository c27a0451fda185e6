"""A Beam filesystem for `fakeremote://` paths that lives in memory, behaving like an object store
(no folders: a "folder" exists only as a prefix of object names). A stage that bypassed Beam's
FileSystems with open() or os.* on such a path would find nothing there and fail."""

from __future__ import annotations

import io
import time

from apache_beam.io.filesystem import CompressionTypes, FileMetadata, FileSystem

SCHEME = "fakeremote"
OBJECTS: dict[str, bytes] = {}


class _Upload(io.BytesIO):
    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def close(self) -> None:
        if not self.closed:
            OBJECTS[self._path] = self.getvalue()
        super().close()


class FakeRemoteFileSystem(FileSystem):
    @classmethod
    def scheme(cls):
        return SCHEME

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/")] + [p.strip("/") for p in paths])

    def split(self, path):
        head, _, tail = path.rstrip("/").rpartition("/")
        return head, tail

    def mkdirs(self, path):
        pass

    def has_dirs(self):
        return False

    def _list(self, dir_or_prefix):
        for path in sorted(OBJECTS):
            if path.startswith(dir_or_prefix):
                yield FileMetadata(path, len(OBJECTS[path]), time.time())

    def create(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        return _Upload(path)

    def open(self, path, mime_type="application/octet-stream", compression_type=CompressionTypes.AUTO):
        if path not in OBJECTS:
            raise FileNotFoundError(path)
        return io.BytesIO(OBJECTS[path])

    def copy(self, source_file_names, destination_file_names):
        for src, dst in zip(source_file_names, destination_file_names):
            OBJECTS[dst] = OBJECTS[src]

    def rename(self, source_file_names, destination_file_names):
        for src, dst in zip(source_file_names, destination_file_names):
            OBJECTS[dst] = OBJECTS.pop(src)

    def exists(self, path):
        return path in OBJECTS

    def size(self, path):
        return len(OBJECTS[path])

    def last_updated(self, path):
        return time.time()

    def checksum(self, path):
        return str(hash(OBJECTS[path]))

    def metadata(self, path):
        return FileMetadata(path, len(OBJECTS[path]), time.time())

    def delete(self, paths):
        for path in paths:
            for key in [k for k in OBJECTS if k == path or k.startswith(path.rstrip("/") + "/")]:
                del OBJECTS[key]


def upload_tree(local_root, remote_root: str) -> None:
    """Copy a local folder into the fake store under `remote_root`."""
    for p in sorted(local_root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            OBJECTS[f"{remote_root}/{p.relative_to(local_root).as_posix()}"] = p.read_bytes()
