"""Reading and extraction in one step per read task, with a staged copy of what came out for `--resume`.

Extraction is most of a run's CPU. Each read task's outcome (extracted documents, pages rejected by their
HTTP status, unreadable records) is written as it streams to OUT/staging/<fingerprint>/<task>.parquet and
.errors.jsonl, and a `.done` marker is written last. A relaunch with `--resume` reads a finished task's
staged outcome instead of its input; the fingerprint (input and extract settings, package version)
makes a changed config start over. Writes go to temp names and are renamed, so a retried or repeated
task writes the same files.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from importlib import metadata

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam import pvalue
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.beam.progress import Progress
from pipeline.beam.runner import ERRORS, REJECTED, CostMeter, freeze_loaded, route
from pipeline.beam.sinks import error_line
from pipeline.beam.sources import ReadTask, read_task
from pipeline.extract.stage import ExtractStage
from schemas.config import Config
from schemas.document import DOCUMENT_SCHEMA, Document, ErrorRecord

STAGING = "staging"
_ROW_GROUP = 1000


def staging_dir(output: str, cfg: Config) -> str:
    """OUT/staging/<fingerprint>: what a resumed run may reuse of an earlier one with the same settings."""
    try:
        version = metadata.version("pretrain-curator")
    except metadata.PackageNotFoundError:
        version = "source"
    settings = {"input": cfg.input.model_dump(mode="json"), "extract": cfg.extract.model_dump(mode="json")}
    digest = hashlib.sha256(json.dumps([settings, version], sort_keys=True).encode()).hexdigest()[:16]
    return f"{output.rstrip('/')}/{STAGING}/{digest}"


def _task_name(task: ReadTask) -> str:
    return hashlib.sha1(f"{task.path}\x00{task.start}\x00{task.end}".encode()).hexdigest()[:24]


class _StagedTask:
    """The staged outcome of one task being written: documents as Parquet, errors as JSONL."""

    def __init__(self, base: str):
        self.base, self.suffix = base, f".tmp-{uuid.uuid4().hex}"
        self.docs = FileSystems.create(
            base + ".parquet" + self.suffix, compression_type=CompressionTypes.UNCOMPRESSED
        )
        self.errors = FileSystems.create(
            base + ".errors.jsonl" + self.suffix, compression_type=CompressionTypes.UNCOMPRESSED
        )
        self.writer = pq.ParquetWriter(self.docs, DOCUMENT_SCHEMA, compression="zstd")
        self.rows: list[dict] = []

    def add(self, record: Document | ErrorRecord) -> None:
        if isinstance(record, ErrorRecord):
            self.errors.write(error_line(record))
            return
        self.rows.append(record.to_row())
        if len(self.rows) >= _ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=DOCUMENT_SCHEMA))
            self.rows = []

    def finish(self) -> None:
        self._flush()
        self.writer.close()
        self.docs.close()
        self.errors.close()
        for ext in (".parquet", ".errors.jsonl"):
            if FileSystems.exists(self.base + ext):
                FileSystems.delete([self.base + ext])
            FileSystems.rename([self.base + ext + self.suffix], [self.base + ext])
        with FileSystems.create(self.base + ".done") as marker:
            marker.write(b"")


def _staged(base: str):
    """The outcome of a finished task, as it was first produced (errors, then documents by position)."""
    with FileSystems.open(base + ".errors.jsonl", compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        for line in handle.read().splitlines():
            if line.strip():
                yield ErrorRecord(**json.loads(line))
    with FileSystems.open(base + ".parquet", compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        table = pq.read_table(handle)
    for row in table.to_pylist():
        yield Document.from_row(row)


class IngestFn(beam.DoFn):
    """ReadTask -> extracted documents (main), rejected pages, error records; staged when `staging`."""

    def __init__(self, cfg: Config, staging: str | None, resume: bool):
        self.cfg, self.staging, self.resume = cfg, staging, resume
        self.annotate = cfg.mode == "annotate"
        self.resumed = Metrics.counter("read", "tasks_resumed")
        self.meter = CostMeter("extract")  # reading and extraction: one step

    def setup(self):
        self.extract = ExtractStage(self.cfg.extract)
        self.extract.setup()
        freeze_loaded()

    def finish_bundle(self):
        yield from self.meter.emit()

    def process(self, task: ReadTask):
        yield from self.meter.timed(self._outputs(task))

    def _outputs(self, task: ReadTask):
        base = f"{self.staging}/{_task_name(task)}" if self.staging else None
        if base and self.resume and FileSystems.exists(base + ".done"):
            self.resumed.inc()
            for record in _staged(base):
                yield self._tagged(self._tag_of(record), record)
            return
        staged = _StagedTask(base) if base else None
        progress = Progress.get()
        for record in read_task(task, self.cfg.input):
            progress.tick()
            for tag, out in self._extracted(record):
                if staged:
                    staged.add(out)
                yield self._tagged(tag, out)
        if staged:
            staged.finish()
        progress.done_bytes(task.size)

    def _extracted(self, record: Document | ErrorRecord):
        if isinstance(record, ErrorRecord):
            yield ERRORS, record
            return
        try:
            outcome = self.extract.process(record)
        except Exception as exc:  # one bad page must never stop the run
            outcome = exc
        yield from route(record, outcome, self.extract.name, self.annotate)

    def _tag_of(self, record: Document | ErrorRecord) -> str | None:
        if isinstance(record, ErrorRecord):
            return ERRORS
        return REJECTED if record.rejected_by and not self.annotate else None

    @staticmethod
    def _tagged(tag: str | None, record: Document | ErrorRecord):
        return record if tag is None else pvalue.TaggedOutput(tag, record)
