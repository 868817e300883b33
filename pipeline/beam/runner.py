"""The thin Beam layer around plain-Python stages: run one, route kept / rejected / errors."""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import BoundedWindow, GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP, Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.stage import Stage
from schemas.document import Document, ErrorRecord

REJECTED = "rejected"
ERRORS = "errors"
COST = "cost"
_END = object()
# Documents a stage takes in a row before handing them on. Running one stage over a batch keeps its
# model and tables in cache: the filter stack runs ~20% faster than document by document
# (bench/filters.py), and memory stays bounded (a batch per fused stage).
BATCH_SIZE = 64


def freeze_loaded() -> None:
    """Moves every object alive now out of the garbage collector's sight, at the end of a setup: the
    models just loaded (fastText, spaCy, presidio, the extraction tables) hold hundreds of thousands of
    objects that every full collection walked again (17 full collections, 2.2 s CPU, on the 1,543-page
    real set with one worker; 0.3 s frozen). Frozen objects are never freed: models and the graph live
    as long as the process anyway."""
    gc.freeze()


class CostMeter:
    """CPU and wall seconds a step spends on its documents, summed over a bundle and emitted at its end as
    ("<step>", cpu microseconds, wall microseconds) on the COST output: the manifest adds them up."""

    def __init__(self, step: str):
        self.step = step
        self.cpu = self.wall = 0.0

    @contextmanager
    def measure(self):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.cpu += time.process_time() - cpu
            self.wall += time.perf_counter() - wall

    def timed(self, items):
        """`items`, counting the time spent producing each one (not the time the consumer spends)."""
        iterator = iter(items)
        while True:
            with self.measure():
                item = next(iterator, _END)
            if item is _END:
                return
            yield item

    def emit(self):
        """The bundle's total as a tagged output (from `finish_bundle`), then zero."""
        if self.cpu or self.wall:
            cost = (self.step, round(self.cpu * 1e6), round(self.wall * 1e6))
            self.cpu = self.wall = 0.0
            yield pvalue.TaggedOutput(COST, WindowedValue(cost, MIN_TIMESTAMP, (GlobalWindow(),)))


class StageFn(beam.DoFn):
    """Runs `stage` on each document, in batches of BATCH_SIZE within a bundle. In filter mode a failing
    document leaves on the rejected output with its reasons; in annotate mode it carries them on. Any
    exception becomes an error record."""

    def __init__(self, stage: Stage, annotate: bool):
        self.stage = stage
        self.annotate = annotate
        self.processed = Metrics.counter(stage.name, "processed")
        self.meter = CostMeter(stage.name)

    def setup(self):
        self.stage.setup()
        freeze_loaded()

    def start_bundle(self):
        self._batch: list[tuple[Document, Timestamp, BoundedWindow]] = []

    def process(
        self, doc: Document, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam, side=None
    ):
        if side is not None:
            self.stage.bind(side)
        self._batch.append((doc, timestamp, window))
        if len(self._batch) >= BATCH_SIZE:
            yield from self._flush()

    def finish_bundle(self):
        yield from self._flush()
        yield from self.meter.emit()

    def _flush(self):
        batch, self._batch = self._batch, []
        with self.meter.measure():
            outcomes = self._outcomes([doc for doc, _, _ in batch])
        for (doc, timestamp, window), outcome in zip(batch, outcomes, strict=True):
            for tag, value in route(doc, outcome, self.stage.name, self.annotate):
                out = WindowedValue(value, timestamp, (window,))
                yield out if tag is None else pvalue.TaggedOutput(tag, out)

    def _outcomes(self, docs: list[Document]) -> list[list[str] | Exception]:
        """Per document, the rules it fails or the exception it raised."""
        self.processed.inc(len(docs))
        if self.stage.batched:
            try:
                return self.stage.process_batch(docs)
            except Exception:  # retried one by one below, to find the document at fault
                pass
        outcomes: list[list[str] | Exception] = []
        for doc in docs:
            try:
                outcomes.append(self.stage.process(doc))
            except Exception as exc:  # one bad document must never stop the run
                outcomes.append(exc)
        return outcomes


def route(doc: Document, outcome: list[str] | Exception, stage: str, annotate: bool):
    """(output tag or None for kept, value) pairs for one document after `stage` judged it."""
    if isinstance(outcome, Exception):
        Metrics.counter(stage, "errors").inc()
        # the raw page helps debug reading and extraction; past it the text may hold PII: not kept
        raw = doc.html if doc.html is not None else b""
        yield ERRORS, ErrorRecord.of(doc.source, stage, _reason(outcome), raw, id=doc.id)
        return
    if outcome:
        doc.rejected_by.extend(outcome)
        for reason in outcome:
            Metrics.counter(stage, f"rejected:{reason}").inc()
        if not annotate:
            Metrics.counter(stage, "rejected").inc()
            doc.html = doc.http_headers = None
            yield REJECTED, doc
            return
    yield None, doc


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split())[:500]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def run_stage(docs, stage: Stage, annotate: bool, side=None, label: str | None = None):
    """Apply `stage` (given `side`, a singleton side input, through `Stage.bind`); returns
    (kept, rejected, errors, costs) PCollections."""
    fn = beam.ParDo(StageFn(stage, annotate), **({"side": side} if side is not None else {}))
    out = docs | (label or stage.name) >> fn.with_outputs(REJECTED, ERRORS, COST, main="kept")
    return out.kept, out[REJECTED], out[ERRORS], out[COST]
