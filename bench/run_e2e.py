"""End-to-end throughput: the whole `curate run` on a generated corpus of >= 5,000 pages.

Prints documents/s and MB/s of WARC and of HTML for 1 worker and for N multi-processing workers,
and checks the output with `curate verify`. Usage: python bench/run_e2e.py [--pages 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.sample_corpus import generate  # noqa: E402


def _html_bytes(corpus: str, truth) -> int:
    """Bytes of HTTP payload in the corpus (what extraction parses)."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    total = 0
    for name in truth.files:
        with open(os.path.join(corpus, name), "rb") as fh:
            for record in ArchiveIterator(fh, record_types=WarcRecordType.response):
                total += len(record.reader.read())
    return total


def run(corpus: str, out: str, workers: int) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "pipeline.beam.cli", "run", "--input", f"{corpus}/*.warc.gz",
           "--output", out, "--overwrite"] + (["--workers", str(workers)] if workers > 1 else [])
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "pipeline.beam.cli", "verify", out], check=True, cwd=ROOT)
    with open(os.path.join(out, "manifest.json")) as fh:
        return seconds, json.load(fh)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", default=os.path.join(ROOT, "bench", "data", "e2e"))
    args = parser.parse_args()

    corpus = os.path.join(args.workdir, f"corpus-{args.pages}")
    if not os.path.exists(os.path.join(corpus, "truth.json")):
        shutil.rmtree(corpus, ignore_errors=True)
        generate(corpus, pages=args.pages, seed=1, files=8)
    from tools.sample_corpus import SampleTruth

    truth = SampleTruth.load(os.path.join(corpus, "truth.json"))
    warc_mb = sum(os.path.getsize(os.path.join(corpus, f)) for f in truth.files) / 1e6
    html_mb = _html_bytes(corpus, truth) / 1e6
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"corpus: {len(truth.records)} records, {warc_mb:.1f} MB WARC.gz, {html_mb:.1f} MB HTML")
    print(f"{'workers':>8} {'seconds':>8} {'docs/s':>8} {'MB/s html':>10} {'MB/s warc':>10} {'kept':>6} "
          f"{'rejected':>8} {'errors':>6}")
    for workers in sorted({1, args.workers}):
        seconds, manifest = run(corpus, os.path.join(args.workdir, f"out-{workers}"), workers)
        c = manifest["counts"]
        print(f"{workers:>8} {seconds:>8.1f} {c['input'] / seconds:>8.1f} {html_mb / seconds:>10.2f} "
              f"{warc_mb / seconds:>10.2f} {c['kept']:>6} {c['rejected']:>8} {c['errors']:>6}")


if __name__ == "__main__":
    main()
