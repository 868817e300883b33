"""Dedup benchmark: MinHash pair precision / recall / F1 against exact Jaccard, throughput, scaling.

    python -m bench.dedup.run quality --originals 6000 --copies 2000
    python -m bench.dedup.run scaling --sizes 50000 100000 200000 --workers 2

Runs on Beam's FnApiRunner (in-process, or with worker processes for the scaling figures, whose peak
memory is reported apart from the runner's). Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from bench.dedup.corpus import EDIT_RATES, build_corpus
from bench.dedup.truth import clusters_of_pairs, pair_scores, similar_pairs
from pipeline.beam.dedup import DocumentDedup, MinHashDedup, url_members
from pipeline.dedup.minhash import band_layout, shingles
from schemas.config import DedupConfig, MinHashDedupConfig
from schemas.document import Document

STEPS = ("document", "minhash")  # url + exact + line in one transform, then MinHash


def run_dedup(
    docs: list[Document], settings: DedupConfig, steps: tuple[str, ...] = STEPS, workers: int = 1
) -> tuple[dict, float]:
    """Runs the dedup transforms; returns ({id: (dup_cluster, kept)}, seconds)."""
    flags = []
    if workers > 1:
        flags = [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    with tempfile.TemporaryDirectory() as tmp:
        # documents are read from files, not embedded in the graph (beam.Create would ship them all to
        # every worker with the pipeline)
        for part in range(16):
            with open(f"{tmp}/docs-{part:02d}.jsonl", "w") as handle:
                handle.writelines(json.dumps(d.to_row()) + "\n" for d in docs[part::16])
        start = time.perf_counter()
        with beam.Pipeline(runner="FnApiRunner", options=PipelineOptions(flags)) as p:
            kept = (
                p
                | "Read" >> beam.io.ReadFromText(f"{tmp}/docs-*.jsonl")
                | "Docs" >> beam.Map(lambda line: Document.from_row(json.loads(line)))
            )
            rejected = []
            if "document" in steps:
                urls = kept | "Urls" >> beam.FlatMap(url_members, settings=settings)
                kept, dropped, _ = kept | "Document" >> DocumentDedup(urls, settings, annotate=False)
                rejected.append(dropped)
            if "minhash" in steps:
                kept, dropped, _, _ = kept | "MinHash" >> MinHashDedup(settings, annotate=False)
                rejected.append(dropped)
            outcome = (
                kept | "KeptRows" >> beam.Map(lambda d: json.dumps([d.id, d.dup_cluster, True])),
                rejected | "AllRejected" >> beam.Flatten()
                | "RejectedRows" >> beam.Map(lambda d: json.dumps([d.id, d.dup_cluster, False])),
            )
            _ = outcome | beam.Flatten() | beam.io.WriteToText(f"{tmp}/out")
        seconds = time.perf_counter() - start
        rows = [json.loads(line) for path in sorted(Path(tmp).glob("out*")) for line in path.open()]
    return {doc_id: (cluster, kept) for doc_id, cluster, kept in rows}, seconds


def predicted_clusters(result: dict) -> dict[str, str]:
    """A removed document belongs to its keeper's cluster; everything else is its own cluster."""
    return {doc_id: (cluster or doc_id) for doc_id, (cluster, _kept) in result.items()}


def quality(args: argparse.Namespace) -> None:
    corpus = build_corpus(args.originals, args.copies, seed=args.seed)
    docs = corpus.docs
    words = sum(len(d.text.split()) for d in docs)
    print(f"corpus: {len(docs)} documents ({args.originals} real Debian-doc paragraph runs + {args.copies} "
          f"planted copies at edit rates {EDIT_RATES}), {words / len(docs):.0f} words/doc")

    start = time.perf_counter()
    vocabulary: dict[str, int] = {}
    sets = {
        d.id: frozenset(vocabulary.setdefault(s, len(vocabulary)) for s in shingles(d.text, 5)) for d in docs
    }
    truth_pairs = similar_pairs(sets, args.threshold)
    truth = clusters_of_pairs([d.id for d in docs], list(truth_pairs))
    print(f"ground truth: {len(truth_pairs)} pairs with exact Jaccard >= {args.threshold} "
          f"(prefix-filtered join, {time.perf_counter() - start:.1f} s)")

    # (num_perm, bands, rows, verify): FineWeb's exact setup, the default, and the derived optimum.
    layouts = [(112, 14, 8, True), (256, 14, 8, True), (256, None, None, True)]
    print(f"\n{'num_perm':>8} {'bands x rows':>12} {'verify':>6} {'precision':>9} {'recall':>7} {'F1':>6} "
          f"{'docs/s':>7}")
    for num_perm, bands, rows, verify in layouts:
        minhash = MinHashDedupConfig(
            num_perm=num_perm, bands=bands, rows=rows, verify=verify, threshold=args.threshold
        )
        result, seconds = run_dedup(docs, DedupConfig(minhash=minhash), ("minhash",))
        precision, recall, f1 = pair_scores(truth, predicted_clusters(result))
        b, r = band_layout(minhash)
        print(f"{num_perm:8d} {f'{b} x {r}':>12} {str(verify):>6} {precision:9.4f} {recall:7.4f} {f1:6.4f} "
              f"{len(docs) / seconds:7.0f}")
        if minhash == MinHashDedupConfig(threshold=args.threshold):
            default_clusters = predicted_clusters(result)

    by_rate: dict[float, Counter] = defaultdict(Counter)
    for copy_id, (original, rate) in corpus.planted.items():
        by_rate[rate]["planted"] += 1
        by_rate[rate]["similar"] += truth[copy_id] == truth[original]
        by_rate[rate]["merged"] += default_clusters[copy_id] == default_clusters[original]
    print("\nplanted (copy, original) pairs by word edit rate: share truly >= threshold (exact, transitive) "
          "vs share put in one cluster (default settings)")
    for rate in EDIT_RATES:
        c = by_rate[rate]
        print(f"  rate {rate:5.3f}: {c['planted']:5d} planted  truth {c['similar'] / c['planted']:6.1%}  "
              f"minhash {c['merged'] / c['planted']:6.1%}")

    _, seconds = run_dedup(docs, DedupConfig())
    print(f"\nall four stages (url, exact, line, minhash): {len(docs) / seconds:.0f} docs/s "
          f"({seconds:.1f} s, FnApiRunner, 1 worker)")


def scale_one(args: argparse.Namespace) -> None:
    """One scaling point, in its own process so that its peak memory is its own."""
    copies = args.size // 5
    corpus = build_corpus(args.size - copies, copies, seed=args.seed, remix=True)
    steps = ("minhash",) if args.minhash_only else STEPS
    _, seconds = run_dedup(corpus.docs, DedupConfig(), steps, args.workers)
    runner_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"docs": len(corpus.docs), "seconds": seconds, "runner_mib": runner_mib,
                      "worker_mib": worker_mib}))


def scaling(args: argparse.Namespace) -> None:
    label = "minhash only" if args.minhash_only else "url + exact + line + minhash"
    print(f"scaling ({label}; 80% originals, 20% planted copies; beyond the ~20k real documents the "
          "originals are remixed paragraphs of real ones)")
    print(f"{args.workers} worker processes; peak RSS of the busiest worker and of the runner process (which "
          "holds every PCollection in FnApiRunner)")
    print(f"{'docs':>8} {'seconds':>8} {'docs/s':>7} {'worker MiB':>11} {'runner MiB':>11}")
    for size in args.sizes:
        command = [sys.executable, "-m", "bench.dedup.run", "scale-one", "--size", str(size),
                   "--workers", str(args.workers)]
        command += ["--minhash-only"] if args.minhash_only else []
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        point = json.loads(out.strip().splitlines()[-1])
        print(f"{point['docs']:8d} {point['seconds']:8.1f} {point['docs'] / point['seconds']:7.0f} "
              f"{point['worker_mib']:11.0f} {point['runner_mib']:11.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--originals", type=int, default=6000)
    q.add_argument("--copies", type=int, default=2000)
    q.add_argument("--threshold", type=float, default=MinHashDedupConfig().threshold)
    s = sub.add_parser("scaling")
    s.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    one = sub.add_parser("scale-one")
    one.add_argument("--size", type=int, required=True)
    for p in (s, one):
        p.add_argument("--minhash-only", action="store_true")
        p.add_argument("--workers", type=int, default=2)
    for p in (q, s, one):
        p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    {"quality": quality, "scaling": scaling, "scale-one": scale_one}[args.command](args)


if __name__ == "__main__":
    main()
