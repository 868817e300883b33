"""Input readers: WARC/WET (FastWARC), JSONL (.gz, .zst) and Parquet, through Beam FileSystems.

Every input record becomes exactly one Document or one ErrorRecord, so that
input records = kept + rejected + errors holds downstream. Files are cut into read tasks first
(byte ranges of uncompressed JSONL, row groups of Parquet, whole WARC files) so that one big file is
read by many workers.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from schemas.config import InputConfig
from schemas.document import Document, ErrorRecord
from schemas.hashing import stable_id

Record = Document | ErrorRecord

_FORMATS = (
    (re.compile(r"\.wet(\.gz)?$"), "wet"),
    (re.compile(r"\.(w?arc)(\.gz)?$"), "warc"),
    (re.compile(r"\.(jsonl|json|ndjson)(\.gz|\.zst|\.zstd)?$"), "jsonl"),
    (re.compile(r"\.parquet$"), "parquet"),
)
_HTTP_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})")


class InputError(ValueError):
    """An input pattern that matches nothing or a file whose format cannot be told."""


def detect_format(path: str, configured: str = "auto") -> str:
    if configured != "auto":
        return configured
    name = path.lower()
    for pattern, fmt in _FORMATS:
        if pattern.search(name):
            return fmt
    raise InputError(f"cannot tell the format of {path}; set input.format (warc, wet, jsonl, parquet)")


@dataclass(frozen=True)
class ReadTask:
    """A unit of reading: a whole file, a byte range of a JSONL file, or one Parquet row group."""

    path: str
    fmt: str
    start: int = 0
    end: int = -1


def plan_tasks(path: str, size: int, cfg: InputConfig) -> list[ReadTask]:
    """Cut one file into read tasks; compressed streams cannot be split and are read whole."""
    fmt = detect_format(path, cfg.format)
    if fmt == "jsonl" and _compression(path) == CompressionTypes.UNCOMPRESSED and size > cfg.split_bytes:
        return [
            ReadTask(path, fmt, s, min(s + cfg.split_bytes, size)) for s in range(0, size, cfg.split_bytes)
        ]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            groups = pq.ParquetFile(fh).num_row_groups
        return [ReadTask(path, fmt, g, g + 1) for g in range(groups)]
    return [ReadTask(path, fmt)]


def read_task(task: ReadTask, cfg: InputConfig) -> Iterator[Record]:
    readers = {"warc": read_warc, "wet": read_warc, "jsonl": read_jsonl, "parquet": read_parquet}
    yield from readers[task.fmt](task, cfg)


def _compression(path: str) -> str:
    name = path.lower()
    if name.endswith(".gz"):
        return CompressionTypes.GZIP
    if name.endswith((".zst", ".zstd")):
        return CompressionTypes.ZSTD
    return CompressionTypes.UNCOMPRESSED


def _basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/"))


# ---------------------------------------------------------------------------------------------- WARC


def read_warc(task: ReadTask, cfg: InputConfig) -> Iterator[Record]:
    """Response records (HTML, for extraction) and conversion records (WET text) of one WARC file."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    types = 0
    for name in cfg.warc_record_types:
        types |= getattr(WarcRecordType, name)
    position = 0
    # FastWARC detects gzip itself and needs the raw bytes.
    with FileSystems.open(task.path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        iterator = iter(ArchiveIterator(fh, record_types=types, parse_http=False))
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # a broken gzip member ends what can be read of the file
                yield ErrorRecord.of(
                    f"{task.path}@{position}", "read", f"unreadable WARC data after offset {position}: {exc}"
                )
                return
            position = record.stream_pos
            yield _warc_record(task.path, record, cfg)


def _warc_record(path: str, record, cfg: InputConfig) -> Record:
    source = f"{path}@{record.stream_pos}"
    headers = record.headers
    record_id = headers.get("WARC-Record-ID") or str(record.stream_pos)
    doc_id = stable_id(_basename(path), record_id)
    if headers.get("Content-Length") is None:
        return ErrorRecord.of(source, "read", "truncated record: WARC headers end early", id=doc_id)
    length = record.content_length
    if length > cfg.max_record_bytes:
        return ErrorRecord.of(
            source,
            "read",
            f"record of {length} bytes exceeds input.max_record_bytes",
            record.reader.read(512),
            id=doc_id,
        )
    block = record.reader.read()
    if len(block) < length:
        return ErrorRecord.of(
            source, "read", f"truncated record: {len(block)} of {length} bytes", block, id=doc_id
        )
    doc = Document(
        id=doc_id, source=source, url=headers.get("WARC-Target-URI"), fetched_at=headers.get("WARC-Date")
    )
    if headers.get("WARC-Type") == "conversion":
        doc.text = block.decode("utf-8", "replace")
        return doc
    head, sep, body = block.partition(b"\r\n\r\n")
    status = _HTTP_STATUS.match(head)
    if not sep or not status:
        return ErrorRecord.of(source, "read", "bad HTTP headers: no valid status line", block, id=doc_id)
    doc.http_headers = _http_headers(head)
    doc.html = body
    doc.signals["read.http_status"] = float(status.group(1))
    return doc


def _http_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return headers


# --------------------------------------------------------------------------------------------- JSONL


def read_jsonl(task: ReadTask, cfg: InputConfig) -> Iterator[Record]:
    """Lines whose first byte lies in [start, end): one straddling `start` belongs to the task before."""
    with _open_text_stream(task.path) as fh:
        offset = 0
        if task.start > 0:
            fh.seek(task.start - 1)
            skipped = fh.readline()
            offset = task.start - 1 + len(skipped)
        while task.end < 0 or offset < task.end:
            try:
                line = fh.readline(cfg.max_record_bytes + 1)
                length = len(line)
                if length > cfg.max_record_bytes and not line.endswith(b"\n"):
                    length += _skip_line(fh)
                    yield ErrorRecord.of(
                        f"{task.path}@{offset}",
                        "read",
                        f"line of {length} bytes exceeds input.max_record_bytes",
                        line,
                    )
                    offset += length
                    continue
            except (OSError, EOFError) as exc:  # truncated gzip/zstd stream
                yield ErrorRecord.of(f"{task.path}@{offset}", "read", f"unreadable compressed data: {exc}")
                return
            if not line:
                return
            if line.strip():
                yield _jsonl_record(task.path, offset, line, cfg)
            offset += length


def _skip_line(fh) -> int:
    """Reads past the end of the current line in bounded chunks; returns the bytes skipped."""
    skipped = 0
    while chunk := fh.readline(2**20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _open_text_stream(path: str):
    """Python's own decompressors: unlike Beam's, they raise on a truncated stream instead of ending early."""
    raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    compression = _compression(path)
    if compression == CompressionTypes.GZIP:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == CompressionTypes.ZSTD:
        import zstandard

        return io.BufferedReader(
            zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
        )
    return raw


def _jsonl_record(path: str, offset: int, line: bytes, cfg: InputConfig) -> Record:
    source = f"{path}@{offset}"
    try:
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        return ErrorRecord.of(source, "read", f"undecodable bytes: {exc.reason} at {exc.start}", line)
    except ValueError as exc:
        return ErrorRecord.of(source, "read", f"invalid JSON: {exc}", line)
    if not isinstance(obj, dict):
        return ErrorRecord.of(source, "read", f"JSON line is a {type(obj).__name__}, not an object", line)
    return _fields_record(path, source, str(offset), obj, cfg, raw=line)


def _fields_record(path: str, source: str, position: str, obj: dict, cfg: InputConfig, raw) -> Record:
    text = obj.get(cfg.text_field)
    if not isinstance(text, str):
        problem = "missing" if text is None else f"not a string ({type(text).__name__})"
        return ErrorRecord.of(source, "read", f"text field {cfg.text_field!r} {problem}", raw)
    given = obj.get(cfg.id_field) if cfg.id_field else None
    doc_id = (
        str(given) if isinstance(given, str | int) and str(given) else stable_id(_basename(path), position)
    )
    url = obj.get(cfg.url_field) if cfg.url_field else None
    return Document(id=doc_id, source=source, text=text, url=url if isinstance(url, str) else None)


# ------------------------------------------------------------------------------------------- Parquet


def read_parquet(task: ReadTask, cfg: InputConfig) -> Iterator[Record]:
    """One row group: only the configured id/text/url columns are read."""
    import pyarrow.parquet as pq

    with FileSystems.open(task.path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        pf = pq.ParquetFile(fh)
        names = set(pf.schema_arrow.names)
        if cfg.text_field not in names:
            rows = pf.metadata.row_group(task.start).num_rows
            for row in range(rows):
                yield ErrorRecord.of(
                    f"{task.path}#{task.start}:{row}",
                    "read",
                    f"text field {cfg.text_field!r} missing from the Parquet schema",
                )
            return
        columns = [c for c in (cfg.id_field, cfg.text_field, cfg.url_field) if c and c in names]
        table = pf.read_row_group(task.start, columns=columns)
    for row, obj in enumerate(table.to_pylist()):
        position = f"{task.start}:{row}"
        source = f"{task.path}#{position}"
        yield _fields_record(task.path, source, position, obj, cfg, raw=json.dumps(obj, default=str)[:512])


# ---------------------------------------------------------------------------------------------- Beam


class ReadDocuments(beam.PTransform):
    """Globs -> matched files -> read tasks (reshuffled across workers) -> Documents and ErrorRecords.

    Expands to {"records": Document | ErrorRecord, "files": (path, size)}.
    """

    def __init__(self, patterns: list[str], cfg: InputConfig):
        super().__init__()
        self.patterns = patterns
        self.cfg = cfg

    def expand(self, pbegin):
        from apache_beam.io import fileio

        cfg = self.cfg
        files = (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> fileio.MatchAll()
            | "Files" >> beam.Map(lambda meta: (meta.path, meta.size_in_bytes))
        )
        records = (
            files
            | "Plan" >> beam.FlatMapTuple(lambda path, size: plan_tasks(path, size, cfg))
            | "SpreadTasks" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(_ReadFn(cfg))
            | "SpreadRecords" >> beam.Reshuffle()
        )
        return {"records": records, "files": files}


class _ReadFn(beam.DoFn):
    def __init__(self, cfg: InputConfig):
        self.cfg = cfg
        self.records = beam.metrics.Metrics.counter("read", "records")
        self.errors = beam.metrics.Metrics.counter("read", "errors")

    def process(self, task: ReadTask):
        from pipeline.beam.progress import Progress

        progress = Progress.get()
        for record in read_task(task, self.cfg):
            self.records.inc()
            if isinstance(record, ErrorRecord):
                self.errors.inc()
            progress.tick()
            yield record
