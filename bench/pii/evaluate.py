"""PII benchmark on real text: recall per type, clean documents altered, code/math exactness, docs/s.

    PYTHONPATH=. .venv/bin/python -m bench.pii.evaluate [--split dev|heldout|blind|blind2] [--per-lang 250]
        [--person contact|all|none] [--misses TYPE] [--miss-kinds TYPE] [--alarms]

Base text: Debian documentation in English and seven translations (bench/pii/corpus.py); PII from Faker
locales the tests do not use (bench/pii/plant.py). Each document's language is set by the project's
language-id stage first, as in the pipeline. Needs the Debian doc packages and faker (benchmark-only).
Prints figures; never passes or fails. Throughput is single-process CPU time: docs/s per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.pii.corpus import SOURCES, base_documents
from bench.pii.plant import SEEDS, STRUCTURED, EvalDoc, Planter
from classifiers.langid import LangId
from pipeline.pii import PiiRedactor
from pipeline.pii.density import density, word_count
from schemas.config import PiiConfig

BATCH = 64
Found = list[tuple[int, int, str]]


def covered(start: int, end: int, found: Found) -> bool:
    """Every character of [start, end) inside a redacted span (line breaks inside a value aside)."""
    hit = [False] * (end - start)
    for s, e, *_ in found:
        for i in range(max(s, start), min(e, end)):
            hit[i - start] = True
    return all(hit)


def real_pii() -> set[str]:
    """The hand-annotated real PII of the base text (values as written in the pages)."""
    lines = Path(__file__).with_name("real_pii.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def is_real(value: str, real: set[str]) -> bool:
    return value.removesuffix("’s").removesuffix("'s") in real


def context(text: str, start: int, end: int, width: int = 50) -> str:
    return " ".join(
        (
            text[max(0, start - width) : start] + "[[" + text[start:end] + "]]" + text[end : end + width]
        ).split()
    )


def build(split: str, per_lang: int) -> tuple[list[EvalDoc], frozenset[str]]:
    """The split's documents, language set, and the styles (locales) whose values must stay unread."""
    planter = Planter(split)
    docs = planter.build(base_documents(list(SOURCES), per_lang, seed=SEEDS[split][0]))
    langid = LangId()
    for doc in docs:
        doc.lang = langid.predict(doc.text)[0]
    return docs, planter.values.unread


def run(docs: list[EvalDoc], config: PiiConfig) -> tuple[list[Found], float, float]:
    redactor = PiiRedactor(config)
    redactor.find_batch([docs[0].text], [docs[0].lang])  # warm-up: presidio loads recognizers lazily
    wall, cpu = time.perf_counter(), time.process_time()
    found: list[Found] = []
    for i in range(0, len(docs), BATCH):
        batch = docs[i : i + BATCH]
        found += redactor.find_batch([d.text for d in batch], [d.lang for d in batch])
    return found, time.process_time() - cpu, time.perf_counter() - wall


def report(
    docs: list[EvalDoc],
    found: list[Found],
    cpu: float,
    wall: float,
    config: PiiConfig,
    args,
    unread: frozenset[str] = frozenset(),
) -> None:
    models = config.ner_models if config.person != "none" else {}
    planted, recalled = Counter(), Counter()
    by_lang: dict[str, Counter] = defaultdict(Counter)
    misses: list[str] = []
    hidden = 0  # misses of held-out locales, counted and not shown
    miss_kinds: Counter = Counter()
    for doc, spans in zip(docs, found, strict=True):
        for start, end, entity, style in doc.pii:
            if entity == "PERSON" and doc.lang not in models:
                continue  # no model for the language: names are left, by policy
            hit = covered(start, end, spans)
            planted[entity] += 1
            recalled[entity] += hit
            by_lang[entity][(doc.source_lang, 0)] += 1
            by_lang[entity][(doc.source_lang, 1)] += hit
            if not hit and entity in args.misses and style in unread:
                hidden += 1
            elif not hit and entity in args.misses:
                misses.append(f"{entity[:6]} {doc.source_lang:5} {style:22} {context(doc.text, start, end)}")
            if entity in args.miss_kinds:
                miss_kinds[entity, style, hit] += 1
    words = [word_count(d.text) for d in docs]
    print(f"\n== split {args.split}, person={config.person}, ner_models={dict(models)} ==")
    print(
        f"documents {len(docs)} ({sum(d.clean for d in docs)} clean), "
        f"words mean {statistics.mean(words):.0f}, "
        f"median {statistics.median(words):.0f}, range {min(words)}-{max(words)}"
    )
    print(
        "source -> detected language:",
        dict(Counter(f"{d.source_lang}->{d.lang}" for d in docs).most_common()),
    )
    langs = list(SOURCES)
    print(f"{'entity':<16}{'planted':>8}{'recall':>8}   " + " ".join(f"{lang:>6}" for lang in langs))
    for entity in (*STRUCTURED, "PERSON", "NON_LATIN_ADDRESS"):
        if planted[entity]:
            cells = []
            for lang in langs:
                n = by_lang[entity][(lang, 0)]
                cells.append(f"{by_lang[entity][(lang, 1)] / n:>6.3f}" if n else f"{'-':>6}")
            print(
                f"{entity:<16}{planted[entity]:>8}{recalled[entity] / planted[entity]:>8.3f}   "
                + " ".join(cells)
            )
    print(
        "  (PERSON: contact names on documents whose language has a model; "
        "NON_LATIN_ADDRESS: streets in non-Latin scripts, not targeted)"
    )

    real = real_pii()
    clean = [(d, f) for d, f in zip(docs, found, strict=True) if d.clean]
    altered = [(d, f) for d, f in clean if f]
    alarms = [(d, f) for d, f in altered if any(not is_real(d.text[s:e], real) for s, e, *_ in f)]
    print(f"clean documents altered: {len(altered)}/{len(clean)} = {len(altered) / len(clean):.2%}")
    print(
        f"  of which by real PII of the base text only (bench/pii/real_pii.txt): {len(altered) - len(alarms)}"
    )
    print(f"clean documents with a false alarm: {len(alarms)}/{len(clean)} = {len(alarms) / len(clean):.2%}")
    per_lang = Counter(d.source_lang for d, _ in alarms)
    totals = Counter(d.source_lang for d, _ in clean)
    print("  by source language:", ", ".join(f"{lang} {per_lang[lang]}/{totals[lang]}" for lang in langs))
    by_type = Counter(t for d, f in alarms for s, e, t, _ in f if not is_real(d.text[s:e], real))
    print("  false alarms by type:", dict(sorted(by_type.items())))
    if args.alarms:
        for doc, spans in alarms:
            for s, e, t, _ in spans:
                if not is_real(doc.text[s:e], real):
                    print(f"    {doc.source_lang:5} {t:15} {context(doc.text, s, e)}")
    if args.real:
        seen = Counter((doc.text[s:e], t) for doc, spans in altered for s, e, t, _ in spans)
        for (value, t), n in seen.most_common():
            print(f"    {n:4} {t:15} {value!r}{'  (annotated)' if is_real(value, real) else ''}")

    unmodelled = [(d, f) for d, f in zip(docs, found, strict=True) if d.lang not in models]
    person_there = sum(t == "PERSON" for _, f in unmodelled for _, _, t, _ in f)
    print(
        f"PERSON redactions on documents in a language without a model: {person_there} "
        f"in {len(unmodelled)} documents"
    )
    touched = [
        (d, s, e, t)
        for d, f in zip(docs, found, strict=True)
        for s, e, t, _ in f
        if t not in config.code_entities and any(s < pe and e > ps for ps, pe in d.protected)
    ]
    n_protected = sum(len(d.protected) for d in docs)
    damaged = len({id(d) for d, *_ in touched})
    print(f"documents with code/math touched: {damaged}/{len(docs)} ({n_protected} code/math spans)")
    if args.touched:
        for doc, s, e, t in touched:
            print(f"    {doc.source_lang:5} {t:15} {context(doc.text, s, e)}")
    dens = {
        kind: sorted(
            density(Counter(t for _, _, t, _ in f), word_count(d.text))
            for d, f in zip(docs, found, strict=True)
            if d.clean == kind
        )
        for kind in (False, True)
    }
    for kind, values in dens.items():
        q = [values[int(p * (len(values) - 1))] for p in (0.5, 0.9, 0.99, 1.0)]
        print(
            f"pii.density of {'clean' if kind else 'planted'} documents: "
            f"p50 {q[0]:.1f}, p90 {q[1]:.1f}, p99 {q[2]:.1f}, max {q[3]:.1f}"
        )
    chars = sum(len(d.text) for d in docs)
    print(
        f"throughput: {len(docs) / cpu:.0f} docs/s per core (CPU time), {len(docs) / wall:.0f} docs/s wall, "
        f"{chars / cpu / 1e6:.2f} MB/s per core; load average {os.getloadavg()[0]:.2f}"
    )
    for line in misses:
        print("  miss", line)
    if hidden:
        print(f"  {hidden} misses of held-out locales not shown ({', '.join(sorted(unread))})")
    for entity, style in sorted({(entity, style) for entity, style, _ in miss_kinds}):
        n = miss_kinds[entity, style, False] + miss_kinds[entity, style, True]
        print(f"  {entity} {style:22} planted {n:4}, missed {miss_kinds[entity, style, False]:4}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=tuple(SEEDS), default="heldout")
    parser.add_argument("--per-lang", type=int, default=250, help="documents per source language")
    parser.add_argument("--person", choices=("contact", "all", "none"), default="contact")
    parser.add_argument(
        "--misses",
        type=lambda value: value.split(","),
        default=[],
        help="print the missed values of these types (comma-separated)",
    )
    parser.add_argument(
        "--miss-kinds",
        type=lambda value: value.split(","),
        default=[],
        help="count the planted and missed values of these types (comma-separated) by style, no values",
    )
    parser.add_argument("--alarms", action="store_true", help="print every false alarm")
    parser.add_argument("--real", action="store_true", help="list the values redacted on clean documents")
    parser.add_argument("--touched", action="store_true", help="print every redaction inside code or math")
    args = parser.parse_args()
    docs, unread = build(args.split, args.per_lang)
    config = PiiConfig(person=args.person)
    found, cpu, wall = run(docs, config)
    report(docs, found, cpu, wall, config, args, unread)


if __name__ == "__main__":
    main()
