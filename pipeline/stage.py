"""The stage interface: plain Python on a Document, the same for every kind of stage.

A stage records its scores in `doc.signals` as "<stage>.<signal>" and returns the rules the document
fails as "<stage>.<rule>". A `SignalFilter` separates the two steps: `compute` measures, `decide` compares
the measures with its `Bounds`, so `curate tune` can re-decide from stored signals without recomputing.
Defining a `SignalFilter` subclass with a `name` and a `Settings` model registers it: `pipeline.registry`
finds it and the config validates its section (docs/adding-a-filter.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pipeline.text import TextViews
from schemas.config import Bounds, RuleMap, RuleOverrides, StageSettings, register_stage_settings
from schemas.document import Document

__all__ = [
    "Bounds", "CorpusBuilder", "RuleMap", "RuleOverrides", "SignalFilter", "Stage", "StageSettings", "decide",
]


def decide(stage: str, signals: Mapping[str, float], rules: Mapping[str, Bounds]) -> list[str]:
    """Names ("<stage>.<rule>") of the rules whose signal is present and out of bounds."""
    return [
        f"{stage}.{name}" for name, bounds in rules.items() if name in signals and bounds.fails(signals[name])
    ]


class CorpusBuilder:
    """Accumulates a value over a sample of the documents reaching a stage (add / merge / finalize, as a
    Beam CombineFn); the pipeline hands the result to the stage's `bind`."""

    def add(self, doc: Document) -> CorpusBuilder:
        raise NotImplementedError

    def merge(self, others: list[CorpusBuilder]) -> CorpusBuilder:
        raise NotImplementedError

    def finalize(self) -> Any:
        raise NotImplementedError


class Stage:
    """One per-document step of the pipeline. Subclasses set `name` and implement `process`."""

    name: ClassVar[str] = ""
    # True when `process_batch` does better than one `process` per document (a model's batch call).
    batched: ClassVar[bool] = False

    def check(self) -> None:
        """Raise (naming the config key) when a file or model the stage needs is missing: called on the
        launcher before the run starts, so a bad path fails in seconds, not on every worker."""

    def setup(self) -> None:
        """Load models or data; called once per worker before the first document."""

    def corpus_builder(self) -> CorpusBuilder | None:
        """An accumulator for a value the stage needs from the corpus itself (e.g. the KL reference), or
        None when the stage needs none or already has it."""
        return None

    def bind(self, value: object) -> None:
        """Receive the value `corpus_builder` accumulated, before the first document."""
        raise TypeError(f"stage {self.name!r} takes no corpus value")

    def process(self, doc: Document) -> list[str]:
        """Update `doc` (text, signals, fields) and return the rules it fails; empty means it passes."""
        raise NotImplementedError

    def process_batch(self, docs: list[Document]) -> list[list[str]]:
        """`process` over many documents. A batched stage changes no document unless all succeed, so the
        runner can retry a failed batch one document at a time to find the one at fault."""
        return [self.process(doc) for doc in docs]


class SignalFilter(Stage):
    """A stage that computes signals and decides from threshold rules alone.

    Subclasses set `name`, `Settings` (a `StageSettings` model: switch, rules and their sources) and
    implement `compute`. `section` is the config section the settings live in; `order` places a filter
    among the heuristic filters (smaller first; ties by name).
    """

    Settings: ClassVar[type[StageSettings]] = StageSettings
    section: ClassVar[str] = "filters"
    order: ClassVar[int] = 50

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name and cls.Settings is not StageSettings:
            register_stage_settings(cls.section, cls.name, cls.Settings)

    def __init__(self, settings: StageSettings | None = None, views: TextViews | None = None):
        self.settings = settings if settings is not None else self.Settings()
        self.views = views or TextViews()

    def compute(self, doc: Document) -> dict[str, float]:
        """The filter's signals, keyed without the stage prefix."""
        raise NotImplementedError

    def decide_doc(self, signals: Mapping[str, float], domain: str | None, lang: str | None) -> list[str]:
        """Failed rules from `signals` keyed without the stage prefix (see `own_signals`)."""
        return decide(self.name, signals, self.settings.rules_for(domain, lang))

    def own_signals(self, signals: Mapping[str, float]) -> dict[str, float]:
        """This filter's entries of a stored `doc.signals` map, with the "<stage>." prefix removed."""
        prefix = f"{self.name}."
        return {key[len(prefix) :]: value for key, value in signals.items() if key.startswith(prefix)}

    def process(self, doc: Document) -> list[str]:
        signals = {key: float(value) for key, value in self.compute(doc).items()}
        doc.signals.update({f"{self.name}.{key}": value for key, value in signals.items()})
        return self.decide_doc(signals, doc.domain, doc.lang)
