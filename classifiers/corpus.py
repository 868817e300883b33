"""Documents for the offline classifier commands (annotate, train): the shards and rejected files of a run
(Parquet), text dumps (JSONL with a text field, optionally gzip'ed) and plain text files (one document
each). A deterministic sample by id hash picks the same documents on every machine.
"""

from __future__ import annotations

import glob
import gzip
import heapq
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.hashing import stable_hash, stable_id


@dataclass(frozen=True)
class TextDoc:
    """What the classifier commands need of a document."""

    id: str
    text: str
    source: str
    url: str | None = None
    domain: str | None = None


def expand(patterns: Iterable[str]) -> list[str]:
    """Local files matching the globs, sorted; a pattern matching nothing is an error."""
    paths: list[str] = []
    for pattern in patterns:
        found = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"no input file matches {pattern}")
        paths += found
    return sorted(set(paths))


def read_documents(patterns: Iterable[str], text_field: str = "text") -> Iterator[TextDoc]:
    """Every document of the matching files, in file order."""
    for path in expand(patterns):
        name = path.removesuffix(".gz")
        if name.endswith(".parquet"):
            yield from _parquet(path, text_field)
        elif name.endswith((".jsonl", ".json")):
            yield from _jsonl(path, text_field)
        else:
            text = _open(path).read()
            if text.strip():
                yield TextDoc(stable_id(path, "0"), text, path)


def _open(path: str) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def _jsonl(path: str, text_field: str) -> Iterator[TextDoc]:
    with _open(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
            text = obj.get(text_field)
            if not isinstance(text, str):
                raise ValueError(f"{path}:{number}: no string field {text_field!r}")
            doc_id = str(obj["id"]) if obj.get("id") is not None else stable_id(path, str(number))
            yield TextDoc(doc_id, text, f"{path}:{number}", obj.get("url"), obj.get("domain"))


def _parquet(path: str, text_field: str) -> Iterator[TextDoc]:
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    names = table.schema_arrow.names
    wanted = [c for c in ("id", text_field, "url", "domain", "source", "copy_of") if c in names]
    if text_field not in wanted:
        raise ValueError(f"{path}: no column {text_field!r}")
    for batch in table.iter_batches(columns=wanted, use_threads=False):  # see pipeline/beam/outputs.py
        for row in batch.to_pylist():
            if row.get("copy_of") is not None:  # a mixture's repeat of a document read once already
                continue
            doc_id = row.get("id") or stable_id(path, str(row.get("source")))
            yield TextDoc(str(doc_id), row[text_field] or "", row.get("source") or path, row.get("url"),
                          row.get("domain"))


def sample(docs: Iterable[TextDoc], n: int | None) -> list[TextDoc]:
    """The `n` documents of smallest id hash (all of them when n is None), in that order: the same sample
    for the same ids whatever the file order, and a larger n only adds documents."""
    ranked = ((stable_hash(doc.id), doc.id, doc) for doc in docs if doc.text.strip())
    chosen = heapq.nsmallest(n, ranked, key=lambda r: (r[0], r[1])) if n is not None else sorted(
        ranked, key=lambda r: (r[0], r[1])
    )
    return [doc for _, _, doc in chosen]
