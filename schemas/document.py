"""The Document record every stage reads and writes, its Parquet schema, and the error record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pyarrow as pa

DOMAINS = ("general", "math", "code", "multilingual")
RAW_PREFIX_BYTES = 512


@dataclass
class Document:
    """One document on its way through the pipeline (see DESIGN.md, "The document record").

    `html` and `http_headers` are transient: they carry the raw page to the extraction stage
    and are never written to Parquet.
    """

    id: str
    source: str
    text: str = ""
    source_id: str | None = None
    url: str | None = None
    fetched_at: str | None = None
    title: str | None = None
    lang: str | None = None
    lang_score: float | None = None
    domain: str | None = None
    tokens: int = 0
    signals: dict[str, float] = field(default_factory=dict)
    pii: dict[str, int] = field(default_factory=dict)
    dup_cluster: str | None = None
    rejected_by: list[str] = field(default_factory=list)
    html: bytes | None = None
    http_headers: dict[str, str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Caches that stages hang on the document (underscore attributes) never travel between workers.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def to_row(self) -> dict[str, Any]:
        """The Parquet row: every persisted field, maps as sorted lists of pairs (deterministic bytes)."""
        row = {name: getattr(self, name) for name in PERSISTED_FIELDS}
        row["signals"] = sorted(self.signals.items())
        row["pii"] = sorted(self.pii.items())
        row["rejected_by"] = list(self.rejected_by)  # a snapshot: later stages may still append
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Document:
        """Inverse of `to_row`; accepts maps as dicts or lists of pairs (pyarrow returns pairs)."""
        values = {name: row[name] for name in PERSISTED_FIELDS if name in row}
        values["signals"] = dict(row.get("signals") or {})
        values["pii"] = dict(row.get("pii") or {})
        values["rejected_by"] = list(row.get("rejected_by") or [])
        values["tokens"] = int(row.get("tokens") or 0)
        return cls(**values)


@dataclass
class ErrorRecord:
    """A record that could not be read or processed: where it came from, why, and its first bytes."""

    source: str
    stage: str
    error: str
    raw: str = ""
    id: str | None = None

    @classmethod
    def of(cls, source: str, stage: str, error: str, raw: bytes | str = b"", id: str | None = None):
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        prefix = raw[:RAW_PREFIX_BYTES].decode("utf-8", "backslashreplace")
        return cls(source=source, stage=stage, error=error, raw=prefix, id=id)

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)




DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source_id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("fetched_at", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("lang_score", pa.float64()),
        pa.field("domain", pa.string()),
        pa.field("tokens", pa.int64(), nullable=False),
        pa.field("signals", pa.map_(pa.string(), pa.float64())),
        pa.field("pii", pa.map_(pa.string(), pa.int64())),
        pa.field("dup_cluster", pa.string()),
        pa.field("rejected_by", pa.list_(pa.string())),
    ]
)

PERSISTED_FIELDS = tuple(f.name for f in DOCUMENT_SCHEMA)
assert set(PERSISTED_FIELDS) <= {f.name for f in fields(Document)}
