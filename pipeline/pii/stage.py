"""The PII stage: redaction of every document's text, counts by type, and the PII density rule."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipeline.pii.density import density, word_count
from pipeline.stage import Stage, decide
from schemas.config import PiiConfig
from schemas.document import Document

if TYPE_CHECKING:
    from pipeline.pii.redactor import PiiRedactor

# Country-code domains that sites use as generic names (Google Search Central, "Managing multi-regional
# and multilingual sites": gccTLDs), so they say nothing about where a phone number is from.
_GENERIC_CCTLDS = frozenset("ad as bz cc cd co dj fm io la me ms nu sc sr su tv tk ws ai gg ly to".split())


def country_of(url: str | None) -> str | None:
    """The ISO 3166 country of a URL's country-code domain ("uk" is GB), None for generic domains."""
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    tld = host.rsplit(".", 1)[-1].lower()
    if len(tld) != 2 or not tld.isalpha() or tld in _GENERIC_CCTLDS:
        return None
    return "GB" if tld == "uk" else tld.upper()


class PiiStage(Stage):
    """The "pii" stage: redacts `doc.text`, counts by type in `doc.pii` and "pii.<TYPE>" signals, records
    "pii.density" (identifiers per 1,000 words) and fails the configured rules ("pii.density").

    It works on any document, kept or rejected, so rejected documents are stored redacted the same way.
    """

    name = "pii"
    batched = True  # spaCy's pipe over the name candidates of a whole batch

    def __init__(self, settings: PiiConfig | None = None):
        self.settings = settings or PiiConfig()
        self.redactor: PiiRedactor | None = None

    def check(self) -> None:
        if self.settings.person == "none" or "PERSON" not in self.settings.entities:
            return
        for lang, model in self.settings.ner_models.items():
            if importlib.util.find_spec(model) is None:
                raise FileNotFoundError(f"pii.ner_models.{lang}: spaCy model {model!r} is not installed")

    def setup(self) -> None:
        if self.redactor is None:
            from pipeline.pii.redactor import PiiRedactor  # spaCy and presidio: in workers, not the launcher

            self.redactor = PiiRedactor(self.settings)
            self.redactor.names.load()

    def process(self, doc: Document) -> list[str]:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: Sequence[Document]) -> list[list[str]]:
        """Redact many documents with one batched NER pass; no document changes unless all succeed."""
        self.setup()
        redacted = self.redactor.redact_batch(
            [d.text for d in docs], [d.lang for d in docs], [country_of(d.url) for d in docs]
        )
        failed = []
        for doc, (text, counts) in zip(docs, redacted, strict=True):
            signals = {entity: float(counts.get(entity, 0)) for entity in self.settings.entities}
            signals["density"] = density(counts, word_count(doc.text))
            doc.text, doc.pii = text, counts
            doc.signals.update({f"{self.name}.{key}": value for key, value in signals.items()})
            failed.append(decide(self.name, signals, self.settings.rules_for(doc.domain, doc.lang)))
        return failed
