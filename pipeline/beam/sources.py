"""Input readers: WARC/WET (FastWARC), JSONL (.gz, .zst) and Parquet, through Beam FileSystems.

Every input record becomes exactly one Document or one ErrorRecord, so that
input records = kept + rejected + errors holds downstream. Files are cut into read tasks first
(byte ranges of uncompressed JSONL and of gzipped WARC/WET files, row groups of Parquet) so that one big
file is read by many workers.

A document's id is a hash of its file's name relative to the inputs' common directory and its position in
the file (byte offset, or row group and row): unique by construction, and the same wherever the corpus is
stored. The input's own id (JSONL/Parquet id field, WARC-Record-ID) is kept as `source_id`. Text is made
valid UTF-8 here, so no later stage or sink meets a lone surrogate.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import posixpath
import re
import zlib
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
    """A unit of reading: a whole file, a byte range of a JSONL or gzipped WARC file, or a Parquet row
    group.

    `name` is the file's path relative to the inputs' common directory: what document ids hash; `size`
    the input bytes the task covers (for progress)."""

    path: str
    fmt: str
    start: int = 0
    end: int = -1
    name: str = ""
    size: int = 0

    @property
    def id_name(self) -> str:
        return self.name or _basename(self.path)


def static_prefix(pattern: str) -> str:
    """The directory part of a glob before its first wildcard ("gs://b/crawl/*/x.gz" -> "gs://b/crawl/")."""
    cut = min((i for i, c in enumerate(pattern) if c in "*?["), default=len(pattern))
    return pattern[: pattern.rfind("/", 0, cut) + 1]


def common_directory(patterns: list[str]) -> str:
    """The deepest directory that holds every pattern's static prefix."""
    prefixes = [static_prefix(p) for p in patterns]
    common = prefixes[0] if prefixes else ""
    for prefix in prefixes[1:]:
        while not prefix.startswith(common):
            common = common[: common.rfind("/", 0, len(common) - 1) + 1]
    return common


def relative_name(path: str, common: str) -> str:
    return path[len(common) :] if common and path.startswith(common) else _basename(path)


# A file is cut into ranges of input.split_bytes, and into at least _MIN_RANGES ranges of _MIN_RANGE
# bytes or more: a few files of tens of MB (a local run, a small crawl) still spread over every worker.
_MIN_RANGES = 16
_MIN_RANGE = 2**20


def plan_tasks(path: str, size: int, cfg: InputConfig, name: str = "") -> list[ReadTask]:
    """Cut one file into read tasks. Uncompressed JSONL splits at any byte and gzipped WARC/WET at its
    gzip members (one record each, by the WARC standard); other compressed streams are read whole."""
    fmt = detect_format(path, cfg.format)
    compression = _compression(path)
    if (fmt == "jsonl" and compression == CompressionTypes.UNCOMPRESSED) or (
        fmt in ("warc", "wet") and compression == CompressionTypes.GZIP
    ):
        count = max(-(-size // cfg.split_bytes), min(_MIN_RANGES, size // _MIN_RANGE), 1)
        bounds = [size * k // count for k in range(count + 1)]
        return [ReadTask(path, fmt, s, e, name, e - s) for s, e in zip(bounds, bounds[1:], strict=False)]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            groups = pq.ParquetFile(fh).num_row_groups
        return [ReadTask(path, fmt, g, g + 1, name, size // max(groups, 1)) for g in range(groups)]
    return [ReadTask(path, fmt, name=name, size=size)]


def read_task(task: ReadTask, cfg: InputConfig) -> Iterator[Record]:
    """Every record of the task; a failure outside any record (the file vanished, a permission error) ends
    the task with one error record naming it, after the records already read."""
    readers = {"warc": read_warc, "wet": read_warc, "jsonl": read_jsonl, "parquet": read_parquet}
    try:
        yield from readers[task.fmt](task, cfg)
    except Exception as exc:  # one unreadable file must not stop the run
        yield ErrorRecord.of(f"{task.path}@{task.start}", "read", f"unreadable input: {_one_line(exc)}")


def valid_text(text: str) -> str:
    """`text` as valid UTF-8: lone surrogates (from JSON "\\ud800" escapes, say) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _optional_text(value: object) -> str | None:
    return valid_text(value) if isinstance(value, str) else None


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


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
    """Response records (HTML, for extraction) and conversion records (WET text) of one WARC file, or of
    the gzip members that start in the task's byte range."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    types = 0
    for name in cfg.warc_record_types:
        types |= getattr(WarcRecordType, name)
    # FastWARC detects gzip itself and needs the raw bytes.
    with FileSystems.open(task.path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        begin, stop = 0, None
        if task.end >= 0:
            # A task whose range holds no member start reads nothing (a single gzip stream is read whole by
            # the first task): each range is searched once, not every task to the end of the file.
            begin = _member_from(fh, task.start, task.end) if task.start else 0
            if begin is None:
                return
            stop = _member_from(fh, task.end)
            fh.seek(begin)
        position = begin
        iterator = iter(ArchiveIterator(fh, record_types=types, parse_http=False))
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # a broken gzip member ends what can be read of the task
                yield ErrorRecord.of(
                    f"{task.path}@{position}", "read", f"unreadable WARC data after offset {position}: {exc}"
                )
                return
            position = record.stream_pos  # the file's offset, after a seek too: ids do not depend on tasks
            if stop is not None and position >= stop:
                return
            yield _warc_record(task, record, cfg)


_GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member's first bytes: magic and the deflate method
_SCAN_BYTES = 2**16
# Deflate stores incompressible data (an archived .warc.gz page, say) verbatim in blocks of at most
# 65,535 bytes, each after a 5-byte header: a run of whole, checksummed WARC members longer than one such
# block cannot lie inside another member's data.
_CHAIN_BYTES = 65_535 + 5


def _member_from(fh, offset: int, limit: int | None = None) -> int | None:
    """Where the first gzip member at or after `offset` (and before `limit`) that opens a WARC record
    starts; None where none does. A task reads from the first member start in its range to the first one
    at or after its end: every task finds its bounds by this same search, so each member is read by
    exactly one task."""
    tail = b""
    while limit is None or offset < limit:
        fh.seek(offset)
        chunk = fh.read(_SCAN_BYTES)
        if not chunk:
            return None
        data, base = tail + chunk, offset - len(tail)
        at = data.find(_GZIP_MAGIC)
        while at >= 0 and (limit is None or base + at < limit):
            if _starts_member_chain(fh, base + at):
                return base + at
            at = data.find(_GZIP_MAGIC, at + 1)
        tail, offset = data[-(len(_GZIP_MAGIC) - 1) :], offset + len(chunk)
    return None


def _starts_member_chain(fh, offset: int) -> bool:
    """Whether complete gzip members, each holding text that starts "WARC/", follow one another from
    `offset` to the end of the file or for more than one stored deflate block: three bytes of magic, or
    a whole WARC member, also occur inside another member's data."""
    position = offset
    while position - offset <= _CHAIN_BYTES:
        end = _member_end(fh, position)
        if end is None:
            return False
        if end == position:  # the end of the file
            return position > offset
        position = end
    return True


def _member_end(fh, offset: int) -> int | None:
    """Where the gzip member at `offset` ends if it is whole (checksum included) and its text starts
    "WARC/"; `offset` itself at the end of the file; None otherwise."""
    fh.seek(offset)
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    consumed, head = 0, b""
    while not inflate.eof:
        data = fh.read(_SCAN_BYTES)
        if not data:
            return offset if consumed == 0 else None
        consumed += len(data)
        try:
            while data and not inflate.eof:
                text = inflate.decompress(data, 2**20)
                if len(head) < 5:
                    head += text[:5]
                    if len(head) >= 5 and not head.startswith(b"WARC/"):
                        return None
                data = inflate.unconsumed_tail
        except zlib.error:
            return None
    return offset + consumed - len(inflate.unused_data) if head.startswith(b"WARC/") else None


def _warc_record(task: ReadTask, record, cfg: InputConfig) -> Record:
    path = task.path
    source = f"{path}@{record.stream_pos}"
    headers = record.headers
    doc_id = stable_id(task.id_name, str(record.stream_pos))
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
        id=doc_id,
        source=source,
        source_id=_optional_text(headers.get("WARC-Record-ID")),
        url=_optional_text(headers.get("WARC-Target-URI")),
        fetched_at=_optional_text(headers.get("WARC-Date")),
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
    """Lines whose first byte lies in [start, end): one straddling `start` belongs to the task before.
    A task that starts at the top of its file counts lines, so its error records name the line number."""
    with _open_text_stream(task.path) as fh:
        offset = 0
        if task.start > 0:
            fh.seek(task.start - 1)
            skipped = fh.readline()
            offset = task.start - 1 + len(skipped)
        number = 1 if task.start == 0 else None
        while task.end < 0 or offset < task.end:
            doc_id = stable_id(task.id_name, str(offset))
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
                        id=doc_id,
                        line=number,
                    )
                    offset += length
                    number = number + 1 if number else None
                    continue
            except (OSError, EOFError) as exc:  # truncated gzip/zstd stream
                reason = f"unreadable compressed data: {exc}"
                yield ErrorRecord.of(f"{task.path}@{offset}", "read", reason, id=doc_id, line=number)
                return
            if not line:
                return
            if line.strip():
                yield _jsonl_record(task, offset, line, cfg, number)
            offset += length
            number = number + 1 if number else None


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


def _jsonl_record(task: ReadTask, offset: int, line: bytes, cfg: InputConfig, number: int | None) -> Record:
    source = f"{task.path}@{offset}"
    doc_id = stable_id(task.id_name, str(offset))
    try:
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        reason = f"undecodable bytes: {exc.reason} at {exc.start}"
        return ErrorRecord.of(source, "read", reason, line, id=doc_id, line=number)
    except ValueError as exc:
        return ErrorRecord.of(source, "read", f"invalid JSON: {exc}", line, id=doc_id, line=number)
    if not isinstance(obj, dict):
        reason = f"JSON line is a {type(obj).__name__}, not an object"
        return ErrorRecord.of(source, "read", reason, line, id=doc_id, line=number)
    record = _fields_record(doc_id, source, obj, cfg, raw=line)
    if isinstance(record, ErrorRecord):
        record.line = number
    return record


def _fields_record(doc_id: str, source: str, obj: dict, cfg: InputConfig, raw) -> Record:
    text = obj.get(cfg.text_field)
    if not isinstance(text, str):
        problem = "missing" if text is None else f"not a string ({type(text).__name__})"
        return ErrorRecord.of(source, "read", f"text field {cfg.text_field!r} {problem}", raw, id=doc_id)
    given = obj.get(cfg.id_field) if cfg.id_field else None
    url = obj.get(cfg.url_field) if cfg.url_field else None
    return Document(
        id=doc_id,
        source=source,
        source_id=valid_text(str(given)) if isinstance(given, str | int) and str(given) else None,
        text=valid_text(text),
        url=_optional_text(url),
    )


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
                    id=stable_id(task.id_name, f"{task.start}:{row}"),
                )
            return
        columns = [c for c in (cfg.id_field, cfg.text_field, cfg.url_field) if c and c in names]
        table = pf.read_row_group(task.start, columns=columns)
    for row, obj in enumerate(table.to_pylist()):
        position = f"{task.start}:{row}"
        raw = json.dumps(obj, default=str)[:512]
        yield _fields_record(stable_id(task.id_name, position), f"{task.path}#{position}", obj, cfg, raw)


# ---------------------------------------------------------------------------------------------- Beam


class PlanReads(beam.PTransform):
    """Globs -> matched files (each once) -> read tasks, spread across workers.

    Expands to {"tasks": ReadTask, "files": (path, size)}. Records are read where their task lands and
    never reshuffled: a worker extracts what it reads, and raw pages never cross the network.
    """

    def __init__(self, patterns: list[str], cfg: InputConfig):
        super().__init__()
        self.patterns = patterns
        self.cfg = cfg

    def expand(self, pbegin):
        from apache_beam.io import fileio

        cfg = self.cfg
        common = common_directory(self.patterns)
        files = (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> fileio.MatchAll()
            | "Files" >> beam.Map(lambda meta: (meta.path, meta.size_in_bytes))
            | "ByPath" >> beam.GroupByKey()  # overlapping globs match a file twice: read it once
            | "Once" >> beam.ParDo(_OnceFn())
        )
        tasks = (
            files
            | "Plan" >> beam.FlatMapTuple(
                lambda path, size: plan_tasks(path, size, cfg, relative_name(path, common))
            )
            | "SpreadTasks" >> beam.Reshuffle()
        )
        return {"tasks": tasks, "files": files}


class _OnceFn(beam.DoFn):
    def __init__(self):
        self.twice = beam.metrics.Metrics.counter("read", "files_matched_more_than_once")

    def process(self, element):
        path, sizes = element
        sizes = list(sizes)
        if len(sizes) > 1:
            self.twice.inc()
            logging.getLogger("curate").warning("%s matches more than one input pattern: read once", path)
        yield path, sizes[0]
