"""PII redaction benchmark: recall per type, clean documents altered, code/math exactness, docs/s.

    .venv/bin/python -m bench.pii.evaluate [--pages 300] [--docs 1200] [--nlp spacy|none|both]

Needs the Debian doc packages of bench/pii/corpus.py and faker (benchmark-only). Prints figures;
never passes or fails. Throughput is single-process: CPU seconds give docs/s per core even on a
shared machine; wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from bench.pii.corpus import CorpusBuilder, EvalDoc, real_pages
from pipeline.pii import PiiRedactor
from schemas.config import PII_ENTITIES, PiiConfig

BATCH = 64


def covered(span: tuple[int, int], found: list[tuple[int, int, str]]) -> bool:
    """True when every character of the planted span lies inside a redacted span."""
    start, end = span
    hit = [False] * (end - start)
    for s, e, _ in found:
        for i in range(max(s, start), min(e, end)):
            hit[i - start] = True
    return all(hit)


def real_pii() -> set[str]:
    """The hand-annotated real PII of the clean pages."""
    lines = (Path(__file__).with_name("real_pii.txt").read_text(encoding="utf-8")).splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def is_real(value: str, real: set[str]) -> bool:
    """A redacted value that is an annotated real name or address, possessive aside."""
    value = value.removesuffix("’s").removesuffix("'s")
    return value in real


def evaluate(docs: list[EvalDoc], config: PiiConfig) -> None:
    t0 = time.perf_counter()
    redactor = PiiRedactor(config)
    load_s = time.perf_counter() - t0
    redactor.find_batch([docs[0].text])  # warm-up: presidio loads recognizers lazily
    wall, cpu = time.perf_counter(), time.process_time()
    found: list[list[tuple[int, int, str]]] = []
    for i in range(0, len(docs), BATCH):
        found += redactor.find_batch([d.text for d in docs[i : i + BATCH]])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    planted, recalled = Counter(), Counter()
    for doc, spans in zip(docs, found, strict=True):
        for start, end, entity in doc.pii:
            planted[entity] += 1
            recalled[entity] += covered((start, end), spans)
    clean = [(d, f) for d, f in zip(docs, found, strict=True) if d.clean]
    altered = [(d, f) for d, f in clean if f]
    real = real_pii()
    false_alarms = [(d, f) for d, f in altered if any(not is_real(d.text[s:e], real) for s, e, _ in f)]
    damaged = sum(
        any(s < pe and e > ps for s, e, _ in f for ps, pe in d.protected)
        for d, f in zip(docs, found, strict=True)
    )
    n_protected = sum(len(d.protected) for d in docs)
    chars = sum(len(d.text) for d in docs)

    print(f"\n== nlp={config.nlp} ({config.spacy_model if config.nlp == 'spacy' else 'regex only'}) ==")
    print(
        f"documents {len(docs)} ({len(clean)} clean), mean {chars / len(docs):.0f} chars; load {load_s:.1f} s"
    )
    print(f"{'entity':<16}{'planted':>8}{'recall':>8}")
    for entity in PII_ENTITIES:
        if planted[entity] and (entity != "PERSON" or config.nlp == "spacy"):
            print(f"{entity:<16}{planted[entity]:>8}{recalled[entity] / planted[entity]:>8.3f}")
    print(f"clean documents altered: {len(altered)}/{len(clean)} = {len(altered) / len(clean):.2%}")
    by_type = Counter(t for _, f in altered for t in {t for *_, t in f})
    print("  clean documents altered, by type:", dict(sorted(by_type.items())))
    only_real = len(altered) - len(false_alarms)
    print(f"  of which by real PII of the page only (bench/pii/real_pii.txt): {only_real}")
    print(
        f"clean documents with a false alarm: {len(false_alarms)}/{len(clean)} = "
        f"{len(false_alarms) / len(clean):.2%}"
    )
    for doc, spans in false_alarms:
        wrong = {(doc.text[s:e][:50], t) for s, e, t in spans if not is_real(doc.text[s:e], real)}
        print("   ", sorted(wrong))
    print(f"documents with code/math touched: {damaged}/{len(docs)} ({n_protected} code/math spans)")
    print(
        f"throughput: {len(docs) / cpu:.0f} docs/s per core (CPU time), {len(docs) / wall:.0f} docs/s wall, "
        f"{chars / cpu / 1e6:.2f} MB/s per core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--nlp", choices=("spacy", "none", "both"), default="both")
    args = parser.parse_args()
    docs = CorpusBuilder().build(real_pages(args.pages), args.docs)
    for nlp in ("spacy", "none") if args.nlp == "both" else (args.nlp,):
        evaluate(docs, PiiConfig(nlp=nlp))


if __name__ == "__main__":
    main()
