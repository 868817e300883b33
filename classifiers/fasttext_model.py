"""fastText text classifiers (quality, domain): one text normalization for training and prediction, loading
from any path the pipeline can read, and training from labeled texts.

fastText reads one line of space-separated tokens; `normalize` lowercases the text, splits punctuation off
words and joins everything on one line, as the preprocessing of fastText's own text classification
examples does. Training and prediction both go through it, so a model never sees text shaped differently
from what it learned on.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.files import local_path

LABEL_PREFIX = "__label__"
NORMALIZATION = "lower-wordpunct-v1"  # saved beside trained models; bump when `normalize` changes
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Characters of a document the classifier reads, in training and prediction: about 1,000 tokens, twice the
# 512-token window of FineWeb-Edu's classifier (a page's quality shows in its beginning). Reading costs
# ~40 us per 1,000 characters on one core, so the window sets the throughput (bench/classify.py fasttext).
DEFAULT_MAX_CHARS = 5_000


def normalize(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The one line of tokens fastText reads for `text`: lowercased, punctuation split off, truncated."""
    return " ".join(_TOKEN.findall(text[:max_chars].lower()))


def load_fasttext(path: str):
    """The fastText model at `path`, loaded once per process: models are read-only, so every stage instance
    Beam makes shares one, and local workers share the one their worker server loaded. A local file
    rewritten since (a model retrained in place) is loaded again."""
    stat = os.stat(path) if os.path.exists(path) else None
    return _load_fasttext(path, stat and (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _load_fasttext(path: str, version: tuple[int, int] | None):
    import fasttext

    with local_path(path) as local:
        return fasttext.load_model(local)


class FastTextModel:
    """A supervised fastText model at a path, loaded on first use (once per worker); pickles as its path."""

    def __init__(self, path: str, max_chars: int = DEFAULT_MAX_CHARS):
        self.path = path
        self.max_chars = max_chars
        self._model = None

    def __getstate__(self) -> dict:  # the C++ model does not pickle: each worker loads it in setup()
        return {**self.__dict__, "_model": None}

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            self._model = load_fasttext(self.path)
        except FileNotFoundError:
            raise FileNotFoundError(f"model file not found: {self.path}") from None
        except ValueError as exc:
            raise ValueError(f"{self.path}: not a fastText model ({exc})") from None

    def probabilities(self, text: str) -> dict[str, float]:
        """Label (without the __label__ prefix) -> probability, for every label of the model."""
        return self.probabilities_batch([text])[0]

    def probabilities_batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        self.load()
        lines = [normalize(text, self.max_chars) for text in texts]
        labels, probs = self._model.predict(lines, k=-1, threshold=0.0)
        return [
            {label.removeprefix(LABEL_PREFIX): min(float(p), 1.0) for label, p in zip(ls, ps, strict=True)}
            for ls, ps in zip(labels, probs, strict=True)
        ]


@dataclass(frozen=True)
class TrainParams:
    """fastText supervised training parameters. wordNgrams=2 (bigrams), as fastText's text classification
    tutorial recommends; one thread and a fixed seed make training deterministic."""

    epoch: int = 20
    lr: float = 0.5
    dim: int = 64
    word_ngrams: int = 2
    min_count: int = 2
    bucket: int = 2_000_000
    threads: int = 1
    seed: int = 0
    max_chars: int = DEFAULT_MAX_CHARS


def train(samples: Iterable[tuple[str, str]], out: str, params: TrainParams = TrainParams()):
    """Train on (label, text) pairs and save the model at `out`; returns the fastText model."""
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as handle:
        count = 0
        for label, text in samples:
            if any(c.isspace() for c in label) or not label:
                raise ValueError(f"label {label!r}: labels are single words")
            line = normalize(text, params.max_chars)
            if line:
                handle.write(f"{LABEL_PREFIX}{label} {line}\n")
                count += 1
        path = handle.name
    try:
        if count == 0:
            raise ValueError("no training text: every sample was empty")
        model = fasttext.train_supervised(
            input=path, epoch=params.epoch, lr=params.lr, dim=params.dim, wordNgrams=params.word_ngrams,
            minCount=params.min_count, bucket=params.bucket, thread=params.threads, seed=params.seed,
            verbose=0,
        )
    finally:
        os.unlink(path)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    model.save_model(out)
    return model
