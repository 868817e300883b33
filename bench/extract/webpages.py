"""Real 2026 pages with annotated main content (../shared/webpages-dev) and the two usual metrics.

- Body F1 (scrapinghub's article-extraction-benchmark): word 4-gram shingles of the output against
  the annotated main content, counted with multiplicity; precision and recall per page, normalised so
  that long pages weigh no more than short ones, averaged over pages; F1 of the two averages.
- Snippet F1 (trafilatura's evaluation): a `with` sentence found in the output is a true positive, a
  missing one a false negative, a `without` sentence found a false positive; text compared after
  collapsing whitespace and lower-casing.
- Inline links (issue 18): in every paragraph of the page whose text outside links reaches the output,
  the share of link texts of 12+ characters that reach it too.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

WEBPAGES = Path(__file__).resolve().parents[2] / "../shared/webpages-dev"
_WORD = re.compile(r"\w+")
_WS = re.compile(r"\s+")


@dataclass
class WebPage:
    id: str
    url: str
    page_type: str
    html: bytes
    main_content: str
    with_: list[str]
    without: list[str]

    @property
    def site(self) -> str:
        """Registered domain, roughly (last two labels, three for co.uk-style suffixes)."""
        host = re.sub(r"^https?://", "", self.url).split("/")[0].split(":")[0].lower()
        labels = host.split(".")
        keep = 3 if len(labels) > 2 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
        return ".".join(labels[-keep:])


def load_webpages(folder: Path = WEBPAGES) -> list[WebPage]:
    """The pages with their truth, in file order (empty when the set is not there)."""
    truth = folder / "ground-truth.jsonl"
    if not truth.exists():
        return []
    pages = []
    for line in truth.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        html = gzip.decompress((folder / "html" / f"{row['id']}.html.gz").read_bytes())
        page_type = row["page_type"] if row["page_type"] != "blog" else "article"
        pages.append(
            WebPage(row["id"], row["url"], page_type, html, row["main_content"], row["with"], row["without"])
        )
    return pages


def flat(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


def shingles(text: str, n: int = 4) -> Counter:
    words = _WORD.findall(text)
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n])


def body_counts(truth: str, output: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of 4-gram shingles, normalised to sum to 1 (scrapinghub's per-page weighting)."""
    want, got = shingles(truth), shingles(output)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


@dataclass
class WebTally:
    """Body and snippet counts over a set of pages, and CPU time per page."""

    body: list[tuple[float, float, float]] = field(default_factory=list)
    snippets: list[int] = field(default_factory=lambda: [0, 0, 0])  # tp, fn, fp
    links: list[int] = field(default_factory=lambda: [0, 0])  # found, total
    ms: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, page: WebPage, output: str, ms: float, links: tuple[int, int]) -> None:
        self.body.append(body_counts(page.main_content, output))
        text = flat(output)
        for sentence in page.with_:
            self.snippets[0 if flat(sentence) in text else 1] += 1
        self.snippets[2] += sum(flat(s) in text for s in page.without)
        self.links[0] += links[0]
        self.links[1] += links[1]
        self.ms.append(ms)

    def row(self) -> dict[str, float]:
        ps = [_precision(*c) for c in self.body if c[0] + c[1] > 0]
        rs = [_recall(*c) for c in self.body if c[0] + c[2] > 0]
        p = sum(ps) / len(ps) if ps else 0.0
        r = sum(rs) / len(rs) if rs else 0.0
        tp, fn, fp = self.snippets
        sp = tp / (tp + fp) if tp + fp else 0.0
        sr = tp / (tp + fn) if tp + fn else 0.0
        ms = sorted(self.ms)
        return {
            "pages": float(len(self.body)),
            "body_p": p,
            "body_r": r,
            "body_f1": 2 * p * r / (p + r) if p + r else 0.0,
            "snip_p": sp,
            "snip_r": sr,
            "snip_f1": 2 * sp * sr / (sp + sr) if sp + sr else 0.0,
            "links": self.links[0] / self.links[1] if self.links[1] else float("nan"),
            "ms_mean": sum(ms) / len(ms) if ms else 0.0,
            "ms_p95": ms[min(len(ms) - 1, int(0.95 * len(ms)))] if ms else 0.0,
        }


# ---------------------------------------------------------------- issue 18: inline links

_PARAGRAPHS = ("p", "li", "dd", "blockquote", "td")
# A paragraph holding one of these is a layout box (or a <p> libxml2 left open over the page).
_BLOCKS = frozenset(
    {"div", "p", "ul", "ol", "li", "table", "section", "article", "h1", "h2", "h3", "h4", "form"}
)
_MIN_LINK = 12
_MIN_CONTEXT = 30


@dataclass
class InlineParagraph:
    """A paragraph's longest stretch of text outside links, and its inline link texts."""

    context: str
    links: list[str]


def inline_paragraphs(html: bytes) -> list[InlineParagraph]:
    """Paragraphs (p, li, dd, blockquote, td without block elements inside) holding links of 12+
    characters amid 30+ characters of their own text; hidden links are left out (they are meant to go)."""
    root = etree.fromstring(html, etree.HTMLParser(remove_comments=True, encoding="utf-8"))
    if root is None:
        return []
    for el in root.iter("script", "style", "noscript", "template"):
        el.text = ""
    found = []
    for para in root.iter(*_PARAGRAPHS):
        if para.find(".//a") is None or any(_hidden(a) for a in para.iterancestors()) or _hidden(para):
            continue
        if any(el.tag in _BLOCKS for el in para.iterdescendants()):
            continue
        links = [flat("".join(a.itertext())) for a in para.iter("a") if not _hidden(a)]
        links = [t for t in links if len(t) >= _MIN_LINK]
        if not links:
            continue
        text = flat("".join(para.itertext()))
        pieces = [text]
        for link in links:
            pieces = [part for piece in pieces for part in piece.split(link)]
        context = max((p.strip() for p in pieces), key=len)
        if len(context) >= _MIN_CONTEXT:
            found.append(InlineParagraph(context, links))
    return found


def _hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("hidden") is not None or el.get("aria-hidden") == "true" or "display:none" in style


def link_survival(paragraphs: list[InlineParagraph], output: str) -> tuple[int, int]:
    """(links found, links in kept paragraphs): a paragraph is kept when its own text is found."""
    text = flat(output)
    found = total = 0
    for para in paragraphs:
        if para.context in text:
            total += len(para.links)
            found += sum(link in text for link in para.links)
    return found, total
