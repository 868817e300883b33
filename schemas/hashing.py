"""The project's one stable hash: the same value on every machine, process and runner (unlike `hash()`)."""

from __future__ import annotations

import hashlib


def stable_hash(data: str | bytes, bits: int = 64) -> int:
    """Unsigned blake2b digest of `data` as an int of `bits` bits (a multiple of 8, at most 512).

    Used for shard assignment, sampling, bucket keys and id ranks. Lone surrogates in `data` are encoded
    as they are, so text that is not valid UTF-8 still hashes.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return int.from_bytes(hashlib.blake2b(raw, digest_size=bits // 8).digest(), "big")


def stable_id(source_uri: str, record_id: str) -> str:
    """Document id from where the record came from: the same input gives the same id on any runner.

    A sha1 hex string: the id format of every shard written so far, kept for compatibility.
    """
    return hashlib.sha1(f"{source_uri}\x00{record_id}".encode("utf-8", "surrogatepass")).hexdigest()
