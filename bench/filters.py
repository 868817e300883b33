"""Throughput of the whole filter stack on real text: language id + Gopher quality and repetition + C4 +
FineWeb + dirty words + KL divergence, one tokenization per document shared by every filter.

Documents are the sections (split at <h2>/<h3>) of Debian's HTML manuals, text extracted with
resiliparse; extraction is cached under bench/data/ and not timed. Runs on one core (one process), each filter
over a batch of documents in turn as the pipeline runs its stages (pipeline.beam.runner.BATCH_SIZE).

    apt-get install -y debian-reference-en developers-reference python3-doc git-doc
    .venv/bin/python bench/filters.py [--docs 6000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.langid import LangId  # noqa: E402
from pipeline.beam.runner import BATCH_SIZE  # noqa: E402
from pipeline.registry import build_filters, load_config  # noqa: E402
from pipeline.text import TextViews, release  # noqa: E402
from schemas.document import Document  # noqa: E402
from schemas.hashing import stable_id  # noqa: E402

ROOTS = (
    "/usr/share/doc/python3-doc/html",
    "/usr/share/debian-reference",
    "/usr/share/developers-reference",
    "/usr/share/doc/git-doc",
)
CACHE = Path(__file__).resolve().parent / "data" / "filters_sections.jsonl.gz"
SECTION_RE = re.compile(r"(?=<h[23][\s>])", re.IGNORECASE)
MIN_WORDS = 20  # drop navigation crumbs; the filters still see short sections


def extract_sections(limit: int) -> list[dict]:
    """Text of the <h2>/<h3> sections of every manual page, in path order."""
    from resiliparse.extract.html2text import extract_plain_text

    pages = sorted(p for root in ROOTS for p in Path(root).rglob("*.html") if p.is_file())
    if not pages:
        sys.exit(
            "no Debian HTML manuals found: apt-get install -y "
            + " ".join(("debian-reference-en", "developers-reference", "python3-doc", "git-doc"))
        )
    records = []
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="replace")
        for k, chunk in enumerate(SECTION_RE.split(html)):
            text = extract_plain_text(chunk, preserve_formatting=True, main_content=False)
            if len(text.split()) >= MIN_WORDS:
                records.append({"source": f"{page}#{k}", "text": text})
        if len(records) >= limit:
            break
    return records[:limit]


def load_documents(limit: int) -> list[Document]:
    if CACHE.exists():
        with gzip.open(CACHE, "rt", encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle]
    else:
        records = []
    if len(records) < limit:
        records = extract_sections(limit)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(CACHE, "wt", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    return [
        Document(id=stable_id(r["source"], "0"), source=r["source"], text=r["text"]) for r in records[:limit]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=6000)
    parser.add_argument("--reference-every", type=int, default=3, help="KL reference: every n-th doc")
    args = parser.parse_args()

    docs = load_documents(args.docs)
    chars = sum(len(d.text) for d in docs)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
        f"Python {platform.python_version()}; one process; load average {os.getloadavg()[0]:.2f} at start"
    )
    print(
        f"documents: {len(docs)} Debian manual sections, {chars / 1e6:.1f} M chars, "
        f"mean {chars / len(docs):.0f} chars"
    )

    cfg = load_config()
    views = TextViews()
    builder = build_filters(cfg, views)[-1].corpus_builder()  # the KL filter's reference
    sample = docs[:: args.reference_every]
    start = time.process_time()
    for doc in sample:
        builder.add(doc)
    reference = builder.finalize()
    elapsed = time.process_time() - start
    print(
        f"KL reference: {len(sample)} docs (every {args.reference_every}th) in {elapsed:.2f} s CPU "
        f"({len(sample) / elapsed:.0f} docs/s), vocabulary {len(reference.counts)}"
    )

    # Fresh copies: the timed run tokenizes from scratch like a worker would.
    docs = [Document(id=d.id, source=d.source, text=d.text) for d in docs]
    views = TextViews()
    filters = [LangId(cfg.classifiers["langid"], views), *build_filters(cfg, views)]
    filters[-1].bind(reference)
    for f in filters:
        f.setup()
    per_filter = dict.fromkeys((f.name for f in filters), 0.0)
    reasons: Counter[str] = Counter()
    failed: dict[str, list[str]] = {d.id: [] for d in docs}
    # CPU time of this process is the per-core figure: other jobs on the machine inflate wall time only
    clock = time.process_time
    wall_start, start = time.perf_counter(), clock()
    # filter by filter over batches of documents, as the pipeline's StageFn runs each stage
    for i in range(0, len(docs), BATCH_SIZE):
        batch = docs[i : i + BATCH_SIZE]
        for f in filters:
            t0 = clock()
            for doc in batch:
                failed[doc.id] += f.process(doc)
            per_filter[f.name] += clock() - t0
        for doc in batch:
            doc.tokens = views.count_tokens(doc)
            release(doc)
    elapsed, wall = clock() - start, time.perf_counter() - wall_start

    print(
        f"whole stack: {len(docs) / elapsed:.0f} docs/s per core (CPU time), {len(docs) / wall:.0f} docs/s "
        f"wall, {chars / elapsed / 1e6:.2f} M chars/s ({elapsed:.2f} s CPU for {len(docs)} docs)"
    )
    print("per filter, CPU (the shared tokenization is counted in gopher_quality, the first to need words):")
    for name, seconds in per_filter.items():
        print(f"  {name:<18} {1e3 * seconds / len(docs):7.3f} ms/doc  {100 * seconds / elapsed:5.1f} %")
    rejected = sum(map(bool, failed.values()))
    for reasons_of_doc in failed.values():
        reasons.update(reasons_of_doc)
    print(
        f"rejected: {rejected} of {len(docs)} (every signal recorded either way; domain unset, so the "
        f"prose rules judge code sections too)"
    )
    for reason, count in reasons.most_common(12):
        print(f"  {reason:<42} {count}")


if __name__ == "__main__":
    main()
