"""The run manifest: config and its hash, inputs, per-stage counts, domains, shard list, versions."""

from __future__ import annotations

import json
import platform
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 2  # 2: funnel with tokens, reasons first/all, mixture, part-NNNNN-of-MMMMM
_VERSIONED = ("pretrain-curator", "apache-beam", "pyarrow", "resiliparse", "trafilatura", "fasttext-numpy2",
              "datasketch", "presidio-analyzer", "transformers")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def per_bucket(counts: dict[str, int], prefix: str) -> dict[str, int]:
    """The `<prefix>:<bucket>` entries of `counts`, by bucket."""
    start = prefix + ":"
    return {k[len(start) :]: v for k, v in counts.items() if k.startswith(start)}


def _stage_of(reason: str) -> str:
    return reason.split(".", 1)[0]


def funnel(stage_names: list[str], counts: dict[str, int]) -> list[dict[str, int | str]]:
    """Documents and tokens into and out of each stage. A document leaves at the stage of its first reason
    (in annotate mode: would leave) or as an error; tokens are each document's count as written (errors
    have none), so a stage's `out_tokens` is the tokens of the documents that got past it."""
    first, first_tokens = per_bucket(counts, "first"), per_bucket(counts, "first_tokens")
    remaining = counts.get("input", 0) - counts.get("errors:read", 0)
    remaining_tokens = counts.get("kept_tokens", 0) + sum(first_tokens.values())
    rows = []
    for name in stage_names:
        rejected = sum(n for reason, n in first.items() if _stage_of(reason) == name)
        rejected_tokens = sum(n for reason, n in first_tokens.items() if _stage_of(reason) == name)
        errors = counts.get(f"errors:{name}", 0)
        out, out_tokens = remaining - rejected - errors, remaining_tokens - rejected_tokens
        rows.append({
            "stage": name, "in": remaining, "in_tokens": remaining_tokens, "rejected": rejected,
            "rejected_tokens": rejected_tokens, "errors": errors, "out": out, "out_tokens": out_tokens,
        })
        remaining, remaining_tokens = out, out_tokens
    return rows


def build_manifest(
    *,
    config: dict[str, Any],
    config_sha256: str,
    patterns: list[str],
    files: list[tuple[str, int]],
    stage_names: list[str],
    counts: dict[str, int],
    shards: list[dict[str, Any]],
    mixture: dict[str, Any],
) -> dict[str, Any]:
    """Assembles the manifest from what the pipeline counted and wrote. `counts` holds "input", "kept",
    "kept_tokens", "first:<reason>", "first_tokens:<reason>", "all:<reason>", "rows:<bucket>",
    "row_tokens:<bucket>", "copies", "errors:<stage>", "pii:<TYPE>" and "stat:<name>" keys."""
    rows_by = Counter()
    for shard in shards:
        rows_by[shard["kind"]] += shard["rows"]
    annotate = config.get("mode") == "annotate"
    first, all_reasons = per_bucket(counts, "first"), per_bucket(counts, "all")
    first_tokens = per_bucket(counts, "first_tokens")
    copies = sum(shard.get("copies", 0) for shard in shards)
    kept = counts.get("kept", 0)
    bucket_rows, bucket_tokens = per_bucket(counts, "rows"), per_bucket(counts, "row_tokens")
    total_tokens = sum(bucket_tokens.values())
    domains = {
        bucket: {"rows": bucket_rows.get(bucket, 0), "tokens": tokens,
                 "weight": round(tokens / total_tokens, 6) if total_tokens else 0.0}
        for bucket, tokens in sorted(bucket_tokens.items())
    }
    return {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "mode": config.get("mode", "filter"),
        "config_sha256": config_sha256,
        "config": config,
        "inputs": {"patterns": patterns, "files": [{"path": p, "bytes": s} for p, s in sorted(files)]},
        # documents: kept (pass every rule; in filter mode after the mixture), flagged (annotate mode: in the
        # shards with the rules they fail), rejected (OUT/rejected), errors; rows: shard rows, copies included
        "counts": {"input": counts.get("input", 0), "kept": kept,
                   "flagged": rows_by["shards"] - copies - kept if annotate else 0,
                   "rejected": rows_by["rejected"], "errors": rows_by["errors"],
                   "read_errors": counts.get("errors:read", 0), "rows": rows_by["shards"], "copies": copies,
                   "kept_tokens": counts.get("kept_tokens", 0)},
        "funnel": funnel(stage_names, counts),
        # per rule: documents whose first failed rule it is (these add up to the rejected documents; in
        # annotate mode to the flagged ones and those the mixture would leave out) and their tokens, and
        # documents failing it at all
        "reasons": {
            reason: {"first": first.get(reason, 0), "first_tokens": first_tokens.get(reason, 0),
                     "all": all_reasons.get(reason, 0)}
            for reason in sorted(set(first) | set(all_reasons))
        },
        "pii_redacted": dict(sorted(per_bucket(counts, "pii").items())),
        # MinHash: candidate and verified pairs, members kept because only a chain of similar pairs linked
        # them to their keeper, nodes whose components did not converge in dedup.minhash.max_rounds
        "dedup": dict(sorted(per_bucket(counts, "stat").items())),
        "cost": _costs(counts),
        "domains": domains,
        "mixture": mixture,
        "shards": sorted(shards, key=lambda s: s["path"]),
    }


def _costs(counts: dict[str, int]) -> dict[str, dict[str, float]]:
    """Per step, seconds of CPU and of wall time spent on its documents, summed over every worker (so the
    wall seconds of parallel workers add up): where a run's money goes."""
    steps = sorted({k.split(":", 1)[1] for k in counts if k.startswith(("cpu_us:", "wall_us:"))})
    return {
        step: {
            "cpu_s": round(counts.get(f"cpu_us:{step}", 0) / 1e6, 3),
            "wall_s": round(counts.get(f"wall_us:{step}", 0) / 1e6, 3),
        }
        for step in steps
    }


def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=False) + "\n"
