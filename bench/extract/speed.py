"""CPU time of the native extractor per page, and a digest of everything it returned.

    .venv/bin/python -m bench.extract.speed [--repeat 3] [--best-of 1] [--only SET] [--fmt markdown]
                                            [--phases] [--profile 25] [--against OTHER_CHECKOUT]

Runs `extract()` (decode, parse, extract: what a worker pays per page) on every page of
../shared/webpages-dev, then on the Debian documentation pages and composed templates of
`bench.extract.evaluate` (18 per package, 150 composed, seed 2024). Prints CPU milliseconds per page
(time.process_time: mean, median, 95th percentile) per set, and a sha256 over every output (text,
title, signals but `seconds`, or the error reason), so a change meant only for speed can show that
it returns the same bytes. On a shared machine, `--best-of K` times every page K times and keeps its
fastest run (what is left is the page's own cost, not its neighbours'). `--phases` splits the time
into parse, lift, segment, features, model, decide and render; `--profile N` prints cProfile's N
costliest functions over webpages-dev.

`--against DIR` compares this checkout with another one (say `git worktree add /tmp/before HEAD~3`):
one worker process per checkout, each page sent to both in turn (alternating which goes first), so
the two see the same machine load; prints both figures, the ratio, and how many pages' outputs differ.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

# Only the extractor at module level: `--serve` runs this file against another checkout's pipeline.
from pipeline.extract import ExtractionError, blocks, classify, extract, model, native

ROOT = Path(__file__).resolve().parents[2]


def _outcome(html: bytes, fmt: str = "plain") -> tuple[bytes, float]:
    """The canonical bytes of one extraction (or its error) and its CPU milliseconds."""
    start = time.process_time()
    try:
        result = extract(html, time_budget_s=60, fmt=fmt)
    except ExtractionError as err:
        ms = 1000 * (time.process_time() - start)
        return f"error\x00{err.reason}".encode(), ms
    ms = 1000 * (time.process_time() - start)
    signals = {k: v for k, v in sorted(result.signals.items()) if k != "seconds"}
    record = json.dumps([result.text, result.title, signals], ensure_ascii=False)
    return record.encode("utf-8", "surrogatepass"), ms


def _figures(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return f"mean {statistics.fmean(times):6.2f}  p50 {statistics.median(times):6.2f}  p95 {p95:6.2f}"


class _Phases:
    """CPU time spent inside a few functions of the extractor, by wrapping them for the run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        inner = getattr(owner, name)
        seconds = self.seconds

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                seconds[label] += time.process_time() - start

        self.undo.append((owner, name, inner))
        setattr(owner, name, timed)

    def __enter__(self) -> _Phases:
        # Nested phases (lift and segment inside parse_page) are subtracted when printed.
        self.wrap(native, "parse_page", "parse_page")
        self.wrap(native._Lifter, "run", "lift")
        self.wrap(native, "segment", "segment")
        self.wrap(classify, "features", "features")
        self.wrap(blocks, "_totals", "totals")
        self.wrap(blocks, "_text_statistics", "text statistics")
        self.wrap(classify, "holding_math_or_code", "math or code")
        self.wrap(model.BlockModel, "probabilities", "model")
        self.wrap(classify, "decide", "decide")
        self.wrap(native, "render", "render")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, inner in reversed(self.undo):
            setattr(owner, name, inner)

    def report(self, pages: int) -> None:
        s = dict(self.seconds)
        rows = {
            "parse (libxml2) + placeholders": s["parse_page"] - s["lift"] - s["segment"],
            "lift (math, code, drops)": s["lift"],
            "segment (walk)": s["segment"] - s["totals"],
            "totals": s["totals"],
            "features (numpy)": s["features"] - s["text statistics"],
            "text statistics": s["text statistics"],
            "math or code": s["math or code"],
            "model": s["model"],
            "decide": s["decide"],
            "render": s["render"],
        }
        for label, seconds in rows.items():
            print(f"  {label:32s} {1000 * seconds / pages:6.2f} ms/page")


def run(
    sets: dict[str, list[bytes]], phases: bool, best_of: int, fmt: str
) -> tuple[str, dict[str, list[float]]]:
    digest = hashlib.sha256()
    times: dict[str, list[float]] = {}
    for name, pages in sets.items():
        times[name] = []
        timer = _Phases() if phases and name == "webpages-dev" else None
        if timer:
            timer.__enter__()
        for html in pages:
            record, ms = _outcome(html, fmt)
            for _ in range(best_of - 1):
                again, more = _outcome(html, fmt)
                assert again == record, "two runs on one page differ"
                ms = min(ms, more)
            digest.update(hashlib.sha256(record).digest())
            times[name].append(ms)
        if timer:
            timer.__exit__()
            print(f"phases on {name} (wrapped: a little slower than the figures below):")
            timer.report(len(pages) * best_of)
    return digest.hexdigest(), times


def _serve(fmt: str) -> None:
    """The worker of `--against`: a page comes on stdin as a line with its length, then its bytes;
    the answer is a line with the CPU milliseconds and the sha256 of the outcome."""
    extract(b"<html><body><p>warm up</p></body></html>")  # load the model outside the figures
    pages = sys.stdin.buffer
    while header := pages.readline():
        record, ms = _outcome(pages.read(int(header)), fmt)
        print(ms, hashlib.sha256(record).hexdigest(), flush=True)


class _Worker:
    """One checkout's extractor in its own process (see _serve)."""

    def __init__(self, root: Path, fmt: str):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--fmt", fmt],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def extract(self, html: bytes) -> tuple[float, str]:
        self.process.stdin.write(b"%d\n" % len(html) + html)
        self.process.stdin.flush()
        ms, digest = self.process.stdout.readline().split()
        return float(ms), digest.decode()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def against(sets: dict[str, list[bytes]], other: Path, best_of: int, fmt: str) -> None:
    """This checkout and `other`, page by page in turn; every page's fastest of `best_of` runs."""
    workers = {"this": _Worker(ROOT, fmt), "other": _Worker(other.resolve(), fmt)}
    load = os.getloadavg()[0]
    for name, pages in sets.items():
        best = {key: [float("inf")] * len(pages) for key in workers}
        digests: dict[str, list[str]] = {key: [""] * len(pages) for key in workers}
        for attempt in range(best_of):
            for i, html in enumerate(pages):
                for key in sorted(workers, reverse=(i + attempt) % 2 == 1):
                    ms, digests[key][i] = workers[key].extract(html)
                    best[key][i] = min(best[key][i], ms)
        differ = sum(a != b for a, b in zip(digests["this"], digests["other"], strict=True))
        ratio = statistics.fmean(best["this"]) / statistics.fmean(best["other"])
        print(f"{name}: {len(pages)} pages, fastest of {best_of} per page; outputs differ on {differ} pages")
        for key in workers:
            print(f"  {key:5s} CPU ms/page {_figures(best[key])}")
        print(f"  this / other, mean: {ratio:.3f}")
    for worker in workers.values():
        worker.close()
    print(f"load average {load:.2f} -> {os.getloadavg()[0]:.2f}; other: {other}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs over all sets (figures of each)")
    parser.add_argument("--best-of", type=int, default=1, help="time each page K times, keep the fastest")
    parser.add_argument("--fmt", choices=("plain", "markdown"), default="plain", help="output format")
    parser.add_argument("--only", choices=("webpages-dev", "debian", "templates"), help="one set only")
    parser.add_argument("--webpages", type=int, default=0, help="first N pages of webpages-dev (0: all)")
    parser.add_argument("--phases", action="store_true", help="CPU time per phase on webpages-dev")
    parser.add_argument("--profile", type=int, default=0, help="cProfile's N costliest functions")
    parser.add_argument("--against", type=Path, help="another checkout to compare with, page by page")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.fmt)
        return
    from bench.extract.evaluate import build_pages
    from bench.extract.webpages import load_webpages

    web = [page.html for page in load_webpages()]
    if args.webpages:
        web = web[: args.webpages]
    documents = build_pages(18, 150, 2024) if args.only != "webpages-dev" else []
    sets: dict[str, list[bytes]] = {
        "webpages-dev": web,
        "debian": [p.html for p in documents if p.kind == "real"],
        "templates": [p.html for p in documents if p.kind != "real"],
    }
    if args.only:
        sets = {args.only: sets[args.only]}
    if not web:
        raise SystemExit("../shared/webpages-dev not found: see bench/extract/README.md")
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    if args.against:
        against(sets, args.against, args.best_of, args.fmt)
        return
    extract(web[0])  # load the model and warm caches outside the figures
    for attempt in range(1, args.repeat + 1):
        load = os.getloadavg()[0]
        digest, times = run(sets, args.phases and attempt == 1, args.best_of, args.fmt)
        print(f"run {attempt}: load average {load:.2f} -> {os.getloadavg()[0]:.2f}  digest {digest}")
        for name, ms in times.items():
            print(f"  {name:13s} {len(ms):4d} pages  CPU ms/page {_figures(ms)}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for html in web:
            _outcome(html)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
