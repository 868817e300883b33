"""Token-distribution KL-divergence filter: Llama 3 removes "documents containing excessive numbers of
outlier tokens compared to the training corpus distribution" (Dubey et al. 2024, section 3.1.1) without
defining the score. Ours, precisely:

    score(doc) = KL(P_doc || P_ref) = sum_t p(t) * ln(p(t) / q(t))      (nats)

- p(t) = n_t / n: the document's empirical unigram distribution over its n tokens (no smoothing needed:
  the sum runs over tokens the document contains).
- q(t) = (c_t + alpha) / (N + alpha * (V + 1)) for a token of the reference vocabulary (V tokens, N
  token occurrences, c_t its count) and alpha / (N + alpha * (V + 1)) for any other token: additive
  (Lidstone) smoothing with one pseudo-type standing for every token the reference never saw.
- No score below `min_tokens` tokens: the empirical distribution of a short text is too peaked.
- `percentile`: the share of a calibration sample of reference documents scoring at most this much, so
  a threshold can be set as a corpus percentile ("percentile" rule) or absolute ("score" rule).

A base64 blob, a list of hashes or text in another script is made of tokens the reference never saw and
scores near ln(1 / (n * q_unseen)); prose of the corpus scores a few nats lower. The score falls slowly
with document length (longer documents have a flatter p), so prefer the percentile rule with a
`min_tokens` suited to the corpus.

The reference is built by `ReferenceBuilder` (add / merge / finalize: the accumulator of a Beam
CombineFn over a sample of the run) or loaded from a file (`save` / `load`).
"""

from __future__ import annotations

import heapq
import json
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress, repeat
from operator import mul
from typing import ClassVar

from pydantic import Field

from pipeline.files import read_bytes, require, write_bytes
from pipeline.stage import Bounds, CorpusBuilder, RuleMap, RuleOverrides, SignalFilter, StageSettings
from pipeline.text import TextViews
from schemas.document import Document
from schemas.hashing import stable_hash

FORMAT = "pretrain-curator/unigram-reference"
VERSION = 1


class UnigramReference:
    """A smoothed unigram distribution with the sorted KL scores of its calibration documents."""

    def __init__(
        self,
        counts: Mapping[str, int],
        smoothing: float,
        tokenizer: str,
        calibration_scores: Sequence[float] = (),
    ):
        if smoothing <= 0:
            raise ValueError("KL reference smoothing must be > 0")
        self.counts = dict(counts)
        self.smoothing = smoothing
        self.tokenizer = tokenizer
        total = sum(self.counts.values())
        denominator = total + smoothing * (len(self.counts) + 1)
        self.log_unseen = math.log(smoothing / denominator)
        self._log_q = {t: math.log((c + smoothing) / denominator) for t, c in self.counts.items()}
        self.calibration_scores = sorted(calibration_scores)

    def score(self, token_counts: Mapping[str, int]) -> tuple[float, float]:
        """(KL(P_doc || P_ref) in nats, share of token occurrences outside the vocabulary).

        KL = (sum_t c_t ln c_t - sum_t c_t ln q_t) / n - ln n, with c_t the document's counts: the sums
        run in C (map) rather than a Python loop over the document's types.
        """
        counts = list(token_counts.values())
        n = sum(counts)
        log_q = list(map(self._log_q.get, token_counts, repeat(self.log_unseen)))
        kl = (sum(map(mul, counts, map(math.log, counts))) - sum(map(mul, counts, log_q))) / n - math.log(n)
        # a seen token's q is above alpha / D, so q == q_unseen marks exactly the unseen ones
        unseen = sum(compress(counts, map(self.log_unseen.__eq__, log_q)))
        return kl, unseen / n

    def percentile(self, score: float) -> float | None:
        """Share of calibration documents scoring at most `score`; None without calibration."""
        scores = self.calibration_scores
        return bisect_right(scores, score) / len(scores) if scores else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "tokenizer": self.tokenizer,
                "smoothing": self.smoothing,
                "calibration_scores": self.calibration_scores,
                "counts": self.counts,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> UnigramReference:
        data = json.loads(text)
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"not a {FORMAT} v{VERSION} file (format={data.get('format')!r})")
        return cls(data["counts"], data["smoothing"], data["tokenizer"], data["calibration_scores"])

    def save(self, path: str) -> None:
        write_bytes(path, self.to_json().encode("utf-8"))

    @classmethod
    def load(cls, path: str) -> UnigramReference:
        return cls.from_json(read_bytes(path).decode("utf-8"))


class ReferenceBuilder(CorpusBuilder):
    """Accumulates the reference: token counts over every added document, plus a calibration sample.

    The calibration sample is the `calibration_docs` documents with the smallest id hashes (bottom-k
    sampling), so merging partial builders in any order gives the same reference on any runner.
    Memory grows with the distinct tokens of the sample the pipeline feeds in (its size is a setting).
    """

    def __init__(self, settings: KLDivergence.Settings, views: TextViews):
        self.views = views
        self.min_tokens = settings.min_tokens
        self.max_vocab = settings.max_vocab
        self.calibration_docs = settings.calibration_docs
        self.smoothing = settings.smoothing
        self.sample_docs = settings.sample_docs
        self.counts: Counter[str] = Counter()
        self.calibration: list[tuple[int, dict[str, int]]] = []  # (id hash, token counts), sorted

    def add(self, doc: Document) -> ReferenceBuilder:
        tokens = self.views.of(doc).tokens
        self.counts.update(tokens)
        if len(tokens) >= self.min_tokens and self.calibration_docs > 0:
            self._keep([(stable_hash(doc.id), dict(Counter(tokens)))])
        return self

    def merge(self, others: Iterable[ReferenceBuilder]) -> ReferenceBuilder:
        for other in others:
            self.counts.update(other.counts)
            self._keep(other.calibration)
        return self

    def _keep(self, entries: Iterable[tuple[int, dict[str, int]]]) -> None:
        merged = heapq.merge(self.calibration, sorted(entries, key=lambda e: e[0]), key=lambda e: e[0])
        self.calibration = list(merged)[: self.calibration_docs]

    def finalize(self) -> UnigramReference:
        """The `max_vocab` most frequent tokens (ties by token, for determinism), calibrated."""
        top = self.counts.items()
        if len(self.counts) > self.max_vocab:  # a sort of the whole vocabulary only when it is cut
            top = heapq.nsmallest(self.max_vocab, top, key=lambda item: (-item[1], item[0]))
        reference = UnigramReference(dict(top), self.smoothing, self.views.tokenizer_id)
        reference.calibration_scores = sorted(reference.score(c)[0] for _, c in self.calibration)
        return reference


class KLDivergence(SignalFilter):
    """Scores each document against the reference; rules on "score" (absolute) or "percentile"."""

    name = "kl"
    order = 90  # after the cheap filters: its reference is built from the documents they keep

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("tokens", "score", "percentile", "oov_ratio")
        # No published value: Llama 3 gives only the intent. Dropping the top 1% of the corpus is ours.
        rules: RuleMap = {"percentile": Bounds(max=0.99)}
        overrides: RuleOverrides = RuleOverrides(
            # code and math have their own vocabularies; other languages are far from a reference built
            # mostly from the target language
            domain={"code": {"percentile": None}, "math": {"percentile": None},
                    "multilingual": {"percentile": None}},
        )
        reference: str | None = None  # a file from `curate reference`; null: built in the run from a sample
        sample_docs: int = Field(10_000, ge=100, le=10_000_000)  # documents the in-run reference reads
        min_tokens: int = Field(50, ge=1, le=100_000)  # no score for shorter documents
        smoothing: float = Field(1.0, gt=0, le=1000)  # additive (Lidstone) smoothing of the reference
        max_vocab: int = Field(200_000, ge=1_000, le=10_000_000)
        calibration_docs: int = Field(1_000, ge=0, le=100_000)  # reference documents behind `percentile`

    def __init__(self, settings: Settings | None = None, views: TextViews | None = None):
        super().__init__(settings, views)
        self._reference: UnigramReference | None = None

    def check(self) -> None:
        if self.settings.reference:
            require(self.settings.reference, "filters.kl.reference")

    def setup(self) -> None:
        if self._reference is None and self.settings.reference:
            self.reference = UnigramReference.load(self.settings.reference)

    def corpus_builder(self) -> ReferenceBuilder | None:
        return None if self.settings.reference else ReferenceBuilder(self.settings, self.views)

    @property
    def reference(self) -> UnigramReference | None:
        """The distribution scored against: set it from a side input or a loaded file."""
        return self._reference

    @reference.setter
    def reference(self, reference: UnigramReference | None) -> None:
        if reference is not None and reference.tokenizer != self.views.tokenizer_id:
            raise ValueError(
                f"KL reference was built with tokenizer {reference.tokenizer!r}, "
                f"but this run tokenizes with {self.views.tokenizer_id!r}"
            )
        self._reference = reference

    def bind(self, value: object) -> None:
        if value is not self._reference:
            self.reference = value

    def compute(self, doc: Document) -> dict[str, float]:
        if self.reference is None:
            raise RuntimeError("KL filter has no reference distribution: build or load one first")
        tokens = self.views.of(doc).tokens
        signals: dict[str, float] = {"tokens": len(tokens)}
        if len(tokens) >= self.settings.min_tokens:
            signals["score"], signals["oov_ratio"] = self.reference.score(Counter(tokens))
            percentile = self.reference.percentile(signals["score"])
            if percentile is not None:
                signals["percentile"] = percentile
        return signals
