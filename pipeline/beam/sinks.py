"""Deterministic file sinks: Parquet shards of documents and JSONL files of error records.

Records are grouped (by bucket, by rejecting stage), spread over as many shards as the configured row, byte
and token bounds need and assigned to a shard by a hash of their id. A shard is written streaming: its
records are sorted by id in bounded memory (sorted runs spilled to local disk, then merged), row groups are
written as the merge yields them to a hidden temp file, hashed on the way, and renamed to a hidden pending
name; an overfull shard continues in a second pending file. Once every file of the sink is written, the
pending files get their final names, part-NNNNN-of-MMMMM per group, numbered in (shard, part) order.
Same input, same files, on any runner; a worker never holds a whole shard.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import os
import pickle
import posixpath
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam import pvalue
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.pvalue import AsList

from schemas.config import OutputConfig
from schemas.document import DOCUMENT_SCHEMA, Document, ErrorRecord
from schemas.hashing import stable_hash

ERRORS = "errors"
# Records sorted in memory before a run is spilled to local disk: bounds a writer's memory per shard.
SORT_BUFFER_BYTES = 64 * 2**20


def _directory(output: str, kind: str, group: str | None) -> str:
    return "/".join([output.rstrip("/"), kind] + ([group] if group else []))


def shard_path(output: str, kind: str, group: str | None, index: int, count: int, ext: str) -> str:
    """OUT/<kind>[/<group>]/part-NNNNN-of-MMMMM.<ext> (index from 0, as Beam's own sinks)."""
    return f"{_directory(output, kind, group)}/part-{index:05d}-of-{count:05d}.{ext}"


def pending_path(output: str, kind: str, group: str | None, shard: int, part: int, ext: str) -> str:
    """The hidden name a file has until every file of its sink is written and numbered."""
    return f"{_directory(output, kind, group)}/.pending-{shard:05d}-{part:04d}.{ext}"


def _sort_key(record: Document | ErrorRecord) -> tuple[str, str]:
    return (record.id or "", record.source) if isinstance(record, Document) else (record.source, record.stage)


def _size(record: Document | ErrorRecord) -> int:
    return len(record.text) if isinstance(record, Document) else len(record.raw) + len(record.error)


def error_line(record: ErrorRecord) -> bytes:
    # backslashreplace: a lone surrogate in an exception message becomes a JSON escape, never a crash
    text = json.dumps(record.to_json_dict(), ensure_ascii=False, sort_keys=True)
    return (text + "\n").encode("utf-8", "backslashreplace")


class _HashingFile:
    """A writable file that hashes and counts what passes through (what the manifest records)."""

    def __init__(self, raw):
        self.raw, self.sha256, self.size, self.closed = raw, hashlib.sha256(), 0, False

    def write(self, data) -> int:
        data = bytes(data)
        self.sha256.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.raw.close()


class _SortedRuns:
    """Sorts records by `_sort_key` in bounded memory: full buffers are spilled to local temp files as
    sorted runs, and `merged()` streams the k-way merge."""

    def __init__(self):
        self.buffer_bytes = SORT_BUFFER_BYTES
        self.buffer: list[tuple[tuple[str, str], Document | ErrorRecord]] = []
        self.buffered = 0
        self.runs: list[str] = []
        self.directory: str | None = None

    def add(self, record: Document | ErrorRecord) -> None:
        self.buffer.append((_sort_key(record), record))
        self.buffered += _size(record) + 200
        if self.buffered >= self.buffer_bytes:
            self._spill()

    def _spill(self) -> None:
        if self.directory is None:
            self.directory = tempfile.mkdtemp(prefix="curate-sort-")
        path = os.path.join(self.directory, f"run-{len(self.runs):05d}")
        self.buffer.sort(key=lambda item: item[0])
        with open(path, "wb") as handle:
            for item in self.buffer:
                pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)
        self.buffer, self.buffered = [], 0

    @staticmethod
    def _read_run(path: str) -> Iterator[tuple[tuple[str, str], Document | ErrorRecord]]:
        with open(path, "rb") as handle:
            while True:
                try:
                    yield pickle.load(handle)
                except EOFError:
                    return

    def merged(self) -> Iterator[Document | ErrorRecord]:
        self.buffer.sort(key=lambda item: item[0])
        streams = [self._read_run(path) for path in self.runs] + [iter(self.buffer)]
        try:
            for _, record in heapq.merge(*streams, key=lambda item: item[0]):
                yield record
        finally:
            for path in self.runs:
                os.remove(path)
            if self.directory:
                os.rmdir(self.directory)


class _ShardFile:
    """One output file being written: Parquet row groups or JSONL lines, to a temp name, then renamed."""

    def __init__(self, path: str, kind_is_docs: bool, cfg: OutputConfig):
        self.path, self.cfg, self.docs = path, cfg, kind_is_docs
        directory, name = posixpath.split(path)
        self.temp = f"{directory}/.{name}.tmp-{uuid.uuid4().hex}"
        self.file = _HashingFile(
            FileSystems.create(self.temp, compression_type=CompressionTypes.UNCOMPRESSED)
        )
        compression = None if cfg.compression == "none" else cfg.compression
        self.writer = (
            pq.ParquetWriter(self.file, DOCUMENT_SCHEMA, compression=compression) if self.docs else None
        )
        self.rows = self.tokens = self.text_bytes = self.copies = 0
        self.pending: list[dict] = []

    def add(self, record: Document | ErrorRecord) -> None:
        self.rows += 1
        self.text_bytes += _size(record)
        if self.docs:
            self.tokens += record.tokens
            self.copies += record.copy_of is not None
            self.pending.append(record.to_row())
            if len(self.pending) >= self.cfg.row_group_rows:
                self._flush()
        else:
            self.file.write(error_line(record))

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_pylist(self.pending, schema=DOCUMENT_SCHEMA))
            self.pending = []

    def full(self, next_size: int, next_tokens: int) -> bool:
        target_tokens = self.cfg.shard_target_tokens
        return self.rows >= self.cfg.shard_max_rows or (
            self.rows > 0
            and (
                self.text_bytes + next_size > self.cfg.shard_target_bytes
                or (target_tokens is not None and self.tokens + next_tokens > target_tokens)
            )
        )

    def finish(self) -> tuple[int, str]:
        """Closes and renames the file; returns (bytes, sha256)."""
        if self.docs:
            self._flush()
            self.writer.close()
        self.file.close()
        if FileSystems.exists(self.path):
            FileSystems.delete([self.path])
        FileSystems.rename([self.temp], [self.path])
        return self.file.size, self.file.sha256.hexdigest()


def write_atomically(path: str, data: bytes) -> None:
    """Temp file beside the target, then rename: readers never see a partial file."""
    directory, name = posixpath.split(path)
    temp = f"{directory}/.{name}.tmp-{uuid.uuid4().hex}"
    with FileSystems.create(temp) as fh:
        fh.write(data)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([temp], [path])


def _tokens(record: Document | ErrorRecord) -> int:
    return record.tokens if isinstance(record, Document) else 0


def shard_count(rows: int, size: int, tokens: int, cfg: OutputConfig) -> int:
    """Shards a group of this many rows, text bytes and tokens is spread over."""
    by_tokens = math.ceil(tokens / cfg.shard_target_tokens) if cfg.shard_target_tokens else 1
    return max(math.ceil(rows / cfg.shard_max_rows), math.ceil(size / cfg.shard_target_bytes), by_tokens, 1)


class WriteShards(beam.PTransform):
    """Writes records to OUT/<kind>[/<group>]/part-NNNNN-of-MMMMM.<ext>; outputs one info dict per file
    (path, kind, group, rows, tokens, copies, bytes, sha256)."""

    def __init__(self, output: str, kind: str, group_of: Callable[[object], str | None], cfg: OutputConfig):
        super().__init__()
        self.output, self.kind, self.group_of, self.cfg = output, kind, group_of, cfg

    def expand(self, records):
        group_of, cfg = self.group_of, self.cfg
        keyed = records | "Group" >> beam.Map(lambda r: (group_of(r) or "", r))
        totals = (
            keyed
            | "Sizes" >> beam.MapTuple(lambda g, r: (g, (1, _size(r), _tokens(r))))
            | "Totals" >> beam.CombinePerKey(_add_tuples)
        )

        def assign(group, record, totals=None):
            shards = shard_count(*totals[group], cfg)
            return (group, stable_hash("".join(_sort_key(record))) % shards), record

        written = (
            keyed
            | "Assign" >> beam.MapTuple(assign, totals=beam.pvalue.AsDict(totals))
            | "ByShard" >> beam.GroupByKey()
            | "Write" >> beam.FlatMapTuple(self._write)
        )
        return (
            records.pipeline
            | "Once" >> beam.Create([None])
            | "Number" >> beam.FlatMap(lambda _, infos: _numbered(infos, self.output), infos=AsList(written))
            | "SpreadRenames" >> beam.Reshuffle()
            | "Rename" >> beam.Map(_rename, output=self.output)
        )

    def _write(self, key: tuple[str, int], records: Iterable) -> Iterator[dict]:
        group, index = key
        runs = _SortedRuns()
        for record in records:  # one pass over the group, whatever the runner allows
            runs.add(record)
        part, current = 0, None
        for record in runs.merged():
            if current is not None and current.full(_size(record), _tokens(record)):
                yield self._info(current, group, index, part)
                part, current = part + 1, None
            if current is None:
                ext = "parquet" if isinstance(record, Document) else "jsonl"
                path = pending_path(self.output, self.kind, group or None, index, part, ext)
                current = _ShardFile(path, isinstance(record, Document), self.cfg)
            current.add(record)
        if current is not None:
            yield self._info(current, group, index, part)

    def _info(self, shard: _ShardFile, group: str, index: int, part: int) -> dict:
        size, digest = shard.finish()
        return {
            "pending": shard.path,
            "order": (index, part),
            "kind": self.kind,
            "group": group,
            "rows": shard.rows,
            "tokens": shard.tokens,
            "copies": shard.copies,
            "bytes": size,
            "sha256": digest,
        }


def _numbered(infos: list[dict], output: str) -> list[dict]:
    """Final names for the pending files: numbered per group in (shard, part) order."""
    by_group: dict[str, list[dict]] = {}
    for info in infos:
        by_group.setdefault(info["group"], []).append(info)
    named = []
    for group, members in sorted(by_group.items()):
        members.sort(key=lambda info: tuple(info["order"]))
        for i, info in enumerate(members):
            ext = info["pending"].rsplit(".", 1)[1]
            path = shard_path(output, info["kind"], group or None, i, len(members), ext)
            named.append({**info, "path": path[len(output.rstrip("/")) + 1 :]})
    return named


def _rename(info: dict, output: str) -> dict:
    """Moves a pending file to its final name; returns its manifest entry."""
    final = f"{output.rstrip('/')}/{info['path']}"
    if FileSystems.exists(info["pending"]):  # absent when a retried rename already moved it
        if FileSystems.exists(final):
            FileSystems.delete([final])
        FileSystems.rename([info["pending"]], [final])
    return {k: v for k, v in info.items() if k not in ("pending", "order")}


def _add_tuples(values: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    total: tuple[int, ...] = ()
    for value in values:
        total = tuple(a + b for a, b in zip(total, value, strict=True)) if total else tuple(value)
    return total


class _Writable(beam.DoFn):
    """Sends a document that cannot be written (a field that is not valid UTF-8, a value out of range for
    its column) to the errors output before it reaches a shard, where it would fail the whole file."""

    def process(self, doc: Document):
        try:
            _check_row(doc.to_row())
        except Exception as exc:  # the record is at fault, never the run
            reason = f"unwritable document: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            yield pvalue.TaggedOutput(ERRORS, ErrorRecord.of(doc.source, "write", reason, id=doc.id))
            return
        yield doc


def _check_row(row: dict) -> None:
    """Raises what the Parquet writer would: text that is not valid UTF-8, values of the wrong type. Rows of
    plain types (nearly all) cost a few string encodes; others get a full Arrow conversion."""
    for value in row.values():
        if isinstance(value, str):
            value.encode("utf-8")
    plain = (
        isinstance(row["tokens"], int)
        and all(isinstance(k, str) and isinstance(v, float) for k, v in row["signals"])
        and all(isinstance(k, str) and isinstance(v, int) for k, v in row["pii"])
        and all(isinstance(r, str) for r in row["rejected_by"])
    )
    if not plain:
        pa.Table.from_pylist([row], schema=DOCUMENT_SCHEMA)


def writable(docs, label: str):
    """(documents that can be written, error records for the others)."""
    out = docs | label >> beam.ParDo(_Writable()).with_outputs(ERRORS, main="docs")
    return out.docs, out[ERRORS]
