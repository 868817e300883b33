"""Extraction quality and speed: native, trafilatura and resiliparse on the same pages in one run.

    .venv/bin/python -m bench.extract.evaluate [--real 18] [--composed 150] [--seed 2024] [--webpages 0]

Three sets (see bench/extract/README.md); prints figures, never fails on them:
- webpages-dev (../shared/webpages-dev, real 2026 pages with annotated main content): body F1
  (scrapinghub's shingle metric), snippet F1 (trafilatura's), the share of inline-link text inside kept
  paragraphs that reaches the output (issue 18), per page type (webpages.py);
- Debian documentation as installed: formulas (share whose LaTeX, whitespace ignored, is in the
  output), code blocks (share whose non-blank lines all appear in order as output lines), indentation
  (share of indented code lines found with the same leading whitespace);
- composed pages (a real article body in generated templates, pages.py): boilerplate P/R/F1 by
  characters of article and boilerplate fragments found, formulas and code as above.
Time: CPU time (time.process_time) of one `extract()` call (decode, parse, extract) per page; mean
and 95th percentile.
"""

from __future__ import annotations

import argparse
import bisect
import os
import platform
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench.extract.pages import _MAIN, SOURCES, Page, PageComposer, available_sources, norm, parse, real_truth
from bench.extract.webpages import WebTally, inline_paragraphs, link_survival, load_webpages
from pipeline.extract import EXTRACTORS, ExtractionError, extract

_NO_SPACE = re.compile(r"\s+")
COMPOSE_FROM = ("python", "scipy", "sympy", "statsmodels", "mpmath", "git", "debian-reference")
TEMPLATES = ("wordpress", "news", "docs", "divsoup")


def build_pages(real: int, composed: int, seed: int) -> list[Page]:
    """`real` installed pages per source, and `composed` pages wrapped in boilerplate templates."""
    rng = random.Random(seed)
    sources = available_sources(rng, real)
    pages = []
    prose_by_file: dict[str, list[str]] = {}
    roots = {}
    for name, path in sources:
        data = path.read_bytes()
        root = parse(data)
        roots[path] = (name, root)
        prose_by_file[str(path)] = [norm("".join(p.itertext())) for p in root.iter("p")]
        pages.append(Page(f"{name}:{path.name}", "real", data, real_truth(root)))
    prose = [t for texts in prose_by_file.values() for t in texts if len(t) > 150]
    candidates = [(path, name, root) for path, (name, root) in roots.items() if name in COMPOSE_FROM]
    for i in range(min(composed, len(candidates))):
        path, name, root = candidates[rng.randrange(len(candidates))]
        others = [t for t in prose if t not in prose_by_file[str(path)]]
        composer = PageComposer(rng, others)
        title = re.split(r" [—–-] | \| ", norm(root.findtext(".//title") or path.stem))[0]
        article = _MAIN(root)[0]
        pages.append(
            composer.compose(f"{name}:{path.name}#{i}", article, title, TEMPLATES[i % len(TEMPLATES)])
        )
    return pages


@dataclass
class Tally:
    formulas: list[int] = field(default_factory=lambda: [0, 0])
    blocks: list[int] = field(default_factory=lambda: [0, 0])
    indents: list[int] = field(default_factory=lambda: [0, 0])
    content_found: float = 0.0
    content_total: float = 0.0
    boiler_found: float = 0.0
    seconds: float = 0.0
    pages: int = 0
    errors: int = 0

    def row(self) -> dict[str, float]:
        share = lambda pair: pair[0] / pair[1] if pair[1] else float("nan")  # noqa: E731
        if not self.content_total:  # real pages carry no boilerplate annotation
            p = r = float("nan")
        else:
            p = self.content_found / (self.content_found + self.boiler_found) if self.content_found else 0.0
            r = self.content_found / self.content_total
        return {
            "formulas": share(self.formulas),
            "code_blocks": share(self.blocks),
            "indentation": share(self.indents),
            "bp_precision": p,
            "bp_recall": r,
            "bp_f1": 2 * p * r / (p + r) if p + r else 0.0,
            "ms_per_page": 1000 * self.seconds / max(self.pages, 1),
        }


def score_code(blocks: list[list[str]], output: str, tally: Tally) -> None:
    lines = output.split("\n")
    where: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        where[line.strip()].append(i)
    for block in blocks:
        pos, whole = 0, True
        for gt in block:
            hits = where.get(gt.strip(), [])
            k = bisect.bisect_left(hits, pos)
            indented = gt[: len(gt) - len(gt.lstrip())]
            if indented:
                tally.indents[1] += 1
            if k == len(hits):
                whole = False
                continue
            pos = hits[k] + 1
            got = lines[hits[k]]
            if indented and got[: len(got) - len(got.lstrip())].expandtabs() == indented.expandtabs():
                tally.indents[0] += 1
        tally.blocks[0] += whole
        tally.blocks[1] += 1


def score_page(page: Page, output: str, tally: Tally) -> None:
    squeezed = _NO_SPACE.sub("", output)
    for latex in page.truth.formulas:
        tally.formulas[1] += 1
        tally.formulas[0] += _NO_SPACE.sub("", latex) in squeezed
    score_code(page.truth.code_blocks, output, tally)
    if page.kind != "real":
        flat = norm(output)
        for fragment in page.truth.content:
            tally.content_total += len(fragment)
            tally.content_found += len(fragment) * (fragment in flat)
        for fragment in page.truth.boilerplate:
            tally.boiler_found += len(fragment) * _found_words(fragment, flat)


def _found_words(fragment: str, flat: str) -> bool:
    """Short menu labels must match as whole words ("Home" is not found inside "homework")."""
    return bool(re.search(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)", flat))


def _timed(html: bytes, name: str) -> tuple[str, float, bool]:
    """Output text, CPU milliseconds, and whether the extractor raised ExtractionError."""
    start = time.process_time()
    try:
        output, failed = extract(html, extractor=name, time_budget_s=60).text, False
    except ExtractionError:
        output, failed = "", True
    return output, 1000 * (time.process_time() - start), failed


def run_webpages(limit: int) -> tuple[dict[str, WebTally], dict[tuple[str, str], WebTally]]:
    """All extractors on webpages-dev; totals and per page type."""
    pages = load_webpages()
    if limit:
        pages = pages[:limit]
    totals = {name: WebTally() for name in EXTRACTORS}
    per_type: dict[tuple[str, str], WebTally] = defaultdict(WebTally)
    for page in pages:
        paragraphs = inline_paragraphs(page.html)
        for name in EXTRACTORS:
            output, ms, failed = _timed(page.html, name)
            links = link_survival(paragraphs, output)
            totals[name].errors += failed
            for tally in (totals[name], per_type[(page.page_type, name)]):
                tally.add(page, output, ms, links)
    return totals, per_type


def run_documents(real: int, composed: int, seed: int) -> tuple[list[Page], dict[str, Tally], dict]:
    """All extractors on the Debian pages and the composed pages; totals and per page kind."""
    pages = build_pages(real, composed, seed)
    tallies = {name: Tally() for name in EXTRACTORS}
    per_kind: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for page in pages:
        for name in EXTRACTORS:
            output, ms, failed = _timed(page.html, name)
            tallies[name].errors += failed
            for tally in (tallies[name], per_kind[(name, "debian" if page.kind == "real" else "templates")]):
                tally.seconds += ms / 1000
                tally.pages += 1
                score_page(page, output, tally)
    return pages, tallies, per_kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=int, default=18, help="installed pages per documentation package")
    parser.add_argument("--composed", type=int, default=150, help="pages wrapped in boilerplate templates")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--webpages", type=int, default=0, help="first N pages of webpages-dev (0: all)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    web, web_types = run_webpages(args.webpages)
    pages, docs, kinds = run_documents(args.real, args.composed, args.seed)
    if not pages and not any(t.body for t in web.values()):
        raise SystemExit("neither webpages-dev nor Debian documentation found: see bench/extract/README.md")
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"load average (1 min): {load:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    web_pages = len(next(iter(web.values())).body)
    counts = defaultdict(int)
    for page in pages:
        counts["debian" if page.kind == "real" else "templates"] += 1
    formulas = sum(len(p.truth.formulas) for p in pages if p.kind == "real")
    blocks = sum(len(p.truth.code_blocks) for p in pages if p.kind == "real")
    print(
        f"webpages-dev: {web_pages} pages; Debian docs: {counts['debian']} pages ({formulas} formulas, "
        f"{blocks} code blocks; {', '.join(s[0] for s in SOURCES)}); templates: {counts['templates']} pages"
    )
    header = (
        f"{'':<12}| {'webpages-dev':^52} | {'Debian docs':^22} | {'templates':^9} | {'ms/page':^17}\n"
        f"{'extractor':<12}| {'body F1 (P / R)':<22}{'snippets F1 (R)':<18}{'links':>6}{'err':>5} "
        f"| {'formula':>7}{'code':>6}{'indent':>8} | {'F1':>7}   | {'mean':>7}{'p95':>7}{'docs':>5}"
    )
    print(header)
    for name in EXTRACTORS:
        w = web[name].row()
        d = kinds[(name, "debian")].row() if counts["debian"] else defaultdict(lambda: float("nan"))
        t = kinds[(name, "templates")].row() if counts["templates"] else defaultdict(lambda: float("nan"))
        print(
            f"{name:<12}| {w['body_f1']:.3f} ({w['body_p']:.3f} / {w['body_r']:.3f})  "
            f"{w['snip_f1']:.3f} ({w['snip_r']:.3f})   {w['links']:>6.3f}{web[name].errors:>5} "
            f"| {d['formulas']:>7.3f}{d['code_blocks']:>6.3f}{d['indentation']:>8.3f} | {t['bp_f1']:>7.3f}   "
            f"| {w['ms_mean']:>7.1f}{w['ms_p95']:>7.1f}{docs[name].row()['ms_per_page']:>5.0f}"
        )
    links = ", ".join(f"{name} {web[name].links[0]}/{web[name].links[1]}" for name in EXTRACTORS)
    print(f"inline links of kept paragraphs that reach the output (issue 18): {links}")
    print("\nwebpages-dev per page type: body F1 / snippet F1 (pages)")
    types = sorted({kind for kind, _ in web_types})
    print(f"  {'page type':<14}{'pages':>6}" + "".join(f"{name:>22}" for name in EXTRACTORS))
    for kind in types:
        rows = {name: web_types[(kind, name)].row() for name in EXTRACTORS}
        cells = "".join(f"{rows[n]['body_f1']:>15.3f} / {rows[n]['snip_f1']:.3f}" for n in EXTRACTORS)
        print(f"  {kind:<14}{int(rows['native']['pages']):>6}{cells}")
    print("\ncomposed templates (formulas / code blocks / indentation / boilerplate P / R / F1):")
    for (name, kind), tally in sorted(kinds.items()):
        if kind == "templates":
            row = tally.row()
            print(
                f"  {name:<12} {row['formulas']:.3f} / {row['code_blocks']:.3f} / {row['indentation']:.3f} / "
                f"{row['bp_precision']:.3f} / {row['bp_recall']:.3f} / {row['bp_f1']:.3f}"
            )


if __name__ == "__main__":
    main()
