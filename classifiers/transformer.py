"""The transformer tier in the pipeline: each configured classifier (from `curate train-classifier`) scores
the documents that survived every cheaper step, in batches sorted by length, on a GPU in bf16 when one is
present, else on CPU with a bounded number of threads.

Signals, for a classifier configured as <name>:
- `quality.<name>`: the predicted score of a numeric field (quality or edu, on the annotator's 0-5 scale);
  any other numeric field <f> gives `<f>.<name>`;
- `domain.<name>.<label>`: the probability of each domain label (general, code, math, reasoning);
- `topic.<name>.<label>`: the probability of each topic (science, technology, ..., arts_entertainment):
  the per-topic signals a mixture reads to cap or weight topics (`top_label` gives a document's topic).

Rules name these signals (`rules: {quality.edu_tf: {min: 2.5}}`) and reject as `transformer.<signal>`.
Which tier decides is a matter of rules: fastText's in `classifiers.quality.rules`, this tier's here, or
both (the fastText stage runs first, so this one sees only what it keeps).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from pipeline.stage import SignalFilter, StageSettings, decide
from schemas.config import Section
from schemas.document import Document


def top_label(signals: Mapping[str, float], prefix: str) -> str | None:
    """The most likely label among the signals `<prefix>.<label>` (e.g. prefix "topic.edu_tf")."""
    start = prefix + "."
    found = [(value, key[len(start) :]) for key, value in signals.items() if key.startswith(start)]
    return max(found)[1] if found else None


class TransformerModel(Section):
    path: str  # a directory written by `curate train-classifier`
    batch_size: int = Field(16, ge=1, le=1024)  # windows per forward pass: bounds memory with max_tokens
    windows: int | None = Field(None, ge=1, le=64)  # null: as trained (1 = the first max_tokens tokens)


class TransformerScorer(SignalFilter):
    """Runs every configured transformer classifier over each batch of documents."""

    name = "transformer"
    section = "classifiers"
    batched = True

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ()
        models: dict[str, TransformerModel] = {}  # name -> classifier; empty: the stage does not run
        device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: a GPU when one is present
        # CPU threads per worker: runners start one worker per core, so one thread each fills the machine
        threads: int | None = Field(1, ge=1, le=256)

        @model_validator(mode="after")
        def _known_rules(self) -> TransformerScorer.Settings:  # rules name "<field>.<model>[.<label>]"
            named = list(self.rules)
            for kind in ("domain", "lang"):
                for rules in getattr(self.overrides, kind).values():
                    named += list(rules)
            for rule in named:
                parts = rule.split(".")
                if len(parts) < 2 or parts[1] not in self.models:
                    raise ValueError(
                        f"rules.{rule}: not a signal of a configured model ({sorted(self.models)}); "
                        "rules name <field>.<model> or <field>.<model>.<label>"
                    )
            return self

    def __init__(self, settings: Settings | None = None, views=None):
        super().__init__(settings, views)
        self._classifiers: dict = {}

    def __getstate__(self) -> dict:  # models do not travel to workers: each loads them in setup()
        return {**self.__dict__, "_classifiers": {}}

    def setup(self) -> None:
        from classifiers.encoder import EncoderClassifier

        for name, model in sorted(self.settings.models.items()):
            if name not in self._classifiers:
                self._classifiers[name] = EncoderClassifier(
                    model.path, self.settings.device, self.settings.threads, model.windows
                )

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, every signal of every configured classifier."""
        self.setup()
        out: list[dict[str, float]] = [{} for _ in texts]
        for name, classifier in self._classifiers.items():
            predictions = classifier.predict(texts, self.settings.models[name].batch_size)
            for row, prediction in zip(out, predictions, strict=True):
                for task, value in prediction.items():
                    if isinstance(value, dict):
                        row.update({f"{task}.{name}.{label}": p for label, p in value.items()})
                    else:
                        row[f"{task}.{name}"] = value
        return out

    def own_signals(self, signals: Mapping[str, float]) -> dict[str, float]:
        return {
            k: v
            for k, v in signals.items()
            if len(k.split(".")) > 1 and k.split(".")[1] in self.settings.models
        }

    def decide_doc(self, signals: Mapping[str, float], domain: str | None, lang: str | None) -> list[str]:
        return decide(self.name, signals, self.settings.rules_for(domain, lang))

    def compute(self, doc: Document) -> dict[str, float]:
        return self.scores([doc.text])[0]

    def process(self, doc: Document) -> list[str]:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: list[Document]) -> list[list[str]]:
        results = []
        for doc, signals in zip(docs, self.scores([d.text for d in docs]), strict=True):
            doc.signals.update(signals)  # named by field, not by stage: quality.<name>, topic.<name>.<label>
            results.append(self.decide_doc(signals, doc.domain, doc.lang))
        return results
