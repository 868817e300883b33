"""Extraction quality and speed: trafilatura, resiliparse and the native extractor side by side.

    .venv/bin/python -m bench.extract.evaluate [--real 18] [--composed 150] [--seed 2024]

Needs Debian's HTML documentation (see bench/extract/README.md); prints figures, never fails on them.
Metrics (ground truth from bench/extract/pages.py, independent of any extractor):
- formulas: share of formulas whose LaTeX (whitespace ignored) appears in the output;
- code blocks: share of <pre> blocks whose non-blank lines all appear, in order, as output lines;
- indentation: share of indented code lines found with exactly the same leading whitespace;
- boilerplate P/R/F1 (composed pages): characters of article fragments vs boilerplate fragments found;
- ms/page: mean wall time of one extraction (decode, parse, extract) over all pages.
"""

from __future__ import annotations

import argparse
import bisect
import platform
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench.extract.pages import _MAIN, SOURCES, Page, PageComposer, available_sources, norm, parse, real_truth
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=int, default=18, help="installed pages per documentation package")
    parser.add_argument("--composed", type=int, default=150, help="pages wrapped in boilerplate templates")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    pages = build_pages(args.real, args.composed, args.seed)
    if not pages:
        raise SystemExit("no Debian documentation installed: see bench/extract/README.md")
    tallies = {name: Tally() for name in EXTRACTORS}
    per_kind: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for page in pages:
        for name in EXTRACTORS:
            start = time.perf_counter()
            try:
                output = extract(page.html, extractor=name, time_budget_s=60).text
            except ExtractionError:
                output = ""
                tallies[name].errors += 1
            elapsed = time.perf_counter() - start
            for tally in (tallies[name], per_kind[(name, page.kind)]):
                tally.seconds += elapsed
                tally.pages += 1
                score_page(page, output, tally)
    kinds = defaultdict(int)
    for page in pages:
        kinds[page.kind] += 1
    truth_sizes = (sum(len(p.truth.formulas) for p in pages), sum(len(p.truth.code_blocks) for p in pages))
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"pages: {len(pages)} ({dict(kinds)}); sources: {', '.join(s[0] for s in SOURCES)}")
    print(f"ground truth: {truth_sizes[0]} formulas, {truth_sizes[1]} code blocks")
    columns = ("formulas", "code_blocks", "indentation", "bp_precision", "bp_recall", "bp_f1", "ms_per_page")
    print(f"{'extractor':<12}" + "".join(f"{c:>14}" for c in columns) + f"{'errors':>8}")
    for name, tally in tallies.items():
        row = tally.row()
        print(f"{name:<12}" + "".join(f"{row[c]:>14.3f}" for c in columns) + f"{tally.errors:>8}")
    print("\nper page kind (formulas / code blocks / indentation / boilerplate F1 / ms per page):")
    for (name, kind), tally in sorted(per_kind.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        row = tally.row()
        print(
            f"  {kind:<10} {name:<12} {row['formulas']:.3f} / {row['code_blocks']:.3f} / "
            f"{row['indentation']:.3f} / {row['bp_f1']:.3f} / {row['ms_per_page']:.1f}"
        )


if __name__ == "__main__":
    main()
