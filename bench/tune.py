"""`curate tune` speed over 1M documents' stored signals.

Real signals first: an annotate-mode run over the 499 real pages of ../shared/webpages-dev (their annotated
main content as a JSONL text dump), every stage on. Then 1M synthetic rows drawn from those real rows
(bootstrap: a real row's domain, language, reasons and signals, each float signal times a log-normal
jitter of 5%, tokens likewise), written as an annotate run's shards (10 files of 100k rows, no text: tune
never reads it) with its manifest. Then `tune` with two changed thresholds, timed in CPU seconds (the
machine is shared) and split into reading the columns, deciding (old and new rules), the mixture and the
printout.

Usage: python bench/tune.py [--rows 1000000] [--repeat 3] [--work out/bench-tune]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

PAGES = os.path.join(ROOT, "..", "shared", "webpages-dev", "ground-truth.jsonl")
CHANGES = [
    "filters.gopher_quality.rules.word_count={min: 80, max: 100000}",
    "filters.c4.rules.sentence_count={min: 3}",
]
FILE_ROWS = 100_000


def annotate_real(work: str) -> str:
    """The annotate-mode run over webpages-dev (made once, reused)."""
    out = os.path.join(work, "real-annotated")
    if not os.path.exists(os.path.join(out, "manifest.json")):
        cmd = [
            sys.executable,
            "-m",
            "pipeline.beam.cli",
            "run",
            "--input",
            os.path.abspath(PAGES),
            "--output",
            out,
            "--overwrite",
            "--set",
            "mode=annotate",
            "--set",
            "input.text_field=main_content",
        ]
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return out


def synthesize(real: str, target: str, rows: int, seed: int = 0) -> None:
    """`rows` bootstrap rows of the real run's stored documents, as an annotate run in `target`."""
    from pipeline.stored import StoredRun
    from schemas.document import DOCUMENT_SCHEMA

    run = StoredRun(real)
    docs = list(run.documents("shards", "rejected"))
    rng = np.random.default_rng(seed)
    keys = sorted({k for d in docs for k in d.signals})
    matrix = np.array([[d.signals.get(k, np.nan) for k in keys] for d in docs])  # docs x keys
    os.makedirs(os.path.join(target, "shards", "general"), exist_ok=True)
    shards = []
    files = -(-rows // FILE_ROWS)
    for f in range(files):
        n = min(FILE_ROWS, rows - f * FILE_ROWS)
        pick = rng.integers(0, len(docs), n)
        values = matrix[pick] * rng.lognormal(0.0, 0.05, (n, len(keys)))
        present = ~np.isnan(values)
        row_of, key_of = np.nonzero(present)  # row-major: each row's entries in key order
        offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
        entries = pa.StructArray.from_arrays(
            [
                pa.DictionaryArray.from_arrays(pa.array(key_of.astype(np.int32)), pa.array(keys)).cast(
                    pa.string()
                ),
                pa.array(values[row_of, key_of]),
            ],
            fields=list(DOCUMENT_SCHEMA.field("signals").type.value_type),
        )
        chosen = [docs[i] for i in pick]
        tokens = np.maximum(1, (np.array([d.tokens for d in chosen]) * rng.lognormal(0, 0.05, n))).astype(
            np.int64
        )
        table = pa.table(
            {
                "id": [f"{f:04d}{i:08d}" for i in range(n)],
                "copy_of": pa.nulls(n, pa.string()),
                "source_id": pa.nulls(n, pa.string()),
                "url": [d.url for d in chosen],
                "source": [d.source for d in chosen],
                "fetched_at": pa.nulls(n, pa.string()),
                "text": [""] * n,
                "title": pa.nulls(n, pa.string()),
                "lang": [d.lang for d in chosen],
                "lang_score": [d.lang_score for d in chosen],
                "domain": [d.domain for d in chosen],
                "tokens": tokens,
                "signals": pa.ListArray.from_arrays(pa.array(offsets), entries),
                "pii": pa.array([[]] * n, DOCUMENT_SCHEMA.field("pii").type),
                "dup_cluster": [d.dup_cluster for d in chosen],
                "rejected_by": [d.rejected_by for d in chosen],
                "bounds": pa.array([[]] * n, DOCUMENT_SCHEMA.field("bounds").type),
            },
            schema=DOCUMENT_SCHEMA,
        )
        rel = f"shards/general/part-{f:05d}-of-{files:05d}.parquet"
        pq.write_table(table, os.path.join(target, rel), compression="zstd", row_group_size=10_000)
        shards.append(
            {
                "path": rel,
                "kind": "shards",
                "group": "general",
                "rows": n,
                "tokens": int(tokens.sum()),
                "copies": 0,
                "bytes": os.path.getsize(os.path.join(target, rel)),
                "sha256": "",
            }
        )
    manifest = {**run.manifest, "shards": shards}
    with open(os.path.join(target, "manifest.json"), "w") as fh:
        json.dump(manifest, fh)


def timed(repeat: int, target: str) -> None:
    from pipeline.rules import RuleBook
    from pipeline.stored import StoredRun
    from pipeline.tune import draws, evaluate, mixture_plan, render, signal_keys, tune

    for attempt in range(repeat):
        load = os.getloadavg()[0]
        t0 = time.process_time()
        result, cfg = tune(target, CHANGES)
        total = time.process_time() - t0
        text = render(result)
        # the parts, again, one by one
        run = StoredRun(target)
        old_cfg = run.config()
        books = RuleBook(old_cfg, run.stage_names), RuleBook(cfg, run.stage_names)
        keys = signal_keys(*books)
        t = time.process_time()
        cols = run.columns(keys=keys)
        read = time.process_time() - t
        t = time.process_time()
        before, after = evaluate(books[0], cols), evaluate(books[1], cols)
        decide = time.process_time() - t
        t = time.process_time()
        values = draws(cols.ids, cfg.mixture.seed)
        mixture_plan(cols, before.kept, old_cfg.mixture, values)
        mixture_plan(cols, after.kept, cfg.mixture, values)
        mix = time.process_time() - t
        print(
            f"run {attempt + 1}: {len(cols):,} documents, tune {total:.2f} s CPU "
            f"(read columns {read:.2f}, decide old+new {decide:.2f}, mixture {mix:.2f}), load {load:.2f}"
        )
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(ROOT, "out", "bench-tune"))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    real = annotate_real(args.work)
    target = os.path.join(args.work, f"synthetic-{args.rows}")
    if not os.path.exists(os.path.join(target, "manifest.json")):
        t = time.perf_counter()
        synthesize(real, target, args.rows)
        print(f"synthesized {args.rows:,} rows in {time.perf_counter() - t:.1f} s")
    timed(args.repeat, target)


if __name__ == "__main__":
    main()
