"""The run manifest: config and its hash, inputs, per-stage counts, domains, shard list, versions."""

from __future__ import annotations

import json
import platform
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
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


def build_manifest(
    *,
    config: dict[str, Any],
    config_sha256: str,
    patterns: list[str],
    files: list[tuple[str, int]],
    stage_names: list[str],
    counts: dict[str, int],
    shards: list[dict[str, Any]],
) -> dict[str, Any]:
    """Assembles the manifest from what the pipeline counted and wrote; `counts` holds
    "input", "reason:<stage>.<rule>", "errors:<stage>" and "pii:<TYPE>" keys."""
    rows_by = Counter()
    domains: dict[str, dict[str, float]] = {}
    for shard in shards:
        rows_by[(shard["kind"], shard["group"])] += shard["rows"]
        if shard["kind"] == "shards":
            entry = domains.setdefault(shard["group"], {"documents": 0, "tokens": 0})
            entry["documents"] += shard["rows"]
            entry["tokens"] += shard["tokens"]
    total_tokens = sum(d["tokens"] for d in domains.values())
    for entry in domains.values():
        entry["weight"] = round(entry["tokens"] / total_tokens, 6) if total_tokens else 0.0

    kept = sum(n for (kind, _), n in rows_by.items() if kind == "shards")
    rejected = sum(n for (kind, _), n in rows_by.items() if kind == "rejected")
    errors = sum(n for (kind, _), n in rows_by.items() if kind == "errors")
    funnel = []
    remaining = counts.get("input", 0) - counts.get("errors:read", 0)
    for name in stage_names:
        stage_rejected = rows_by[("rejected", name)]
        stage_errors = counts.get(f"errors:{name}", 0)
        funnel.append({"stage": name, "in": remaining, "rejected": stage_rejected, "errors": stage_errors})
        remaining -= stage_rejected + stage_errors
    return {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "config_sha256": config_sha256,
        "config": config,
        "inputs": {"patterns": patterns, "files": [{"path": p, "bytes": s} for p, s in sorted(files)]},
        "counts": {"input": counts.get("input", 0), "kept": kept, "rejected": rejected, "errors": errors,
                   "read_errors": counts.get("errors:read", 0)},
        "funnel": funnel,
        "reasons": {k.split(":", 1)[1]: v for k, v in sorted(counts.items()) if k.startswith("reason:")},
        "pii_redacted": {k.split(":", 1)[1]: v for k, v in sorted(counts.items()) if k.startswith("pii:")},
        # MinHash: candidate and verified pairs, members kept because only a chain of similar pairs linked
        # them to their keeper, nodes whose components did not converge in dedup.minhash.max_rounds
        "dedup": {k.split(":", 1)[1]: v for k, v in sorted(counts.items()) if k.startswith("stat:")},
        "cost": _costs(counts),
        "domains": dict(sorted(domains.items())),
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
