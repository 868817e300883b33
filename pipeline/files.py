"""File access for engine-free code: local files by default, any filesystem once an engine plugs one in.

Model files, word lists and references are config values that may name gs:// or s3:// paths on a cluster.
The Beam layer installs Beam's FileSystems here when it is imported, so the same stage code reads them on
every worker; without it (plain Python use), paths are local.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

Opener = Callable[[str, str], BinaryIO]  # (path, "rb" | "wb") -> binary file object
Exists = Callable[[str], bool]


def _local(path: str, mode: str) -> BinaryIO:
    if "://" in path:
        raise OSError(f"{path}: no filesystem for this scheme outside a pipeline run")
    return open(path, mode)  # noqa: SIM115 - the caller closes it


def _local_exists(path: str) -> bool:
    return "://" not in path and os.path.isfile(path)


_opener: Opener = _local
_exists: Exists = _local_exists


def set_filesystem(opener: Opener, exists: Exists) -> None:
    """Route every file this package opens through `opener` (the engine's filesystems)."""
    global _opener, _exists
    _opener, _exists = opener, exists


def open_file(path: str, mode: str = "rb") -> BinaryIO:
    if mode not in ("rb", "wb"):
        raise ValueError(f"mode must be 'rb' or 'wb', not {mode!r}")
    return _opener(path, mode)


def exists(path: str) -> bool:
    return _exists(path)


def require(path: str, key: str) -> None:
    """Raises FileNotFoundError naming the config key when `path` does not exist (checked before a run)."""
    if not exists(path):
        raise FileNotFoundError(f"{key}: no such file: {path}")


@contextmanager
def local_path(path: str) -> Iterator[str]:
    """A local path holding the file, for libraries that open paths, not streams (fastText): the path
    itself when local, else a temporary copy deleted on exit."""
    if "://" not in path:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such file: {path}")
        yield path
        return
    suffix = os.path.splitext(path)[1]
    with tempfile.NamedTemporaryFile(prefix="curate-", suffix=suffix) as handle:
        handle.write(read_bytes(path))
        handle.flush()
        yield handle.name


def read_bytes(path: str) -> bytes:
    with open_file(path, "rb") as handle:
        return handle.read()


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


def write_bytes(path: str, data: bytes) -> None:
    with open_file(path, "wb") as handle:
        handle.write(data)
