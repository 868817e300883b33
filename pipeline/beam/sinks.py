"""Deterministic file sinks: Parquet shards of documents and JSONL files of error records.

Records are grouped (by domain, by rejecting stage), spread over as many shards as the configured
row and byte bounds need, assigned to a shard by a hash of their id, sorted by id inside it, and
written to a hidden temp file that is renamed into place. Same input, same files, on any runner.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import posixpath
import uuid
from collections.abc import Callable, Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas.config import OutputConfig
from schemas.document import DOCUMENT_SCHEMA, Document, ErrorRecord
from schemas.hashing import stable_hash


def shard_path(output: str, kind: str, group: str | None, index: int, ext: str, part: int = 0) -> str:
    """OUT/<kind>[/<group>]/part-NNNNN.<ext>; an overfull shard continues in part-NNNNN-K.<ext>."""
    name = f"part-{index:05d}" + (f"-{part}" if part else "") + f".{ext}"
    return "/".join([output.rstrip("/"), kind] + ([group] if group else []) + [name])


def _sort_key(record: Document | ErrorRecord) -> tuple[str, str]:
    return (record.id or "", record.source) if isinstance(record, Document) else (record.source, record.stage)


def _size(record: Document | ErrorRecord) -> int:
    return len(record.text) if isinstance(record, Document) else len(record.raw) + len(record.error)


def encode_parquet(docs: list[Document], cfg: OutputConfig) -> bytes:
    sink = pa.BufferOutputStream()
    compression = None if cfg.compression == "none" else cfg.compression
    with pq.ParquetWriter(sink, DOCUMENT_SCHEMA, compression=compression) as writer:
        for start in range(0, len(docs), cfg.row_group_rows):
            rows = [d.to_row() for d in docs[start : start + cfg.row_group_rows]]
            writer.write_table(pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA))
    return sink.getvalue().to_pybytes()


def encode_jsonl(errors: list[ErrorRecord]) -> bytes:
    out = io.StringIO()
    for record in errors:
        out.write(json.dumps(record.to_json_dict(), ensure_ascii=False, sort_keys=True))
        out.write("\n")
    return out.getvalue().encode("utf-8")


def write_atomically(path: str, data: bytes) -> None:
    """Temp file beside the target, then rename: readers never see a partial shard."""
    directory, name = posixpath.split(path)
    temp = f"{directory}/.{name}.tmp-{uuid.uuid4().hex}"
    with FileSystems.create(temp) as fh:
        fh.write(data)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([temp], [path])


class WriteShards(beam.PTransform):
    """Writes records to OUT/<kind>[/<group>]/part-NNNNN.<ext>; outputs one info dict per file."""

    def __init__(self, output: str, kind: str, group_of: Callable[[object], str | None], cfg: OutputConfig):
        super().__init__()
        self.output, self.kind, self.group_of, self.cfg = output, kind, group_of, cfg

    def expand(self, records):
        group_of, cfg = self.group_of, self.cfg
        keyed = records | "Group" >> beam.Map(lambda r: (group_of(r) or "", r))
        totals = (
            keyed
            | "Sizes" >> beam.MapTuple(lambda g, r: (g, (1, _size(r))))
            | "Totals" >> beam.CombinePerKey(_add_pairs)
        )

        def assign(group, record, totals=None):
            rows, size = totals[group]
            shards = max(math.ceil(rows / cfg.shard_max_rows), math.ceil(size / cfg.shard_target_bytes), 1)
            return (group, stable_hash(_sort_key(record)[0] + _sort_key(record)[1]) % shards), record

        return (
            keyed
            | "Assign" >> beam.MapTuple(assign, totals=beam.pvalue.AsDict(totals))
            | "ByShard" >> beam.GroupByKey()
            | "Write" >> beam.FlatMapTuple(self._write)
        )

    def _write(self, key: tuple[str, int], records: Iterable) -> Iterator[dict]:
        group, index = key
        ordered = sorted(records, key=_sort_key)
        for part, chunk in enumerate(_bounded_chunks(ordered, self.cfg)):
            if isinstance(chunk[0], Document):
                data, ext = encode_parquet(chunk, self.cfg), "parquet"
                tokens = sum(d.tokens for d in chunk)
            else:
                data, ext, tokens = encode_jsonl(chunk), "jsonl", 0
            path = shard_path(self.output, self.kind, group or None, index, ext, part)
            write_atomically(path, data)
            yield {
                "path": path[len(self.output.rstrip("/")) + 1 :],
                "kind": self.kind,
                "group": group,
                "rows": len(chunk),
                "tokens": tokens,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }


def _add_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    rows = size = 0
    for r, s in pairs:
        rows, size = rows + r, size + s
    return rows, size


def _bounded_chunks(ordered: list, cfg: OutputConfig) -> Iterator[list]:
    """Splits a sorted shard where hashing overfilled it, so no file exceeds the row or byte bound."""
    chunk: list = []
    size = 0
    for record in ordered:
        if chunk and (len(chunk) >= cfg.shard_max_rows or size + _size(record) > cfg.shard_target_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(record)
        size += _size(record)
    yield chunk
