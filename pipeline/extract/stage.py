"""The extraction stage: raw HTML on the document -> text, title and extraction signals."""

from __future__ import annotations

from pipeline.extract import extract
from pipeline.stage import Stage
from schemas.config import ExtractConfig
from schemas.document import Document


class ExtractStage(Stage):
    """Turns `doc.html` into `doc.text`; WET and text-dump records arrive with text and pass through.

    Pages that cannot be extracted raise `ExtractionError`, which the stage runner turns into an
    error record with the reason; a non-2xx HTTP status is a rejection, and so is a record left without
    text (a page whose main content is all script, or an empty record of a dump): an analyst reads
    why, where the first stage that needs words would have rejected it for its own reason."""

    name = "extract"

    def __init__(self, settings: ExtractConfig):
        self.settings = settings

    def process(self, doc: Document) -> list[str]:
        if doc.html is not None:
            status = doc.signals.get("read.http_status", 200.0)
            if not 200 <= status < 300:
                doc.html = doc.http_headers = None
                return ["extract.http_status"]
            result = extract(doc.html, doc.http_headers, self.settings)
            doc.text, doc.title = result.text, result.title
            # wall time is not a property of the page: recording it would make shards differ run to run
            signals = result.signals
            doc.signals.update({f"extract.{k}": float(v) for k, v in signals.items() if k != "seconds"})
            doc.html = doc.http_headers = None
        return [] if doc.text.strip() else ["extract.empty"]
