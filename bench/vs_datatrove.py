"""Side by side with datatrove's FineWeb pipeline: the same WARC files, the same workers, one run.

    python bench/vs_datatrove.py [--sets real,generated:2000] [--workers 1 2] [--repeat 3]

Sets: `real` wraps real pages as WARC response records (../shared/webpages-dev's 499 pages and Debian's
documentation: Python, SciPy, SymPy, Octave, maint-guide, debian-reference); `generated:N` is the
generated sample corpus (tools/sample_corpus.py) at N pages. Both tools read the same files.

datatrove runs bench/datatrove_fineweb.py (reader, URL filter, trafilatura, language id, Gopher, C4 and
FineWeb filters; no dedup, no PII) in its own venv, made with pip on first use and never a project
dependency. `curate run` runs every stage: extraction, URL/exact/line/MinHash dedup, domain routing,
language id, the heuristic filters and KL, a fastText quality model (trained here on webpages-dev), PII,
tokens. Printed per run: wall seconds, CPU seconds of the whole process tree (sampled; robust when
other jobs share the machine), the ratios, and where our CPU went (the manifest's `cost`, engine = the
rest). Runs with different worker counts must give byte-identical shards; the bench checks it. With
`--repeat K` each worker count runs K times, alternating, and the summary gives medians: on a shared
virtual machine one run's wall time moves by 10-20 %.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "webpages-dev"
DATATROVE = ["datatrove==0.10.1", "trafilatura==1.11.0", "warcio==1.8.1", "faust-cchardet==3.2.0",
             "python-magic==0.4.27", "fasttext-numpy2-wheel==0.9.2", "nltk==3.10.4", "orjson==3.13.0",
             "spacy==3.8.18", "lxml_html_clean==0.4.6",
             "pyahocorasick==2.3.1", "fasteners==0.20", "tldextract==5.4.0"]  # URLFilter's
# Debian's HTML manuals: prose, API references with code, and math (the same packages as bench/extract).
DEBIAN = [("/usr/share/doc/python3/html/library/*.html", 350), ("/usr/share/debian-reference/*.html", 100),
          ("/usr/share/doc/python-scipy-doc/html/reference/generated/*.html", 250),
          ("/usr/share/doc/python-sympy-doc/html/modules/**/*.html", 150),
          ("/usr/share/doc/octave/octave.html/*.html", 150), ("/usr/share/doc/maint-guide*/html/*.html", 80)]


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load}")


def real_corpus(out: Path, files: int = 2) -> int:
    """Write the real pages as WARC response records into `files` files; returns the page count."""
    from tools.sample_corpus import WarcWriter

    pages = []
    for line in (SHARED / "ground-truth.jsonl").open():
        page = json.loads(line)
        pages.append((page["url"], gzip.open(SHARED / "html" / f"{page['id']}.html.gz").read()))
    for pattern, limit in DEBIAN:
        for path in sorted(glob.glob(pattern, recursive=True))[:limit]:
            pages.append(("https://docs.example.org" + path, Path(path).read_bytes()))
    random.Random(0).shuffle(pages)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    out.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        name = f"real-{f:02d}.warc.gz"
        with open(out / name, "wb") as stream:
            writer = WarcWriter(stream, name, f"<urn:uuid:info-{f}>", when)
            for i, (url, body) in enumerate(pages[f::files]):
                http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body)
                headers = [("Content-Type", "application/http; msgtype=response"), ("WARC-Target-URI", url)]
                writer.write("response", f"<urn:uuid:r-{f}-{i}>", when, headers, http)
    return len(pages)


def corpus(name: str, workdir: Path) -> tuple[Path, str, int]:
    """(directory, glob of the WARC files both tools read, page count) for a set name."""
    if name == "real":
        if not SHARED.is_dir():
            sys.exit(f"the real set needs {SHARED}")
        where = workdir / "real"
        if not (where / "pages.txt").exists():
            (where / "pages.txt").parent.mkdir(parents=True, exist_ok=True)
            (where / "pages.txt").write_text(str(real_corpus(where)))
        return where, "real-*.warc.gz", int((where / "pages.txt").read_text())
    pages = int(name.split(":")[1])
    where = workdir / f"generated-{pages}"
    if not (where / "truth.json").exists():
        from tools.sample_corpus import generate

        generate(str(where), pages=pages, seed=1, files=2)
    # broken.warc.gz holds truncated and malformed records on purpose: datatrove's reader dies on it.
    return where, "sample-*.warc.gz", pages


def datatrove_python(venv: Path) -> str:
    python = venv / "bin" / "python"
    probe = [python, "-c", "import datatrove, lxml_html_clean, ahocorasick, tldextract"]
    if not python.exists() or subprocess.run(probe, capture_output=True).returncode:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *DATATROVE], check=True)
    return str(python)


def tree_cpu(root) -> dict[int, tuple[int, float]]:
    """{pid: (depth below `root`, CPU seconds so far)} of the psutil process `root` and its descendants."""
    import psutil

    found: dict[int, tuple[int, float]] = {}
    try:
        procs = [root, *root.children(recursive=True)]  # each parent before its children
    except psutil.NoSuchProcess:
        return found
    for proc in procs:
        try:
            depth = 0 if proc is root else found[proc.ppid()][0] + 1
            times = proc.cpu_times()
        except (psutil.Error, KeyError):  # it ended, or its parent did
            continue
        found[proc.pid] = (depth, times.user + times.system)
    return found


def timed(cmd: list[str], cwd: Path | str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and all its descendants, sampled every 0.2 s)."""
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, cpu = psutil.Process(child.pid), {}
    while child.poll() is None:
        cpu.update((pid, seconds) for pid, (_, seconds) in tree_cpu(root).items())
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if child.returncode:
        sys.exit(f"{cmd[0]} failed:\n{child.stderr.read().decode()[-3000:]}")
    return wall, sum(cpu.values())


def quality_model(workdir: Path) -> str:
    """A fastText quality model trained on webpages-dev (main content vs boilerplate), so the run scores
    every document as a configured quality stage would."""
    path = workdir / "quality.bin"
    if not path.exists():
        from bench.classify import real_split
        from classifiers.train_quality import train_and_report

        train_and_report(real_split(), str(path))
    return str(path)


def shard_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(out.glob("shards/*/*.parquet")):
        digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def run_ours(where: Path, pattern: str, out: Path, workers: int, model: str) -> tuple[float, float, dict]:
    cmd = [sys.executable, "-m", "pipeline.beam.cli", "run", "--input", f"{where}/{pattern}", "--output",
           str(out), "--overwrite", "--workers", str(workers),
           "--set", f"classifiers.quality.models.webq.path={model}"]
    wall, cpu = timed(cmd, ROOT)
    return wall, cpu, json.loads((out / "manifest.json").read_text())


def run_datatrove(python: str, where: Path, pattern: str, out: Path, workers: int) -> tuple:
    from classifiers.langid import default_model_path

    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(f"{out}-logs", ignore_errors=True)
    cmd = [python, str(ROOT / "bench" / "datatrove_fineweb.py"), str(where), pattern, str(out), str(workers),
           default_model_path()]
    wall, cpu = timed(cmd, tempfile.gettempdir())
    kept = sum(1 for path in out.glob("*.jsonl.gz") for _ in gzip.open(path))
    return wall, cpu, kept


def cost_line(manifest: dict, cpu: float) -> str:
    cost = manifest.get("cost") or {}
    staged = sum(c["cpu_s"] for c in cost.values())
    parts = sorted(((name, c["cpu_s"]) for name, c in cost.items()), key=lambda kv: -kv[1])
    shares = ", ".join(f"{name} {100 * s / cpu:.0f}%" for name, s in parts if s / cpu >= 0.02)
    return f"{shares}, engine and start-up {100 * (cpu - staged) / cpu:.0f}%"


def scaling_line(walls: dict[int, list[tuple[float, float]]]) -> str:
    """Median wall seconds per worker count over the repeats, the ratio to datatrove and each tool's
    speed-up over its own fewest-worker run."""
    dt = {w: statistics.median(d for d, _ in runs) for w, runs in walls.items()}
    ours = {w: statistics.median(o for _, o in runs) for w, runs in walls.items()}
    base = min(walls)
    parts = [
        f"{w} workers: datatrove {dt[w]:.1f} s, ours {ours[w]:.1f} s ({dt[w] / ours[w]:.2f}x), speed-up "
        f"over {base}: datatrove {dt[base] / dt[w]:.2f}x, ours {ours[base] / ours[w]:.2f}x"
        for w in sorted(walls)
    ]
    runs = len(next(iter(walls.values())))
    return f"median of {runs}: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="real,generated:2000")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "data" / "vs_datatrove")
    parser.add_argument("--datatrove-venv", type=Path, default=ROOT / "bench" / ".datatrove-venv")
    parser.add_argument("--ours-only", action="store_true", help="skip datatrove (for iterating on ours)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count, alternating; medians")
    args = parser.parse_args()

    python = None if args.ours_only else datatrove_python(args.datatrove_venv)
    model = quality_model(args.workdir)
    print(f"machine: {machine()}")
    print(f"{'set':<16} {'pages':>6} {'workers':>7} {'datatrove s':>11} {'cpu s':>7} {'kept':>5} "
          f"{'ours s':>7} {'cpu s':>7} {'kept':>5} {'wall x':>6} {'cpu x':>6}  shards")
    for name in args.sets.split(","):
        where, pattern, pages = corpus(name, args.workdir)
        digests, walls = set(), {}
        for _ in range(args.repeat):  # alternating worker counts: a drift of the host's speed hits both
            for workers in args.workers:
                dt_wall, dt_cpu, dt_kept = float("nan"), float("nan"), 0
                if python:
                    dt_out = args.workdir / "out-datatrove"
                    dt_wall, dt_cpu, dt_kept = run_datatrove(python, where, pattern, dt_out, workers)
                out = args.workdir / f"out-{name.replace(':', '-')}-{workers}"
                wall, cpu, manifest = run_ours(where, pattern, out, workers, model)
                digests.add(shard_digest(out))
                walls.setdefault(workers, []).append((dt_wall, wall))
                print(f"{name:<16} {pages:>6} {workers:>7} {dt_wall:>11.1f} {dt_cpu:>7.1f} {dt_kept:>5} "
                      f"{wall:>7.1f} {cpu:>7.1f} {manifest['counts']['kept']:>5} {dt_wall / wall:>6.2f} "
                      f"{dt_cpu / cpu:>6.2f}  {shard_digest(out)}", flush=True)
                print(f"  ours, CPU by step: {cost_line(manifest, cpu)}", flush=True)
        same = "identical" if len(digests) == 1 else "DIFFER"
        print(f"  {name}: shards {same} across {args.workers} workers")
        print(f"  {name}: {scaling_line(walls)}")
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
