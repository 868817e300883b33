"""Model-based quality scoring with fastText classifiers (Llama 3, section 3.1.1: "fasttext ... trained to
recognize if a given text would be referenced by Wikipedia", and classifiers trained on Llama 2's quality
judgements; FineWeb-Edu distills an LLM's educational-value scores the same way).

Each configured model writes `quality.<name>`: the probability of its positive label. The primary model's
probability is also `quality.score` (what the dedup keeper and the mixture read) and, when calibrated, its
corpus percentile `quality.percentile`: the share of a sample of the run's documents scoring at most as
much, built by the pipeline like the KL filter's reference (`CorpusBuilder`). Keep by threshold
(`score: {min: 0.5}`), by percentile (`percentile: {min: 0.1}` drops the lowest tenth) or per model
(`<name>: {min: ...}`).

Models are paths (local, or gs:// and s3:// through pipeline.files); train them with
`curate train-quality` (classifiers/train_quality.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import ClassVar

from pydantic import Field, model_validator

from classifiers.fasttext_model import DEFAULT_MAX_CHARS, FastTextModel
from pipeline.stage import CorpusBuilder, SignalFilter, StageSettings
from schemas.config import Section
from schemas.document import Document


class QualityModel(Section):
    """One fastText quality classifier."""

    path: str  # a fastText .bin/.ftz file (local or any filesystem the run can read)
    positive_label: str = "hq"  # the label scored (`curate train-quality` writes hq and lq)
    max_chars: int = Field(DEFAULT_MAX_CHARS, ge=100)  # characters read; keep the value it was trained with


class QualityScorer(SignalFilter):
    """Scores every document with each configured fastText model (one batch call per batch)."""

    name = "quality"
    section = "classifiers"
    batched = True

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("score", "percentile")
        models: dict[str, QualityModel] = {}  # name -> model; empty: the stage does not run
        primary: str | None = None  # the model behind quality.score; null: the first one by name
        # Documents (by id hash) whose primary scores calibrate `percentile`; 0: no percentile.
        calibration_docs: int = Field(10_000, ge=0, le=10_000_000)

        @model_validator(mode="after")
        def _known_rules(self) -> QualityScorer.Settings:  # replaces the base check: model names are signals
            known = (*self.signals, *self.models)
            named = [("rules", rule) for rule in self.rules]
            for kind in ("domain", "lang"):
                for group, rules in getattr(self.overrides, kind).items():
                    named += [(f"overrides.{kind}.{group}", rule) for rule in rules]
            for where, rule in named:
                if rule not in known:
                    raise ValueError(f"{where}.{rule}: no such signal; known: {list(known)}")
            if self.primary is not None and self.primary not in self.models:
                raise ValueError(f"primary: {self.primary!r} is not one of the models {sorted(self.models)}")
            return self

        @property
        def primary_name(self) -> str | None:
            return self.primary or (min(self.models) if self.models else None)

    def __init__(self, settings: Settings | None = None, views=None):
        super().__init__(settings, views)
        self.models = {
            name: FastTextModel(model.path, model.max_chars)
            for name, model in sorted(self.settings.models.items())
        }
        self.calibration: list[float] | None = None

    def setup(self) -> None:
        for model in self.models.values():
            model.load()

    def corpus_builder(self) -> CorpusBuilder | None:
        if not self.models or self.settings.calibration_docs == 0:
            return None
        return QualityCalibration(self, self.settings.calibration_docs)

    def bind(self, value: object) -> None:
        self.calibration = value  # sorted primary scores of the calibration sample

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, model name -> probability of the positive label."""
        out: list[dict[str, float]] = [{} for _ in texts]
        for name, model in self.models.items():
            positive = self.settings.models[name].positive_label
            for row, probs in zip(out, model.probabilities_batch(texts), strict=True):
                row[name] = probs.get(positive, 0.0)
        return out

    def percentile(self, score: float) -> float | None:
        if not self.calibration:
            return None
        return bisect_right(self.calibration, score) / len(self.calibration)

    def _signals(self, scores: dict[str, float]) -> dict[str, float]:
        signals = dict(scores)
        primary = self.settings.primary_name
        if primary is not None:
            signals["score"] = scores[primary]
            percentile = self.percentile(scores[primary])
            if percentile is not None:
                signals["percentile"] = percentile
        return signals

    def compute(self, doc: Document) -> dict[str, float]:
        return self._signals(self.scores([doc.text])[0])

    def process_batch(self, docs: list[Document]) -> list[list[str]]:
        results = []
        for doc, scores in zip(docs, self.scores([doc.text for doc in docs]), strict=True):
            signals = self._signals(scores)
            doc.signals.update({f"{self.name}.{key}": value for key, value in signals.items()})
            results.append(self.decide_doc(signals, doc.domain, doc.lang))
        return results


class QualityCalibration(CorpusBuilder):
    """The primary model's scores over a sample of the run (the documents of greatest id hash, as chosen
    by the pipeline), sorted: `quality.percentile` is a document's rank among them."""

    def __init__(self, scorer: QualityScorer, sample_docs: int):
        self.scorer = scorer
        self.sample_docs = sample_docs
        self.scores: list[float] = []

    def add(self, doc: Document) -> QualityCalibration:
        primary = self.scorer.settings.primary_name
        self.scores.append(self.scorer.scores([doc.text])[0][primary])
        return self

    def merge(self, others: Iterable[QualityCalibration]) -> QualityCalibration:
        for other in others:
            self.scores.extend(other.scores)
        return self

    def finalize(self) -> list[float]:
        return sorted(self.scores)
