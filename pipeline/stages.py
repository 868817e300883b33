"""The thin Beam layer around plain-Python stages: run one, route kept / rejected / errors."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from filters.base import Stage
from schemas.document import Document, ErrorRecord

REJECTED = "rejected"
ERRORS = "errors"


class StageFn(beam.DoFn):
    """Runs `stage` on each document. In filter mode a failing document leaves on the rejected output
    with its reasons; in annotate mode it carries them on. Any exception becomes an error record."""

    def __init__(self, stage: Stage, annotate: bool):
        self.stage = stage
        self.annotate = annotate
        self.processed = Metrics.counter(stage.name, "processed")
        self.rejected = Metrics.counter(stage.name, "rejected")
        self.errors = Metrics.counter(stage.name, "errors")

    def setup(self):
        self.stage.setup()

    def process(self, doc: Document, side=None):
        if side is not None:
            self.stage.bind(side)
        self.processed.inc()
        try:
            failed = self.stage.process(doc)
        except Exception as exc:  # one bad document must never stop the run
            self.errors.inc()
            raw = doc.html if doc.html is not None else doc.text
            yield pvalue.TaggedOutput(
                ERRORS, ErrorRecord.of(doc.source, self.stage.name, _reason(exc), raw or b"", id=doc.id)
            )
            return
        if failed:
            doc.rejected_by.extend(failed)
            for reason in failed:
                Metrics.counter(self.stage.name, f"rejected:{reason}").inc()
            if not self.annotate:
                self.rejected.inc()
                doc.html = doc.http_headers = None
                yield pvalue.TaggedOutput(REJECTED, doc)
                return
        yield doc


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split())[:500]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def run_stage(docs, stage: Stage, annotate: bool, side=None):
    """Apply `stage` (given `side`, a singleton side input, through `Stage.bind`); returns
    (kept, rejected, errors) PCollections."""
    fn = beam.ParDo(StageFn(stage, annotate), *([side] if side is not None else []))
    out = docs | stage.name >> fn.with_outputs(REJECTED, ERRORS, main="kept")
    return out.kept, out[REJECTED], out[ERRORS]
