"""Dedup benchmark: MinHash pair precision / recall / F1 against exact Jaccard, throughput, scaling.

    python -m bench.dedup.run quality --originals 5000 --derived 1500
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

from bench.dedup.corpus import build_corpus
from bench.dedup.devset import OPERATIONS, build_devset
from bench.dedup.truth import clusters_of_pairs, pair_scores, similar_pairs
from pipeline.beam.dedup import DocumentDedup, MinHashDedup, url_members
from pipeline.dedup.minhash import Signer, shingles
from schemas.config import DedupConfig, MinHashDedupConfig
from schemas.document import Document

STEPS = ("document", "minhash")  # url + exact + line in one transform, then MinHash


def run_dedup(
    docs: list[Document],
    settings: DedupConfig,
    steps: tuple[str, ...] = STEPS,
    workers: int = 1,
    with_stats: bool = False,
):
    """Runs the dedup transforms; returns ({id: (dup_cluster, kept)}, seconds[, MinHash counts])."""
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
                kept, dropped, _, _ = kept | "Document" >> DocumentDedup(urls, settings, annotate=False)
                rejected.append(dropped)
            stats = []
            if "minhash" in steps:
                kept, dropped, _, _, counted = kept | "MinHash" >> MinHashDedup(settings, annotate=False)
                rejected.append(dropped)
                stats.append(counted)
            outcome = (
                kept | "KeptRows" >> beam.Map(lambda d: json.dumps([d.id, d.dup_cluster, True])),
                rejected
                | "AllRejected" >> beam.Flatten()
                | "RejectedRows" >> beam.Map(lambda d: json.dumps([d.id, d.dup_cluster, False])),
                stats
                | "AllStats" >> beam.Flatten(pipeline=p)
                | "SumStats" >> beam.CombinePerKey(sum)
                | "StatRows" >> beam.Map(lambda kv: json.dumps(["stat", kv[0], kv[1]])),
            )
            _ = outcome | beam.Flatten() | beam.io.WriteToText(f"{tmp}/out")
        seconds = time.perf_counter() - start
        rows = [json.loads(line) for path in sorted(Path(tmp).glob("out*")) for line in path.open()]
    result = {a: (b, c) for a, b, c in rows if a != "stat"}
    counted = {b: c for a, b, c in rows if a == "stat"}
    return (result, seconds, counted) if with_stats else (result, seconds)


def predicted_clusters(result: dict) -> dict[str, str]:
    """A removed document belongs to its keeper's cluster; everything else is its own cluster."""
    return {doc_id: (cluster or doc_id) for doc_id, (cluster, _kept) in result.items()}


def direct_pair_scores(truth_pairs: dict, predicted: dict[str, str]) -> tuple[float, float, float]:
    """Precision / recall / F1 of the pairs put in one predicted cluster against the pairs whose own
    Jaccard reaches the threshold (no transitivity: a chain is not a pair)."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc_id, cluster in predicted.items():
        members[cluster].append(doc_id)
    predicted_pairs = {
        tuple(sorted((a, b))) for group in members.values() for a in group for b in group if a < b
    }
    both = len(predicted_pairs & truth_pairs.keys())
    precision = both / len(predicted_pairs) if predicted_pairs else 1.0
    recall = both / len(truth_pairs) if truth_pairs else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def clusters_lost(truth: dict[str, str], result: dict) -> int:
    """True clusters (components of the Jaccard graph, 2+ members) whose every member was removed."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc_id, root in truth.items():
        members[root].append(doc_id)
    return sum(len(group) > 1 and all(not result[d][1] for d in group) for group in members.values())


def quality(args: argparse.Namespace) -> None:
    dev = build_devset(
        args.originals, args.derived, Path(args.webpages) if args.webpages else None, args.seed
    )
    docs = dev.docs
    words = sum(len(d.text.split()) for d in docs)
    langs = ", ".join(f"{lang} {n}" for lang, n in dev.languages.most_common())
    print(
        f"dev set: {len(docs)} documents ({args.originals} real bodies: {langs}; {args.derived} derived by "
        f"{', '.join(OPERATIONS)}), {words / len(docs):.0f} words/doc"
    )

    start = time.perf_counter()
    vocabulary: dict[str, int] = {}
    sets = {
        d.id: frozenset(vocabulary.setdefault(s, len(vocabulary)) for s in shingles(d.text, 5)) for d in docs
    }
    truth_pairs = similar_pairs(sets, args.threshold)
    truth = clusters_of_pairs([d.id for d in docs], list(truth_pairs))
    sizes = Counter(truth.values())
    print(
        f"ground truth: {len(truth_pairs)} pairs with exact Jaccard >= {args.threshold} in "
        f"{sum(n > 1 for n in sizes.values())} clusters (exact prefix-filtered join, "
        f"{time.perf_counter() - start:.1f} s)"
    )

    signer = Signer(MinHashDedupConfig())
    start = time.process_time()
    for d in docs:
        signer.sketches(d.text)
    print(
        f"signatures and sketches: {len(docs) / (time.process_time() - start):.0f} docs/s per core (CPU time)"
    )

    print(
        "\nMinHash alone, pairs verified on the shingle sets; P/R/F1 of direct pairs (and of the transitive "
        "clusters), true clusters fully removed, members kept because only a chain linked them"
    )
    print(
        f"{'num_perm':>8} {'bands x rows':>12} {'P':>7} {'R':>7} {'F1':>7} {'F1 trans':>8} {'lost':>5} "
        f"{'chained':>7} {'docs/s':>7}"
    )
    # FineWeb's layout, then more bands of fewer rows: more candidates at the threshold, all verified
    layouts = [(112, 14, 8), (128, 16, 8), (128, 20, 6), (128, 25, 5), (256, 40, 6)]
    results = {}
    for num_perm, bands, rows in layouts:
        minhash = MinHashDedupConfig(num_perm=num_perm, bands=bands, rows=rows, threshold=args.threshold)
        result, seconds, stats = run_dedup(docs, DedupConfig(minhash=minhash), ("minhash",), with_stats=True)
        predicted = predicted_clusters(result)
        precision, recall, f1 = direct_pair_scores(truth_pairs, predicted)
        f1_transitive = pair_scores(truth, predicted)[2]
        results[(num_perm, bands, rows)] = result
        print(
            f"{num_perm:8d} {f'{bands} x {rows}':>12} {precision:7.4f} {recall:7.4f} {f1:7.4f} "
            f"{f1_transitive:8.4f} {clusters_lost(truth, result):5d} "
            f"{stats.get('dedup_minhash.kept_not_similar_to_keeper', 0):7d} {len(docs) / seconds:7.0f}",
            flush=True,
        )

    default = MinHashDedupConfig()
    result = results[(default.num_perm, default.bands, default.rows)]
    predicted = predicted_clusters(result)
    by_operation: dict[str, Counter] = defaultdict(Counter)
    for doc_id, (operation, body) in dev.made.items():
        pair = tuple(sorted((doc_id, body)))
        if pair in truth_pairs:
            by_operation[operation]["similar"] += 1
            by_operation[operation]["found"] += predicted[doc_id] == predicted[body]
        by_operation[operation]["made"] += 1
    print(
        f"\nderived documents by operation (default {default.bands} x {default.rows}): made, share whose "
        "Jaccard with their body is >= threshold, share of those put in one cluster with it"
    )
    for operation in OPERATIONS:
        c = by_operation[operation]
        print(
            f"  {operation:<9} {c['made']:5d}  similar {c['similar'] / max(1, c['made']):6.1%}  "
            f"found {c['found'] / max(1, c['similar']):6.1%}"
        )

    _, seconds, _ = run_dedup(docs, DedupConfig(), with_stats=True)
    print(
        f"\nall dedup stages (url + exact + line, then minhash): {len(docs) / seconds:.0f} docs/s "
        f"({seconds:.1f} s, FnApiRunner, 1 worker)"
    )


def scale_one(args: argparse.Namespace) -> None:
    """One scaling point, in its own process so that its peak memory is its own."""
    copies = args.size // 5
    corpus = build_corpus(args.size - copies, copies, seed=args.seed, remix=True)
    steps = ("minhash",) if args.minhash_only else STEPS
    _, seconds = run_dedup(corpus.docs, DedupConfig(), steps, args.workers)
    runner_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"docs": len(corpus.docs), "seconds": seconds, "runner_mib": runner_mib, "worker_mib": worker_mib}
        )
    )


def scaling(args: argparse.Namespace) -> None:
    label = "minhash only" if args.minhash_only else "url + exact + line + minhash"
    print(
        f"scaling ({label}; 80% originals, 20% planted copies; beyond the ~20k real documents the "
        "originals are remixed paragraphs of real ones)"
    )
    print(
        f"{args.workers} worker processes; peak RSS of the busiest worker and of the runner process (which "
        "holds every PCollection in FnApiRunner)"
    )
    print(f"{'docs':>8} {'seconds':>8} {'docs/s':>7} {'worker MiB':>11} {'runner MiB':>11}")
    for size in args.sizes:
        command = [
            sys.executable,
            "-m",
            "bench.dedup.run",
            "scale-one",
            "--size",
            str(size),
            "--workers",
            str(args.workers),
        ]
        command += ["--minhash-only"] if args.minhash_only else []
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        point = json.loads(out.strip().splitlines()[-1])
        print(
            f"{point['docs']:8d} {point['seconds']:8.1f} {point['docs'] / point['seconds']:7.0f} "
            f"{point['worker_mib']:11.0f} {point['runner_mib']:11.0f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--originals", type=int, default=5000)
    q.add_argument("--derived", type=int, default=1500)
    q.add_argument(
        "--webpages",
        default=str(Path(__file__).resolve().parents[3] / "shared" / "webpages-dev"),
        help="the annotated real web pages (main contents and boilerplate sentences)",
    )
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
