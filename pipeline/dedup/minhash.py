"""Near-duplicate sketches of a text's word n-gram shingles: MinHash signatures for LSH candidates and a
bottom-k sketch that decides a candidate pair on the Jaccard similarity of the shingle sets.

Shingles are hashed without building n-gram strings: each normalized word gets a stable CRC-32, and an
n-gram's 64-bit hash is a polynomial of its words' hashes, computed for all positions at once in numpy.
datasketch applies the MinHash permutations to those hashes in one vectorized call.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from pipeline.dedup.keys import fold
from schemas.config import MinHashDedupConfig
from schemas.hashing import stable_hash

_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: the polynomial's base (uint64 arithmetic wraps)
# Shingle hashes a verification sketch keeps (32 bits each): documents with fewer are compared exactly;
# for longer ones the estimate of a Jaccard of 0.8 has a standard deviation of at most 0.009, so a pair is
# decided within +/- 0.02 of the threshold.
SKETCH_SIZE = 2048


# Chinese and Japanese are written without spaces: each character counts as a word of its own.
# The words of `normalize_text` are the runs of word characters but "_" of the folded text: found in one
# pass, with no normalized string built. A CJK character that is a letter (not "・") is a word alone.
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CHARS}]")
_WORD = re.compile(r"[^\W_]+")
_CJK_OR_WORD = re.compile(f"[{_CJK_CHARS}](?<!\\W)|[^\\W_{_CJK_CHARS}]+")


def shingle_words(text: str) -> list[str]:
    """The normalized words shingles are made of (`normalize_text`'s words; a CJK character is a word)."""
    folded = fold(text)
    return (_CJK_OR_WORD if _CJK.search(folded) else _WORD).findall(folded)


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the word n-grams of the normalized text (one for a shorter text)."""
    words = shingle_words(text)
    if not words:
        return np.empty(0, dtype=np.uint64)
    # each distinct word hashed once (a page uses each of its words ~3 times), then looked up in C
    crc = {w: zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in set(words)}
    ids = np.fromiter(map(crc.__getitem__, words), dtype=np.uint64, count=len(words))
    count = max(1, len(words) - n + 1)
    grams = np.zeros(count, dtype=np.uint64)
    for k in range(min(n, len(words))):
        grams = grams * _BASE + ids[k : k + count]
    return np.unique(grams)


def shingles(text: str, n: int) -> set[str]:
    """The word n-grams themselves (for tests and benchmarks that compute Jaccard by brute force)."""
    words = shingle_words(text)
    return {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))} if words else set()


def band_layout(settings: MinHashDedupConfig) -> tuple[int, int]:
    """(bands, rows): as configured, or datasketch's optimum for `threshold` when both are None."""
    if settings.bands is not None and settings.rows is not None:
        return settings.bands, settings.rows
    from datasketch.lsh import _optimal_param  # with scipy: loaded where documents are signed, not at launch

    return _optimal_param(settings.threshold, settings.num_perm, 0.5, 0.5)


@dataclass(frozen=True)
class Sketches:
    """What dedup keeps of one document: its MinHash signature and its verification sketch."""

    signature: bytes  # num_perm little-endian uint32
    sketch: bytes  # the SKETCH_SIZE smallest 32-bit shingle hashes, sorted little-endian uint32
    complete: bool  # the sketch holds every shingle (the document has at most SKETCH_SIZE)


@dataclass(frozen=True)
class Signer:
    """Computes sketches; permutations are drawn once from the fixed seed, so every worker agrees."""

    settings: MinHashDedupConfig
    bands: int = field(init=False)
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        from datasketch import MinHash

        bands, rows = band_layout(self.settings)
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "rows", rows)
        # Drawing permutations costs more than hashing a short page: share them across documents.
        seed = MinHash(self.settings.num_perm, seed=self.settings.seed, scheme="affine32")
        object.__setattr__(self, "_permutations", seed.permutations)
        object.__setattr__(self, "_minhash", MinHash)

    def sketches(self, text: str) -> Sketches | None:
        """None for a text without words."""
        hashes = shingle_hashes(text, self.settings.ngram)
        if not len(hashes):
            return None
        # The shingle hashes are the values: `int` is the identity on Python ints and datasketch calls
        # it per value, in C (a Python identity function over numpy scalars cost as much as the hashing).
        minhash = self._minhash(
            self.settings.num_perm, seed=self.settings.seed, hashfunc=int,
            permutations=self._permutations, scheme="affine32",
        )
        short = np.unique(((hashes >> np.uint64(32)) ^ hashes).astype(np.uint32))  # sorted, distinct
        minhash.update_batch(short.tolist())
        signature = minhash.hashvalues.astype("<u4").tobytes()
        return Sketches(signature, short[:SKETCH_SIZE].astype("<u4").tobytes(), len(short) <= SKETCH_SIZE)

    def band_keys(self, signature: bytes) -> list[int]:
        """One 63-bit key per band from the band's index and rows: equal keys make a candidate pair."""
        width = 4 * self.rows
        return [
            stable_hash(band.to_bytes(2, "big") + signature[band * width : (band + 1) * width], 64) >> 1
            for band in range(self.bands)
        ]


def signature_similarity(a: bytes, b: bytes) -> float:
    """Jaccard estimate of two MinHash signatures: the share of equal values."""
    left, right = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(left == right)) / len(left)


def sketch_similarity(a: Sketches, b: Sketches) -> float:
    """Jaccard similarity of two documents' shingle sets: exact when both sketches are complete, else the
    bottom-k estimate (the share of the k smallest hashes of the union that both sets hold)."""
    left = np.frombuffer(a.sketch, dtype="<u4")
    right = np.frombuffer(b.sketch, dtype="<u4")
    union = np.union1d(left, right)
    if not (a.complete and b.complete):
        # below the largest hash of an incomplete sketch its set is fully known: compare below both only
        limit = min(left[-1] if not a.complete else union[-1], right[-1] if not b.complete else union[-1])
        union = union[union <= limit]
    both = np.intersect1d(np.intersect1d(left, right, assume_unique=True), union, assume_unique=True)
    return len(both) / len(union) if len(union) else 0.0
