"""The PII stage: redaction of every document's text, counts by type on the document."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.pii.redactor import PiiRedactor
from pipeline.stage import Stage
from schemas.config import PiiConfig
from schemas.document import Document


class PiiStage(Stage):
    """The "pii" stage: redacts `doc.text`, counts by type in `doc.pii` and "pii.<TYPE>" signals."""

    name = "pii"
    batched = True  # spaCy's pipe over the name candidates of a whole batch

    def __init__(self, settings: PiiConfig | None = None):
        self.settings = settings or PiiConfig()
        self.redactor: PiiRedactor | None = None

    def setup(self) -> None:
        self.redactor = PiiRedactor(self.settings)

    def process(self, doc: Document) -> list[str]:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: Sequence[Document]) -> list[list[str]]:
        """Redact many documents with one batched NER pass; no document changes unless all succeed."""
        if self.redactor is None:
            self.setup()
        redacted = self.redactor.redact_batch([d.text for d in docs])
        for doc, (text, counts) in zip(docs, redacted, strict=True):
            doc.text = text
            doc.pii = counts
            doc.signals.update(
                {f"pii.{entity}": float(counts.get(entity, 0)) for entity in self.settings.entities}
            )
        return [[] for _ in docs]
