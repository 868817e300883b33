"""A finished run's output directory as data: its manifest and config, its documents, and their stored
signals as columns (what `curate tune`, `audit` and `report` read; nothing is recomputed).

Files are found through the manifest and opened through `pipeline.files`, so an output on gs:// or s3://
reads the same way once the Beam layer is imported.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.files import exists, read_bytes
from pipeline.registry import discover
from schemas.config import Config, ConfigError, apply_overrides, validate
from schemas.document import Document, ErrorRecord
from schemas.manifest import MANIFEST_NAME

COLUMNS = ("id", "copy_of", "domain", "lang", "tokens", "dup_cluster", "signals", "rejected_by")


class StoredRunError(ValueError):
    """An output directory that cannot serve the request; the message is one line."""


@dataclass
class Columns:
    """Stored documents as arrays, one entry per row: signals as float64 columns, NaN where a document
    has no value; reasons as the row's stored `rejected_by`."""

    ids: np.ndarray  # object (str)
    copy_of: np.ndarray  # object (str or None)
    domain: np.ndarray  # object (str or None)
    lang: np.ndarray  # object (str or None)
    tokens: np.ndarray  # int64
    dup_cluster: np.ndarray  # object (str or None)
    signals: dict[str, np.ndarray]
    signal_names: frozenset[str]  # every signal key stored, read or not
    reason_names: list[str]  # the distinct stored reasons
    reason_codes: np.ndarray  # per stored (row, reason) entry: index into reason_names
    reason_rows: np.ndarray  # per entry: its row
    _codes: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def stored(self, reason: str) -> np.ndarray:
        """Rows whose stored `rejected_by` holds `reason`."""
        mask = np.zeros(len(self), dtype=bool)
        if reason in self.reason_names:
            mask[self.reason_rows[self.reason_codes == self.reason_names.index(reason)]] = True
        return mask

    def codes(self, name: str) -> tuple[list, np.ndarray]:
        """(distinct values, per-row index into them) of an object column such as domain or lang."""
        if name not in self._codes:
            values: dict = {}
            codes = np.fromiter(
                (values.setdefault(v, len(values)) for v in getattr(self, name)), np.int64, len(self)
            )
            self._codes[name] = (list(values), codes)
        return self._codes[name]

    def signal(self, key: str) -> np.ndarray:
        found = self.signals.get(key)
        return found if found is not None else np.full(len(self), np.nan)


class StoredRun:
    """The output directory of one run."""

    def __init__(self, output: str):
        self.output = output.rstrip("/")
        path = f"{self.output}/{MANIFEST_NAME}"
        if not exists(path):
            raise StoredRunError(f"{path} does not exist: not the output of a finished run")
        self.manifest = json.loads(read_bytes(path))
        if self.manifest.get("format", 1) < 2:
            raise StoredRunError(
                f"{output} was written by an older version (manifest format 1): run it again"
            )

    @property
    def mode(self) -> str:
        return self.manifest.get("mode", "filter")

    @property
    def stage_names(self) -> list[str]:
        """The run's steps in order, the mixture excluded."""
        return [row["stage"] for row in self.manifest["funnel"] if row["stage"] != "mixture"]

    def config(self, overrides: Iterable[str] = ()) -> Config:
        """The run's config, with `--set` style overrides applied and validated."""
        data = self.manifest["config"]
        discover(data.get("plugins") or [])
        try:
            return validate(apply_overrides(data, list(overrides)))
        except ConfigError:
            raise
        except Exception as exc:  # an override the YAML parser or the path setter refuses
            raise ConfigError(f"config error: {exc}") from None

    def files(self, *kinds: str, group: str | None = None) -> list[str]:
        """Paths of the listed files of these kinds (shards, rejected, errors), optionally one group."""
        return [
            f"{self.output}/{shard['path']}"
            for shard in self.manifest["shards"]
            if shard["kind"] in kinds and (group is None or shard["group"] == group)
        ]

    def rows(self, *kinds: str) -> int:
        return sum(s["rows"] for s in self.manifest["shards"] if s["kind"] in kinds)

    def documents(self, *kinds: str, group: str | None = None) -> Iterator[Document]:
        for path in self.files(*kinds, group=group):
            yield from read_documents(path)

    def errors(self) -> Iterator[ErrorRecord]:
        for path in self.files("errors"):
            yield from read_errors(path)

    def columns(
        self,
        keys: Iterable[str] | Callable[[str], bool] | None = None,
        kinds: tuple[str, ...] = ("shards", "rejected"),
    ) -> Columns:
        """Every stored row of `kinds` as columns; `keys` limits the signals read (None: all of them)."""
        return read_columns(self.files(*kinds), keys)


def _table(path: str, columns: Iterable[str] | None = None) -> pa.Table:
    return pq.read_table(io.BytesIO(read_bytes(path)), columns=list(columns) if columns else None)


def read_documents(path: str) -> Iterator[Document]:
    """The documents of one Parquet shard, in file order."""
    for batch in _table(path).to_batches():
        for row in batch.to_pylist():
            yield Document.from_row(row)


def read_errors(path: str) -> Iterator[ErrorRecord]:
    """The error records of one JSONL file of OUT/errors."""
    for line in read_bytes(path).splitlines():
        if line.strip():
            yield ErrorRecord(**json.loads(line))


def read_columns(paths: list[str], keys: Iterable[str] | Callable[[str], bool] | None = None) -> Columns:
    """`Columns` of the rows of these Parquet files; `keys` (names, or a test on a name) limits the signals
    read. A file at a time: signal names and reasons are read dictionary-encoded (never as one string per
    entry), and a file's entries land in its (key, row) cells with one vectorized assignment."""
    if keys is None:
        wanted: Callable[[str], bool] = lambda _key: True  # noqa: E731
    elif callable(keys):
        wanted = keys
    else:
        wanted = frozenset(keys).__contains__
    parts = [_file_columns(_dictionary_table(path), wanted) for path in paths] or [
        _file_columns(_empty(), wanted)
    ]
    names = sorted(set().union(*(part["signals"] for part in parts)))
    reasons = sorted(set().union(*(part["reason_names"] for part in parts)))
    sizes = [len(part["ids"]) for part in parts]
    offsets = np.cumsum([0, *sizes])
    signals = {}
    for key in names:
        signals[key] = np.concatenate(
            [part["signals"].get(key, np.full(size, np.nan)) for part, size in zip(parts, sizes, strict=True)]
        )
    recode = [
        np.array([reasons.index(r) for r in part["reason_names"]] or [0], dtype=np.int64) for part in parts
    ]
    return Columns(
        **{name: np.concatenate([part[name] for part in parts]) for name in _ROW_FIELDS},
        signals=signals,
        signal_names=frozenset().union(*(part["signal_names"] for part in parts)),
        reason_names=reasons,
        reason_codes=np.concatenate([r[part["reason_codes"]] for r, part in zip(recode, parts, strict=True)]),
        reason_rows=np.concatenate(
            [part["reason_rows"] + o for part, o in zip(parts, offsets, strict=False)]
        ),
    )


_ROW_FIELDS = ("ids", "copy_of", "domain", "lang", "tokens", "dup_cluster")


def _dictionary_table(path: str) -> pa.Table:
    return pq.read_table(
        io.BytesIO(read_bytes(path)),
        columns=list(COLUMNS),
        read_dictionary=["signals.list.element.key", "rejected_by.list.element"],
    )


def _file_columns(table: pa.Table, wanted: Callable[[str], bool]) -> dict:
    n = table.num_rows
    names, parents = _entries(table.column("signals"), "key")
    dictionary = names.dictionary.to_pylist()
    keys = [k for k in dictionary if wanted(k)]
    position = {key: j for j, key in enumerate(keys)}
    slot = np.array([position.get(key, -1) for key in dictionary] or [-1], dtype=np.int64)
    codes = slot[names.indices.to_numpy(zero_copy_only=False)] if len(names) else np.zeros(0, np.int64)
    values = pc.struct_field(pc.list_flatten(table.column("signals")), "value")
    values = values.to_numpy(zero_copy_only=False).astype(np.float64) if len(values) else np.zeros(0)
    matrix = np.full((len(keys), n), np.nan)
    keep = codes >= 0
    matrix[codes[keep], parents[keep]] = values[keep]
    reasons, reason_rows = _entries(table.column("rejected_by"), None)
    return {
        "ids": _objects(table, "id"),
        "copy_of": _objects(table, "copy_of"),
        "domain": _objects(table, "domain"),
        "lang": _objects(table, "lang"),
        "tokens": table.column("tokens").to_numpy().astype(np.int64),
        "dup_cluster": _objects(table, "dup_cluster"),
        "signals": {key: matrix[j] for j, key in enumerate(keys)},
        "signal_names": frozenset(dictionary),
        "reason_names": reasons.dictionary.to_pylist(),
        "reason_codes": reasons.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        "reason_rows": reason_rows,
    }


def _entries(column: pa.ChunkedArray, field: str | None) -> tuple[pa.DictionaryArray, np.ndarray]:
    """A list column's entries (or one field of its struct entries) as one dictionary array, and the
    row each entry belongs to."""
    flat = pc.list_flatten(column)
    if field is not None:
        flat = pc.struct_field(flat, field)
    if not len(flat):
        encoded = pa.array([], pa.string()).dictionary_encode()
    elif pa.types.is_dictionary(flat.type):
        encoded = flat.unify_dictionaries().combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat
    else:
        encoded = (
            flat.combine_chunks().dictionary_encode()
            if isinstance(flat, pa.ChunkedArray)
            else (flat.dictionary_encode())
        )
    return encoded, pc.list_parent_indices(column).to_numpy().astype(np.int64)


def _empty() -> pa.Table:
    from schemas.document import DOCUMENT_SCHEMA

    return DOCUMENT_SCHEMA.empty_table().select(list(COLUMNS))


def _objects(table: pa.Table, name: str) -> np.ndarray:
    return np.array(table.column(name).to_pylist(), dtype=object)
