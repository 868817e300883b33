"""Street addresses on real web pages, footers and navigation included, as a crawl's WET text has them.

    PYTHONPATH=. .venv/bin/python -m bench.pii.web_streets [--webpages /work/shared/webpages-dev] [--list]

No generator wrote these addresses. Recall probe: every US last line ("Detroit, MI 48226") and UK
postcode of the pages' visible text, and whether a STREET_ADDRESS span ends within the 110 characters
before it (a few of them are a bare town line with no street: read the misses). Precision: every
STREET_ADDRESS span, with context, to read (`--list`). Default policy, English. Never passes or fails.
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

import lxml.html

from pipeline.pii import PiiRedactor
from schemas.config import PiiConfig

_HIDDEN = "//script|//style|//noscript|//template|//svg"
_BLOCKS = frozenset("a address br dd div dt footer h1 h2 h3 h4 h5 h6 li p section span td th tr".split())
_LAST_LINE = re.compile(
    r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|P[AR]|RI|S[CD]|T[NX]"
    r"|UT|V[AIT]|W[AIVY]),?\s+\d{5}(?:-\d{4})?\b"  # USPS: STATE ZIP
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # Royal Mail: outward and inward code
)
REACH = 110  # characters from a street to its last line


def page_text(path: Path) -> str:
    """The visible text of a page, one line per block element, link or span (page builders put a listing's
    price, size and address in adjacent spans)."""
    root = lxml.html.fromstring(gzip.decompress(path.read_bytes()))
    for hidden in root.xpath(_HIDDEN):
        hidden.drop_tree()
    parts = []
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            parts.append("\n")
        parts += [element.text or "", element.tail or ""]
    return re.sub(r"[ \t]+", " ", re.sub(r"[ \t\u00a0]*\n\s*", "\n", "".join(parts)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webpages", type=Path, default=Path("/work/shared/webpages-dev"))
    parser.add_argument("--list", action="store_true", help="print every street span and every miss")
    args = parser.parse_args()
    paths = sorted((args.webpages / "html").glob("*.html.gz"))
    texts = [page_text(path) for path in paths]
    found = PiiRedactor(PiiConfig()).find_batch(texts, ["en"] * len(texts))
    lines = hits = spans = 0
    for path, text, hits_of_page in zip(paths, texts, found, strict=True):
        streets = [(s, e) for s, e, t, _ in hits_of_page if t == "STREET_ADDRESS"]
        spans += len(streets)
        for s, e in streets if args.list else ():
            print(
                f"  street {path.name[:4]} {' '.join(text[max(0, s - 40) : s].split())} "
                f"[[{' '.join(text[s:e].split())}]] {' '.join(text[e : e + 40].split())}"
            )
        for line in _LAST_LINE.finditer(text):
            lines += 1
            near = any(line.start() - REACH < e <= line.start() for _, e in streets)
            hits += near
            if args.list and not near:
                print(f"  miss   {path.name[:4]} {text[max(0, line.start() - REACH) : line.end()]!r}")
    print(f"{len(paths)} pages of {args.webpages}, visible text")
    print(f"US and UK last lines: {lines}, with a street before them: {hits} ({hits / lines:.3f})")
    print(f"STREET_ADDRESS spans: {spans} (read them with --list)")


if __name__ == "__main__":
    main()
