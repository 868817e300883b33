"""The output directory: preparing it for a run and verifying it against its manifest (`curate verify`)."""

from __future__ import annotations

import hashlib
import io
import json

from apache_beam.io.filesystems import FileSystems

from schemas.manifest import MANIFEST_NAME

OUTPUT_KINDS = ("shards", "rejected", "errors")
STAGING = "staging"


class OutputError(RuntimeError):
    pass


def _join(output: str, *parts: str) -> str:
    return "/".join([output.rstrip("/"), *parts])


def _listed(output: str, kind: str, hidden: bool = False) -> list[str]:
    """Files under OUT/<kind>/, relative to OUT; hidden temp files are not outputs unless `hidden`."""
    pattern = _join(output, kind, "**")
    found = FileSystems.match([pattern])[0].metadata_list
    prefix = len(output.rstrip("/")) + 1
    paths = []
    for meta in found:
        rel = meta.path[prefix:] if meta.path.startswith(output.rstrip("/")) else meta.path
        if hidden or not any(part.startswith(".") for part in rel.split("/")):
            paths.append(rel)
    return sorted(paths)


def prepare_output(output: str, overwrite: bool, resume: bool = False, resumable: bool = True) -> None:
    """Refuses to mix two runs in one directory. `overwrite` deletes the earlier run's outputs and staged
    extraction; `resume` deletes its outputs but keeps what it staged, for the new run to reuse (a command
    that extracts nothing is not `resumable`)."""
    earlier = [_join(output, MANIFEST_NAME)] if FileSystems.exists(_join(output, MANIFEST_NAME)) else []
    for kind in OUTPUT_KINDS:  # hidden files too: temp and pending files of a run that died
        earlier += [_join(output, rel) for rel in _listed(output, kind, hidden=True)]
    staged = [] if resume else [_join(output, rel) for rel in _listed(output, STAGING, hidden=True)]
    if (earlier or staged) and not (overwrite or resume):
        raise OutputError(
            f"{output} holds the outputs of an earlier run; pass --overwrite to replace them"
            + (" or --resume to reuse what it extracted" if resumable else "")
        )
    if earlier or staged:
        FileSystems.delete(earlier + staged)


def _sha256(path: str) -> tuple[str, bytes]:
    with FileSystems.open(path, compression_type="uncompressed") as fh:
        data = fh.read()
    return hashlib.sha256(data).hexdigest(), data


def _rows(rel: str, data: bytes) -> tuple[int, int]:
    """(rows, rows that repeat a document of the mixture)."""
    if rel.endswith(".parquet"):
        import pyarrow.parquet as pq

        # One thread: Arrow's decoding pool can abort the process at exit (apache/arrow#34314), and verify
        # reads one small column.
        table = pq.read_table(io.BytesIO(data), columns=["copy_of"], use_threads=False)
        originals = table.column("copy_of").null_count
        rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        return rows, rows - originals
    return sum(1 for line in data.splitlines() if line.strip()), 0


def verify_output(output: str) -> list[str]:
    """Every problem found: missing or unlisted files, checksum or row-count mismatches, and a broken
    conservation law (input records = documents in the shards + rejected + errors, where the mixture's
    repeated rows are not documents). Empty means the output is sound."""
    manifest_path = _join(output, MANIFEST_NAME)
    if not FileSystems.exists(manifest_path):
        return [f"{manifest_path} does not exist"]
    with FileSystems.open(manifest_path) as fh:
        manifest = json.load(fh)
    problems = []
    listed = {s["path"]: s for s in manifest["shards"]}
    on_disk = {rel for kind in OUTPUT_KINDS for rel in _listed(output, kind)}
    for rel in sorted(on_disk - listed.keys()):
        problems.append(f"{rel} is not in the manifest")
    totals = dict.fromkeys(OUTPUT_KINDS, 0)
    for rel, shard in sorted(listed.items()):
        if rel not in on_disk:
            problems.append(f"{rel} is in the manifest but missing")
            continue
        digest, data = _sha256(_join(output, rel))
        if digest != shard["sha256"]:
            problems.append(f"{rel}: sha256 {digest} != manifest {shard['sha256']}")
        rows, copies = _rows(rel, data)
        if rows != shard["rows"]:
            problems.append(f"{rel}: {rows} rows != manifest {shard['rows']}")
        if copies != shard.get("copies", 0):
            problems.append(f"{rel}: {copies} repeated rows != manifest {shard.get('copies', 0)}")
        totals[shard["kind"]] += rows - copies
    expected = manifest["counts"]["input"]
    recounted = sum(totals.values())
    if recounted != expected:
        problems.append(
            f"input records {expected} != documents in shards {totals['shards']} "
            f"+ rejected {totals['rejected']} "
            f"+ errors {totals['errors']} = {recounted}"
        )
    return problems
