"""The Document record every stage reads and writes, its Parquet schema, and the error record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pyarrow as pa

DOMAINS = ("general", "math", "code", "multilingual")
RAW_PREFIX_BYTES = 512


@dataclass
class Document:
    """One document on its way through the pipeline (see docs/design.md, "The document record").

    `html` and `http_headers` are transient: they carry the raw page to the extraction stage
    and are never written to Parquet. `bounds` holds, for each failed threshold rule of `rejected_by`,
    the (min, max) that applied to this document after its domain and language overrides. `copy_of` is
    set on the extra rows of a document the mixture repeats (their id is "<id>#<copy>").
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
    bounds: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    copy_of: str | None = None
    html: bytes | None = None
    http_headers: dict[str, str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Caches that stages hang on the document (underscore attributes) never travel between workers.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def to_row(self) -> dict[str, Any]:
        """The Parquet row: every persisted field, maps as lists of entries sorted by key (deterministic
        bytes; pyarrow takes the tuples as structs)."""
        row = {name: getattr(self, name) for name in PERSISTED_FIELDS}
        row["signals"] = sorted(self.signals.items())
        row["pii"] = sorted(self.pii.items())
        row["rejected_by"] = list(self.rejected_by)  # a snapshot: later stages may still append
        row["bounds"] = [(rule, low, high) for rule, (low, high) in sorted(self.bounds.items())]
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Document:
        """Inverse of `to_row`; takes map entries as pyarrow returns them ({"key": k, "value": v}), as
        pairs, or as a dict."""
        values = {name: row[name] for name in PERSISTED_FIELDS if name in row}
        values["signals"] = entries(row.get("signals"))
        values["pii"] = entries(row.get("pii"))
        values["rejected_by"] = list(row.get("rejected_by") or [])
        bounds = (_fields(entry, BOUND_FIELDS) for entry in row.get("bounds") or ())
        values["bounds"] = {rule: (low, high) for rule, low, high in bounds}
        values["tokens"] = int(row.get("tokens") or 0)
        return cls(**values)


def _fields(entry: Any, names: tuple[str, ...]) -> tuple:
    """A struct entry as a tuple: pyarrow returns dicts, `to_row` and JSON give sequences."""
    return tuple(entry[name] for name in names) if isinstance(entry, dict) else tuple(entry)


def entries(value: Any) -> dict:
    """A key/value column's entries as a dict, whichever form they come in (see `Document.from_row`)."""
    if not value:
        return {}
    if isinstance(value, dict):
        return dict(value)
    return dict(_fields(entry, ENTRY_FIELDS) for entry in value)


@dataclass
class ErrorRecord:
    """A record that could not be read or processed: where it came from, why, and its first bytes.

    `source` is "<file>@<byte offset>" (or "<file>#<row group>:<row>"); `line` is the record's 1-based line
    number in a JSONL file when the reader knows it (a whole-file read), and `id` the document id the
    record would have had."""

    source: str
    stage: str
    error: str
    raw: str = ""
    id: str | None = None
    line: int | None = None

    @classmethod
    def of(
        cls, source: str, stage: str, error: str, raw: bytes | str = b"", id: str | None = None,
        line: int | None = None,
    ):
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        prefix = raw[:RAW_PREFIX_BYTES].decode("utf-8", "backslashreplace")
        return cls(source=source, stage=stage, error=error, raw=prefix, id=id, line=line)

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


# Key/value columns (signals, PII counts) are lists of {key, value} structs, not Arrow maps: pyarrow, pandas,
# duckdb, polars and Hugging Face `datasets` all load them (`datasets` has no type for maps).
ENTRY_FIELDS = ("key", "value")
BOUND_FIELDS = ("rule", "min", "max")


def _entries(value_type: pa.DataType) -> pa.DataType:
    return pa.list_(pa.struct([pa.field("key", pa.string(), nullable=False), pa.field("value", value_type)]))


DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("copy_of", pa.string()),
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
        pa.field("signals", _entries(pa.float64())),
        pa.field("pii", _entries(pa.int64())),
        pa.field("dup_cluster", pa.string()),
        pa.field("rejected_by", pa.list_(pa.string())),
        pa.field(
            "bounds",
            pa.list_(pa.struct([pa.field("rule", pa.string(), nullable=False), pa.field("min", pa.float64()),
                                pa.field("max", pa.float64())])),
        ),
    ]
)

PERSISTED_FIELDS = tuple(f.name for f in DOCUMENT_SCHEMA)
assert set(PERSISTED_FIELDS) <= {f.name for f in fields(Document)}
