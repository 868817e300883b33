"""The full default graph translates for Dataflow offline (`--dry-run`), within its request limits.

Needs the `gcp` extra (apache-beam[gcp]); skipped without it. `make install` installs it, so CI runs it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("google.cloud.storage", reason="the gcp extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
# Dataflow refuses job graphs above 10 MB; "room to spare" is a quarter of that.
GRAPH_LIMIT_MIB = 10 / 4


def dry_run(out: Path, temp_location: str, timeout: int) -> subprocess.CompletedProcess:
    """`curate run --runner=DataflowRunner ... --dry-run` on the sample corpus, offline."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.beam.cli", "run", "--input", str(ROOT / "data/sample/*.warc.gz"),
         "--output", str(out), "--runner=DataflowRunner", "--project", "my-project",
         "--region", "us-central1", "--temp_location", temp_location, "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_default_graph_translates_for_dataflow_offline(tmp_path):
    out = tmp_path / "out"
    proc = dry_run(out, "gs://my-bucket/tmp", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = re.search(
        r"dry run for DataflowRunner: (\d+) transforms, pipeline graph ([\d.]+) MiB", proc.stdout
    )
    assert summary, proc.stdout
    transforms, mib = int(summary[1]), float(summary[2])
    assert transforms > 100  # the whole graph: every stage, dedup step and sink
    assert 0 < mib < GRAPH_LIMIT_MIB
    assert not out.exists()


def test_an_invalid_bucket_fails_at_once_instead_of_retrying_the_network(tmp_path):
    proc = dry_run(tmp_path / "out", "gs://B/tmp", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --temp_location: Invalid GCS bucket")
