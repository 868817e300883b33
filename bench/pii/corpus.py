"""Real base text for the PII benchmark: Debian's documentation in English and its translations.

Pages are the HTML of debian-reference-{en,de,fr,es,it,ja,zh-cn,pt}, maint-guide(-*),
developers-reference(-*) and python3-doc's library/howto/faq pages (`apt-get install -y ...`). Each page
is cut into documents of 200 to 3,000 words, prose paragraphs with the page's `<pre>` blocks kept as
fenced or indented code, the way an extractor writes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

from pipeline.pii.density import word_count

_DEBREF = "/usr/share/debian-reference"
_DEVREF = "/usr/share/developers-reference"
_PYDOC = "/usr/share/doc/python3-doc/html"
# (directory, glob) per source language; the developers-reference's one-page edition repeats its chapters.
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (_DEBREF, "*.en.html"),
        ("/usr/share/doc/maint-guide/html", "*.en.html"),
        (_DEVREF, "*.html"),
        (f"{_PYDOC}/library", "*.html"),
        (f"{_PYDOC}/howto", "*.html"),
        (f"{_PYDOC}/faq", "*.html"),
    ),
    **{
        lang: (
            (_DEBREF, f"*.{lang}.html"),
            *(((f"/usr/share/doc/maint-guide-{lang}/html", f"*.{lang}.html"),) if lang != "pt" else ()),
            *(((f"{_DEVREF}/{lang}", "*.html"),) if lang in ("de", "fr", "ja") else ()),
        )
        for lang in ("de", "fr", "es", "it", "ja", "zh-cn", "pt")
    },
}
_SKIP = {"developers-reference.html", "search.html", "genindex.html"}
_BLOCKS = {"p", "dd", "dt", "h1", "h2", "h3", "h4", "pre", "li", "td"}
MIN_WORDS, MAX_WORDS = 200, 3000


@dataclass
class Block:
    """A paragraph of prose or a code block of a real page."""

    text: str
    code: bool


@dataclass
class BaseDoc:
    """Consecutive blocks of one real page, 200-3,000 words, and the language of its package."""

    source_lang: str
    path: str
    blocks: list[Block]


def page_blocks(path: Path) -> list[Block]:
    """Prose paragraphs and <pre> blocks of an HTML page, in document order (nested blocks once)."""
    tree = lxml_html.parse(str(path))
    blocks = []
    for el in tree.iter(*_BLOCKS):
        if any(a.tag in _BLOCKS for a in el.iterancestors()):
            continue
        if el.tag == "pre":
            code = el.text_content().strip("\n")
            if code.strip():
                blocks.append(Block(code, True))
        else:
            text = " ".join(el.text_content().split())
            if text:
                blocks.append(Block(text, False))
    return blocks


def source_pages(lang: str) -> list[Path]:
    """The pages of one source language, sorted (the same on every run)."""
    pages = {p for root, pattern in SOURCES[lang] for p in Path(root).glob(pattern) if p.name not in _SKIP}
    if not pages:
        raise SystemExit(f"no pages for {lang!r}: apt-get install the packages listed in bench/pii/README.md")
    return sorted(pages)


def chunks(lang: str, path: Path, rng: random.Random) -> Iterator[BaseDoc]:
    """Documents of MIN_WORDS..MAX_WORDS words (a target drawn uniformly per document) cut from one page."""
    current: list[Block] = []
    words, target = 0, rng.randint(MIN_WORDS, MAX_WORDS)
    for block in page_blocks(path):
        n = word_count(block.text)
        if current and words + n > MAX_WORDS:
            if words >= MIN_WORDS:
                yield BaseDoc(lang, str(path), current)
            current, words, target = [], 0, rng.randint(MIN_WORDS, MAX_WORDS)
        if n > MAX_WORDS:
            continue  # a single block longer than a document (a huge table or listing)
        current.append(block)
        words += n
        if words >= target:
            yield BaseDoc(lang, str(path), current)
            current, words, target = [], 0, rng.randint(MIN_WORDS, MAX_WORDS)
    if words >= MIN_WORDS:
        yield BaseDoc(lang, str(path), current)


def base_documents(langs: list[str], per_lang: int, seed: int = 7) -> list[BaseDoc]:
    """Up to `per_lang` documents per source language, drawn from shuffled pages of that language."""
    rng = random.Random(seed)
    docs: list[BaseDoc] = []
    for lang in langs:
        pages = source_pages(lang)
        rng.shuffle(pages)
        mine: list[BaseDoc] = [d for page in pages for d in chunks(lang, page, rng)]
        rng.shuffle(mine)
        docs += mine[:per_lang]
    return docs
