"""The stage interface: plain Python on a Document, shared by every filter and classifier.

A stage records its scores in `doc.signals` as "<stage>.<signal>" and returns the rules the
document fails as "<stage>.<rule>". Decisions that depend only on signals and thresholds live in
`Bounds`/`decide`, so `curate tune` can re-decide from stored signals without recomputing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
        f"{stage}.{name}"
        for name, bounds in rules.items()
        if name in signals and bounds.fails(signals[name])
    ]


class Stage:
    """One per-document step of the pipeline. Subclasses set `name` and implement `process`."""

    name: str = ""

    def setup(self) -> None:
        """Load models or data; called once per worker before the first document."""

    def process(self, doc: Document) -> list[str]:
        """Update `doc` (text, signals, fields) and return the rules it fails; empty means it passes."""
        raise NotImplementedError


class SignalFilter(Stage):
    """A filter that computes signals and decides from threshold rules alone."""

    def __init__(self, rules: Mapping[str, Bounds]):
        self.rules = dict(rules)

    def compute(self, doc: Document) -> dict[str, float]:
        """The filter's signals, keyed without the stage prefix."""
        raise NotImplementedError

    def process(self, doc: Document) -> list[str]:
        signals = self.compute(doc)
        doc.signals.update({f"{self.name}.{key}": float(value) for key, value in signals.items()})
        return decide(self.name, signals, self.rules)
