"""The block classifier: boosted oblivious trees read from a small JSON file, scored with numpy.

An oblivious tree asks the same question of every node on a level (CatBoost's symmetric trees), so
a tree of depth d is d (feature, threshold) pairs and 2^d leaf values, and a whole forest scores
all blocks of a page in five numpy calls: compare, reshape, binary leaf index, gather, sum. That is
what keeps a learned decision cheap enough for every page of a crawl. The trees are trained by
`bench/extract/train_blocks.py` (numpy only); a worker needs nothing else.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# gzip of the JSON (8 KB; 34 KB as text): 120 trees of depth 5, values to 3 decimals.
MODEL_PATH = Path(__file__).with_name("data") / "blocks.json.gz"


@dataclass(frozen=True)
class BlockModel:
    """`feature` and `threshold` hold (trees x depth) splits, `value` (trees x 2^depth) leaf values
    in log-odds; a row goes right on a level when its feature exceeds the threshold."""

    features: tuple[str, ...]
    baseline: float
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    threshold_keep: float  # keep a block whose probability is at least this

    @classmethod
    def from_json(cls, data: dict) -> BlockModel:
        trees = data["trees"]
        return cls(
            features=tuple(data["features"]),
            baseline=float(data["baseline"]),
            feature=np.array([[f for f, _ in t["splits"]] for t in trees], dtype=np.intp).ravel(),
            threshold=np.array([[v for _, v in t["splits"]] for t in trees], dtype=np.float64).ravel(),
            value=np.array([t["values"] for t in trees], dtype=np.float64),
            threshold_keep=float(data["threshold_keep"]),
        )

    def to_json(self) -> dict:
        depth = self.value.shape[1].bit_length() - 1
        splits = zip(
            self.feature.reshape(-1, depth).tolist(), self.threshold.reshape(-1, depth).tolist(), strict=True
        )
        return {
            "features": list(self.features),
            "baseline": self.baseline,
            "threshold_keep": self.threshold_keep,
            "trees": [
                {"splits": [[f, t] for f, t in zip(fs, ts, strict=True)], "values": values}
                for (fs, ts), values in zip(splits, self.value.tolist(), strict=True)
            ],
        }

    @functools.cached_property
    def _values(self) -> np.ndarray:
        return self.value.ravel()

    @functools.cached_property
    def _offsets(self) -> np.ndarray:
        """Where each tree's leaves start in `_values` (a column: one row per tree)."""
        trees, leaves = self.value.shape
        return (np.arange(trees) * leaves)[:, None]

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        trees, leaves = self.value.shape
        depth = leaves.bit_length() - 1
        # Feature by feature (rows of x.T), so gathers copy contiguous rows when x is stored that way.
        right = (x.T[self.feature] > self.threshold[:, None]).reshape(trees, depth, len(x))
        leaf = right[:, 0].astype(np.intp)
        for level in range(1, depth):
            leaf <<= 1
            leaf |= right[:, level]
        leaf += self._offsets
        # Summed over trees along contiguous rows, in the same order whatever the layout above.
        return self.baseline + np.ascontiguousarray(self._values.take(leaf).T).sum(axis=1)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """P(main content) for each row of features."""
        if not len(x):
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.log_odds(x)))


@functools.lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> BlockModel:
    """The model at `path` (JSON, gzipped when the name ends in .gz; the shipped one by default),
    checked against the feature list."""
    from pipeline.extract.blocks import FEATURES

    data = Path(path).read_bytes()
    model = BlockModel.from_json(json.loads(gzip.decompress(data) if path.endswith(".gz") else data))
    if model.features != FEATURES:
        raise ValueError(f"{path} was trained on other features than pipeline/extract/blocks.py computes")
    return model
