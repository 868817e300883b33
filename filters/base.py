"""The stage interface: plain Python on a Document, shared by every filter and classifier.

A stage records its scores in `doc.signals` as "<stage>.<signal>" and returns the rules the
document fails as "<stage>.<rule>". Decisions that depend only on signals and thresholds live in
`Bounds`/`decide`, so `curate tune` can re-decide from stored signals without recomputing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.document import Document


@dataclass(frozen=True)
class Bounds:
    """A threshold rule: the signal of the same name must lie in [min, max] (either side optional)."""

    min: float | None = None
    max: float | None = None

    def fails(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


def decide(stage: str, signals: Mapping[str, float], rules: Mapping[str, Bounds]) -> list[str]:
    """Names ("<stage>.<rule>") of the rules whose signal is present and out of bounds."""
    return [
        f"{stage}.{name}" for name, bounds in rules.items() if name in signals and bounds.fails(signals[name])
    ]


@dataclass(frozen=True)
class Overrides:
    """Per-language and per-domain replacements of a filter's rules (by rule name, no stage prefix).

    An override replaces the whole Bounds of its rule; `Bounds()` disables it. Domain overrides win over
    language ones: a code page is judged as code whatever its language, so math and code pages are not
    killed by prose rules such as terminal punctuation or symbol ratios.
    """

    by_lang: Mapping[str, Mapping[str, Bounds]] = field(default_factory=dict)
    by_domain: Mapping[str, Mapping[str, Bounds]] = field(default_factory=dict)

    def apply(self, rules: Mapping[str, Bounds], domain: str | None, lang: str | None) -> dict[str, Bounds]:
        """The rules that apply to a document of this domain and language."""
        resolved = dict(rules)
        resolved.update(self.by_lang.get(lang or "", {}))
        resolved.update(self.by_domain.get(domain or "", {}))
        return resolved


class Stage:
    """One per-document step of the pipeline. Subclasses set `name` and implement `process`."""

    name: str = ""

    def setup(self) -> None:
        """Load models or data; called once per worker before the first document."""

    def bind(self, side: object) -> None:
        """Receive a value computed by the pipeline itself (a side input), e.g. the KL reference."""
        raise TypeError(f"stage {self.name!r} takes no side input")

    def process(self, doc: Document) -> list[str]:
        """Update `doc` (text, signals, fields) and return the rules it fails; empty means it passes."""
        raise NotImplementedError

    # True when `process_batch` does better than one `process` per document (a model's batch call).
    batched = False

    def process_batch(self, docs: list[Document]) -> list[list[str]]:
        """`process` over many documents. A batched stage changes no document unless all succeed, so the
        runner can retry a failed batch one document at a time to find the one at fault."""
        return [self.process(doc) for doc in docs]


class SignalFilter(Stage):
    """A filter that computes signals and decides from threshold rules alone.

    `decide_doc` is the cheap decision step: a pure function of the stored signals, the document's
    domain and language and the configuration (rules + overrides), which `curate tune` reuses.
    """

    def __init__(self, rules: Mapping[str, Bounds], overrides: Overrides | None = None):
        self.rules = dict(rules)
        self.overrides = overrides or Overrides()

    def compute(self, doc: Document) -> dict[str, float]:
        """The filter's signals, keyed without the stage prefix."""
        raise NotImplementedError

    def decide_doc(self, signals: Mapping[str, float], domain: str | None, lang: str | None) -> list[str]:
        """Failed rules from `signals` keyed without the stage prefix (see `own_signals`)."""
        return decide(self.name, signals, self.overrides.apply(self.rules, domain, lang))

    def own_signals(self, signals: Mapping[str, float]) -> dict[str, float]:
        """This filter's entries of a stored `doc.signals` map, with the "<stage>." prefix removed."""
        prefix = f"{self.name}."
        return {key[len(prefix) :]: value for key, value in signals.items() if key.startswith(prefix)}

    def process(self, doc: Document) -> list[str]:
        signals = {key: float(value) for key, value in self.compute(doc).items()}
        doc.signals.update({f"{self.name}.{key}": value for key, value in signals.items()})
        return self.decide_doc(signals, doc.domain, doc.lang)


class TextFilter(SignalFilter):
    """A SignalFilter reading the run's shared text views (`filters.tokens.TextViews`): one
    tokenization per document for every filter. Subclasses set DEFAULT_RULES."""

    DEFAULT_RULES: dict[str, Bounds] = {}

    def __init__(self, views, rules: Mapping[str, Bounds] | None = None, overrides: Overrides | None = None):
        super().__init__(self.DEFAULT_RULES if rules is None else rules, overrides)
        self.views = views
