"""MinHash signatures of word n-gram shingles (datasketch) and their LSH band keys."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from pipeline.dedup.keys import normalize_text
from schemas.config import MinHashDedupConfig
from schemas.hashing import stable_hash


def shingles(text: str, n: int) -> list[bytes]:
    """Distinct word n-grams of the normalized text; a text shorter than n words is one shingle."""
    words = normalize_text(text).split()
    if not words:
        return []
    grams = {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}
    return [g.encode("utf-8", "surrogatepass") for g in sorted(grams)]


def band_layout(settings: MinHashDedupConfig) -> tuple[int, int]:
    """(bands, rows): as configured, or datasketch's optimum for `threshold` when both are None."""
    if settings.bands is not None and settings.rows is not None:
        if settings.bands * settings.rows > settings.num_perm:
            raise ValueError(f"bands x rows = {settings.bands * settings.rows} exceeds num_perm")
        return settings.bands, settings.rows
    if settings.bands is not None or settings.rows is not None:
        raise ValueError("set both bands and rows, or neither to derive them from the threshold")
    return _optimal_param(settings.threshold, settings.num_perm, 0.5, 0.5)


@dataclass(frozen=True)
class Signer:
    """Computes signatures; the permutations are drawn once from the fixed seed, so workers agree."""

    settings: MinHashDedupConfig

    def __post_init__(self) -> None:
        bands, rows = band_layout(self.settings)
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "rows", rows)
        # Drawing permutations costs more than hashing a short page: share them across documents.
        seed = MinHash(self.settings.num_perm, seed=self.settings.seed)
        object.__setattr__(self, "_permutations", seed.permutations)

    def signature(self, text: str) -> bytes | None:
        """The MinHash values of the text's shingles as little-endian uint32 bytes; None without words."""
        grams = shingles(text, self.settings.ngram)
        if not grams:
            return None
        sketch = MinHash(
            self.settings.num_perm, seed=self.settings.seed, permutations=self._permutations,
            scheme="affine32",
        )
        sketch.update_batch(grams)
        return sketch.hashvalues.astype("<u4").tobytes()

    def band_keys(self, signature: bytes) -> list[bytes]:
        """One key per band: the band index and a digest of its rows (equal keys = candidate pair)."""
        width = 4 * self.rows
        return [
            band.to_bytes(2, "big")
            + stable_hash(signature[band * width : (band + 1) * width], 96).to_bytes(12, "big")
            for band in range(self.bands)
        ]


def similarity(a: bytes, b: bytes) -> float:
    """Jaccard estimate of two signatures: the share of equal MinHash values."""
    left, right = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(left == right)) / len(left)
