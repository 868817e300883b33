"""File access for engine-free code: local files by default, any filesystem once an engine plugs one in.

Model files, word lists and references are config values that may name gs:// or s3:// paths on a cluster.
The Beam layer installs Beam's FileSystems here when it is imported, so the same stage code reads them on
every worker; without it (plain Python use), paths are local.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

Opener = Callable[[str, str], BinaryIO]  # (path, "rb" | "wb") -> binary file object


def _local(path: str, mode: str) -> BinaryIO:
    if "://" in path:
        raise OSError(f"{path}: no filesystem for this scheme outside a pipeline run")
    return open(path, mode)  # noqa: SIM115 - the caller closes it


_opener: Opener = _local


def set_opener(opener: Opener) -> None:
    """Route every file this package opens through `opener` (the engine's filesystems)."""
    global _opener
    _opener = opener


def open_file(path: str, mode: str = "rb") -> BinaryIO:
    if mode not in ("rb", "wb"):
        raise ValueError(f"mode must be 'rb' or 'wb', not {mode!r}")
    return _opener(path, mode)


def read_bytes(path: str) -> bytes:
    with open_file(path, "rb") as handle:
        return handle.read()


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


def write_bytes(path: str, data: bytes) -> None:
    with open_file(path, "wb") as handle:
        handle.write(data)
