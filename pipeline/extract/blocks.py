"""Text blocks of a page and what a classifier sees of each.

A text block is the run of text that one block-level element (a "container") owns: its own text and
that of its inline descendants (a, code...), but not that of nested containers. A table row is one
block (its cells read as one line). Hidden elements go first and inline formatting tags are unwrapped,
both by lxml in C; then one walk in document order gives every element its container and every
container the hints of its ancestors (class names, nav/aside/footer, main/article, links), and one
walk back over the containers sums text and link text per subtree. Features are computed with numpy
over all blocks at once.

Hints are soft: they become features of the blocks under them. An inline element never loses its
text on its own (issue 18: its class names are not even read), and a layout class that happens to
contain "widget" or "top" no longer deletes an article.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from lxml import etree

from pipeline.extract.code import is_gutter
from pipeline.extract.decode import Deadline

MATH_TAG = "x-math"
CODE_TAG = "x-code"

# ---------------------------------------------------------------- hints from tags and class names

_NAV_TAGS = frozenset({"nav", "aside", "menu"})
_NAV_ROLES = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
        "toolbar",
    }
)
# Class/id words, after the lists of Readability (Mozilla) and jusText/boilerpipe, in four kinds the
# classifier weighs apart. Short words must match a whole token (nav, ad); long ones may sit inside a
# token (sphinxsidebar, cookieconsent). Layout words that merely contain one ("widget", "top") are not
# here: they name page builders' boxes (elementor-widget-container) as often as navigation.
_HINT_WORDS = {
    "navigation": (
        {"nav", "menu", "pager", "toc", "crumbs", "skip", "masthead", "header", "footer", "search"},
        ("sidebar", "footer", "navbar", "navigation", "breadcrumb", "pagination", "menubar", "topbar",
         "toolbar", "dropdown"),
    ),
    "promotion": (
        {"ad", "ads", "adv", "promo", "modal", "overlay", "sticky", "login", "print"},
        ("cookie", "consent", "gdpr", "newsletter", "subscri", "signup", "advert", "sponsor", "banner",
         "popup", "outbrain", "taboola", "donate"),
    ),
    "social": (
        {"share", "tags", "tag", "rss"},
        ("social", "sharing", "sharebar", "share-", "related", "recommend", "trending", "most-read",
         "mostread", "follow"),
    ),
    "meta": (
        {"meta", "byline", "dateline", "author", "posted", "bio", "links", "hidden"},
        ("copyright", "disclaimer", "headerlink"),
    ),
}  # fmt: skip
_COMMENT_HINTS = ("comment", "respond", "discussion", "disqus", "replies")
_CONTENT_WORDS = frozenset(
    {
        "content",
        "main",
        "article",
        "body",
        "story",
        "text",
        "post",
        "entry",
        "prose",
        "markdown",
        "richtext",
        "description",
        "footnote",
        "footnotes",
        "note",
    }
)
_LAYOUT_PREFIXES = ("has-", "no-", "with-", "show-", "is-")
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_COMMENT_RE = re.compile("|".join(_COMMENT_HINTS))

# Flags an element passes to its descendants.
HINT_NAVIGATION = 1  # class/id names of menus, sidebars, headers, footers
HINT_COMMENTS = 2  # class/id names of comment sections
IN_NAV = 4  # nav, aside, menu, or an ARIA landmark role of the same
IN_HEADER_FOOTER = 8  # header or footer outside an article
IN_MAIN = 16  # main, article, role=main
HINT_CONTENT = 32  # class/id names of article bodies
IN_LINK = 64  # inside an <a>
IN_HEADING = 128
IN_LIST = 256
IN_TABLE = 512
IN_FORM = 1024
HINT_PROMOTION = 2048  # class/id names of ads, banners, cookie notices, sign-up boxes
HINT_SOCIAL = 4096  # class/id names of share bars, related posts, tags
HINT_META = 8192  # class/id names of bylines, dates, author boxes
_HINT_FLAGS = {
    "navigation": HINT_NAVIGATION,
    "promotion": HINT_PROMOTION,
    "social": HINT_SOCIAL,
    "meta": HINT_META,
}
_HINT_SHORT = {word: _HINT_FLAGS[kind] for kind, (short, _) in _HINT_WORDS.items() for word in short}
# One pass over a name finds every long hint, and the word found gives its kind (the first kind listing
# it). Plain alternatives: sre scans a name about twice as fast as with a named group per kind.
_LONG_KIND: dict[str, int] = {}
for _kind, (_, _long) in _HINT_WORDS.items():
    for _word in _long:
        _LONG_KIND.setdefault(_word, _HINT_FLAGS[_kind])
_HINT_LONG = re.compile("|".join(re.escape(word) for _, long in _HINT_WORDS.values() for word in long))
HINTS = HINT_NAVIGATION | HINT_PROMOTION | HINT_SOCIAL | HINT_META


class _Memo(dict):
    """A pure function's results by argument, all forgotten at once when `size` are held. A plain
    dict of strings, tuples of strings and ints, which the garbage collector walks cheaply: the
    linked entries of functools.lru_cache made every full collection ~12 ms longer."""

    __slots__ = ("function", "size")

    def __init__(self, function: Callable[[Any], int], size: int):
        super().__init__()
        self.function = function
        self.size = size

    def __missing__(self, key: Any) -> int:
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.function(key)
        return value


def class_hints(names: str) -> int:
    """Flags the class and id names of one element give: the union of what each name says."""
    flags = 0
    for name in names.lower().split():
        flags |= _NAME_HINTS[name]
    return flags


def _name_hints(name: str) -> int:
    """Flags of one class or id name (memoized in _NAME_HINTS: names repeat across elements and
    pages, whole class strings of page builders rarely do)."""
    if name.startswith(_LAYOUT_PREFIXES):
        return 0
    # The tokens of _TOKEN_SPLIT (a name holds no whitespace), with an empty one where separators
    # repeat: it matches no word.
    tokens = name.replace("_", "-").split("-")
    flags = HINT_CONTENT if not _CONTENT_WORDS.isdisjoint(tokens) else 0
    if _COMMENT_RE.search(name):
        return flags | HINT_COMMENTS
    for token in tokens:
        flags |= _HINT_SHORT.get(token, 0)
    for match in _HINT_LONG.finditer(name):
        flags |= _LONG_KIND[match.group()]
    return flags


_NAME_HINTS = _Memo(_name_hints, 1 << 16)


_TAG_FLAGS = {
    "nav": IN_NAV,
    "aside": IN_NAV,
    "menu": IN_NAV,
    "main": IN_MAIN,
    "article": IN_MAIN,
    "ul": IN_LIST,
    "ol": IN_LIST,
    "dl": IN_LIST,
    "table": IN_TABLE,
    "form": IN_FORM,
    **{f"h{n}": IN_HEADING for n in range(1, 7)},
}


def container_flags(tag: str, cls: str | None, ident: str | None, role: str | None, in_main: bool) -> int:
    """Flags of one container from its tag, class and id names and ARIA role (memoized in
    CONTAINER_FLAGS, keyed by the arguments' tuple)."""
    flags = _TAG_FLAGS.get(tag, 0)
    if tag in ("header", "footer") and not in_main:
        flags |= IN_HEADER_FOOTER
    if ident and len(_TOKEN_SPLIT.split(ident)) > 2:
        ident = None  # a heading's slug ("bessel-functions-and-related-functions"), not a layout name
    if cls or ident:
        hints = class_hints(f"{cls or ''} {ident or ''}")
        if hints & HINT_CONTENT and flags & IN_NAV:
            flags &= ~IN_NAV  # <aside class="footnote">: Sphinx and DocBook put notes in asides
        flags |= hints
    if role:
        role = role.lower()
        if role in _NAV_ROLES:
            flags |= IN_NAV
        elif role == "main":
            flags |= IN_MAIN
    return flags


CONTAINER_FLAGS = _Memo(lambda key: container_flags(*key), 1 << 16)
_NAME_HINTS_ANY = HINTS | HINT_COMMENTS
_WORD = re.compile(r"[^\W\d_]+")
_SECTION_CLASSES = frozenset(
    {"chapter", "section", "subsection", "subsubsection", "appendix", "unnumbered", "unnumberedsec",
     "sect1", "sect2", "sect3", "sect4", "refsect1", "refsect2", "level1", "level2", "level3", "level4"}
)  # fmt: skip


def is_section_anchor(el: etree._Element, ident: str) -> bool:
    """The id names a manual's section after its heading, not the element's role on the page: the
    element is a section of a documentation generator (Texinfo, DocBook, Sphinx before 4, pandoc) and
    every word of the id is a word of its first heading (`<div class="subsection" id="Block-Comments">
    <h4>2.7.2 Block Comments</h4>`). Web pages name comment and related-post sections after their
    headings too (`<section id="comments"><h2>Comments</h2>`), so the class must say "section"."""
    if _SECTION_CLASSES.isdisjoint((el.get("class") or "").lower().split()):
        return False
    heading = next(el.iter(*HEADINGS), None)
    if heading is None:
        return False
    named = set(_WORD.findall(ident.lower()))
    return bool(named) and named <= set(_WORD.findall(" ".join(heading.itertext()).lower()))


# ---------------------------------------------------------------- hidden elements

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# React's streaming server rendering sends each late part of the page as <div hidden id="S:n">, which a
# script moves into its placeholder on arrival: the page's content, not hidden text (4 of the 499
# webpages-dev pages carry their main content that way; body / snippet F1 +0.002 / +0.003).
_STREAMED_SEGMENT = re.compile(r"S:[0-9a-z]+")
_SYMBOL = re.compile(r"\W{1,2}")


def is_permalink(el: etree._Element) -> bool:
    """A heading's permalink anchor: a link to a fragment whose whole text is a symbol or two (the
    pilcrow of Sphinx and many blog themes, "#", "§"). Judged by structure, not by class names."""
    text = el.text
    return (
        not len(el)
        and bool(text)
        and (el.get("href") or "").startswith("#")
        and bool(_SYMBOL.fullmatch(text.strip()))
    )


def remove_keeping_tail(el: etree._Element) -> None:
    """Remove an element but keep its tail text (lxml stores following text on the element)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# ---------------------------------------------------------------- segmentation

# Elements that start a new block of text. Table cells are not: a row reads as one line.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li", "main",
        "nav", "ol", "p", "section", "summary", "table", "tr", "ul", "caption", "tbody", "thead",
        "tfoot", "html", "h1", "h2", "h3", "h4", "h5", "h6", "menu", "noscript", CODE_TAG,
    }
)  # fmt: skip
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SOFT_HINTS = HINTS | IN_NAV | IN_HEADER_FOOTER


@dataclass
class Blocks:
    """A page cut into containers and text blocks.

    `owner` maps every element to the id of the container owning its text (a container owns itself);
    ids index `containers` (document order, the body first). Per container: `parent` (id of the
    enclosing container), `flags`, `tags`, `classes`, `index` and `end` (first and last position in
    document order), `own`, `own_links` and `lifted` (its own text, link text and math/code text, in
    characters), `pieces` (its own text nodes); after `totals()`: `chars`, `links`, `hinted` (sums
    over the subtree) and `before` (page text before it). `blocks` are the ids of containers with
    text of their own.
    """

    body: etree._Element
    owner: dict[etree._Element, int] = field(default_factory=dict)
    containers: list[etree._Element] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    classes: list[str | None] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    own_links: list[float] = field(default_factory=list)
    lifted: list[float] = field(default_factory=list)
    pieces: list[list[str]] = field(default_factory=list)
    first_h1: int = -1  # document position of the first <h1> (-1: none)
    blocks: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    chars: np.ndarray = field(default_factory=lambda: np.zeros(0))
    links: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hinted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    before: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def is_container(self, el: etree._Element) -> bool:
        return self.containers[self.owner[el]] is el


def segment(
    order: list[etree._Element], special: dict[etree._Element, float], mathjax: bool, deadline: Deadline
) -> Blocks:
    """Cut a page into blocks. `order` is the body's elements in document order (the body first);
    `special` gives the text length of math and code placeholders (their text lives in side tables);
    `mathjax` says the page may hold MathJax's rendered glyphs (class MathJax*, mjx-* tags).

    Hidden elements (display:none, visibility:hidden, `hidden` but React's streamed segments,
    aria-hidden), rendered math glyphs, line-number gutter cells and heading permalinks are removed
    from the tree with what they hold; the text after them stays."""
    body = order[0]
    page = Blocks(body)
    owner, containers, parent, flags, tags, classes, index, own_links, lifted, pieces = (
        page.owner,
        page.containers,
        page.parent,
        page.flags,
        page.tags,
        page.classes,
        page.index,
        page.own_links,
        page.lifted,
        page.pieces,
    )
    inherited: dict[etree._Element, int] = {}
    parent_flags = inherited.get
    hidden: list[etree._Element] = []
    deadline.tick(len(order))  # one unit per element, charged before the walk
    for i, el in enumerate(order):
        tag = el.tag
        get = el.get
        if i:
            up = el.getparent()
            pf = parent_flags(up)
            if pf is None:
                continue  # inside a hidden element
            if (
                (get("hidden") is not None and not _STREAMED_SEGMENT.fullmatch(get("id") or ""))
                or get("aria-hidden") == "true"
                or ((style := get("style")) and _HIDDEN_STYLE.search(style))
                or (mathjax and (tag.startswith("mjx-") or (get("class") or "").startswith("MathJax")))
                or (tag == "td" and (cls := get("class")) and is_gutter(cls))
                or (tag == "a" and is_permalink(el))
            ):
                hidden.append(el)
                text = el.tail
                if text and (text := text.strip()):
                    p = owner[up]
                    pieces[p].append(text)
                    if pf & IN_LINK:
                        own_links[p] += len(text)
                continue
        else:
            up, pf = None, 0
        if tag in BLOCK_TAGS or not i:
            cls, ident, role = get("class"), get("id"), get("role")
            mine = CONTAINER_FLAGS[tag, cls, ident, role, bool(pf & IN_MAIN)]
            # container_flags drops slugs of three words or more; a shorter one needs the element's heading
            if ident and mine & _NAME_HINTS_ANY and is_section_anchor(el, ident):
                mine = CONTAINER_FLAGS[tag, cls, None, role, bool(pf & IN_MAIN)]
            f = pf
            if not i:
                mine &= ~(HINTS | HINT_COMMENTS | IN_NAV | IN_HEADER_FOOTER)
            elif mine & IN_MAIN and tag != "article":
                f &= ~_SOFT_HINTS  # one main per page: a header or nav above it is a misparse
            f |= mine
            c = len(containers)
            containers.append(el)
            parent.append(owner[up] if i else 0)
            flags.append(f)
            tags.append(tag)
            classes.append(cls)
            index.append(i)
            own_links.append(0.0)
            lifted.append(0.0)
            pieces.append([])
            if tag == "h1" and page.first_h1 < 0:
                page.first_h1 = i
        else:
            c = owner[up]
            f = pf | IN_LINK if tag == "a" else pf
        owner[el] = c
        inherited[el] = f
        length = special.get(el) if special else None
        if length is not None:
            lifted[c] += length
        else:
            text = el.text
            if text and (text := text.strip()):
                pieces[c].append(text)
                if f & IN_LINK:
                    own_links[c] += len(text)
        if i:
            text = el.tail
            if text and (text := text.strip()):
                p = owner[up]
                pieces[p].append(text)
                if pf & IN_LINK:
                    own_links[p] += len(text)
    for el in hidden:
        remove_keeping_tail(el)
    page.own = [sum(map(len, mine)) + extra for mine, extra in zip(pieces, lifted, strict=True)]
    _totals(page, deadline)
    return page


def _totals(page: Blocks, deadline: Deadline) -> None:
    """Subtree sums and last positions per container (one walk back over them)."""
    own, flags, parent = page.own, page.flags, page.parent
    deadline.tick(len(own) - 1)  # one unit per container but the body, charged before the walk
    chars = list(own)
    links = list(page.own_links)
    hinted = [n if f & _SOFT_HINTS else 0.0 for n, f in zip(own, flags, strict=True)]
    end = list(page.index)
    for c in range(len(own) - 1, 0, -1):
        p = parent[c]
        chars[p] += chars[c]
        links[p] += links[c]
        hinted[p] += hinted[c]
        if end[c] > end[p]:
            end[p] = end[c]
    page.chars, page.links, page.hinted = np.array(chars), np.array(links), np.array(hinted)
    page.end = end
    mine = np.array(own)
    page.before = np.cumsum(mine) - mine
    page.blocks = np.flatnonzero(mine).tolist()


def best_subtree(page: Blocks, weight: float) -> int:
    """The container with the most text net of its link text, `chars - (1 + weight) * links`:
    boilerpipe's text-density / link-density trade-off over subtrees (Kohlschuetter et al. 2010).
    Class-name hints stay out of it: on the dev pages they cut the article out of the container
    chosen more often than they cut boilerplate (recall inside it 0.73 with them, 0.98 without)."""
    return int(np.argmax(page.chars - (1.0 + weight) * page.links))


# ---------------------------------------------------------------- features

_TAG_GROUPS = {
    "h1": "h1",
    "h2": "heading",
    "h3": "heading",
    "h4": "minor_heading",
    "h5": "minor_heading",
    "h6": "minor_heading",
    "li": "list_item",
    "dt": "term",
    "dd": "definition",
    "tr": "table_row",
    "p": "paragraph",
    "blockquote": "paragraph",
    "figcaption": "caption",
    "summary": "caption",
    "div": "division",
    CODE_TAG: "code",
}
_GROUPS = tuple(dict.fromkeys(_TAG_GROUPS.values()))
_GROUP_INDEX = {tag: _GROUPS.index(group) for tag, group in _TAG_GROUPS.items()}
_FLAG_FEATURES = (
    ("in_link", IN_LINK),
    ("hint_navigation", HINT_NAVIGATION),
    ("hint_promotion", HINT_PROMOTION),
    ("hint_social", HINT_SOCIAL),
    ("hint_meta", HINT_META),
    ("hint_comments", HINT_COMMENTS),
    ("in_nav", IN_NAV),
    ("in_header_footer", IN_HEADER_FOOTER),
    ("in_main", IN_MAIN),
    ("hint_content", HINT_CONTENT),
    ("in_form", IN_FORM),
    ("in_list", IN_LIST),
    ("in_table", IN_TABLE),
)
_FLAG_BITS = np.array([bit for _, bit in _FLAG_FEATURES], dtype=np.int64)
_LEVELS = 3  # containers described above each block: parent, grandparent, great-grandparent
_SENTENCE_ENDS = frozenset(".!?:;\u2026\u3002")
_SHORT_TEXT = 80  # texts this short are counted for repeats on the page ("Read more", dates)
# Kinds of ASCII characters _text_statistics counts (every other character is kind 0).
_PUNCTUATION, _DIGIT, _CAPITAL, _SPACE = 1, 2, 3, 4
_CHAR_KINDS = np.zeros(128, dtype=np.intp)
_CHAR_KINDS[[ord("."), ord(",")]] = _PUNCTUATION
_CHAR_KINDS[ord("0") : ord("9") + 1] = _DIGIT
_CHAR_KINDS[ord("A") : ord("Z") + 1] = _CAPITAL
_CHAR_KINDS[ord(" ")] = _SPACE
_UP_FEATURES = ("log_chars", "link_density", "share", "hinted", "has_h1", "in_top", "repeats")
FEATURES = (
    "log_chars",
    "link_density",
    "punctuation",
    "digits",
    "capitals",
    "word_length",
    "sentence_end",
    "duplicates",
    *_GROUPS,
    *(name for name, _ in _FLAG_FEATURES),
    "position",
    "after_h1",
    "page_log_chars",
    "page_link_density",
    "in_top",
    "before_top",
    "top_share",
    "in_core",
    "core_share",
    "before_core",
    "after_core",
    *(f"up{k}_{name}" for k in range(1, _LEVELS + 1) for name in _UP_FEATURES),
    "prev_link_density",
    "prev_log_chars",
    "next_link_density",
    "next_log_chars",
)
TOP_WEIGHT = 1.0  # best_subtree's link weight for the container ("top")...
CORE_WEIGHT = 4.0  # ...and for a stricter, smaller one inside it ("core")


def _text_statistics(page: Blocks) -> np.ndarray:
    """Per block: punctuation per 100 characters, digit and capital shares, mean word length,
    sentence end, and log(1 + other blocks with the same short text)."""
    pieces = page.pieces
    texts = [" ".join(pieces[c]) for c in page.blocks]
    seen = Counter(t for t in texts if len(t) <= _SHORT_TEXT)
    n = len(texts)
    lengths = np.fromiter(map(len, texts), np.intp, n)
    # Every character of every block at once: its kind, counted per block (one numpy pass, not
    # four string scans a block).
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    kinds = _CHAR_KINDS[np.minimum(codes, 127)]
    counts = np.bincount(np.repeat(np.arange(n) * 5, lengths) + kinds, minlength=5 * n).reshape(n, 5)
    size = np.maximum(lengths, 1)
    stats = np.empty((n, 6))
    stats[:, 0] = 100.0 * counts[:, _PUNCTUATION] / size
    stats[:, 1] = counts[:, _DIGIT] / size
    stats[:, 2] = counts[:, _CAPITAL] / size
    stats[:, 3] = size / (counts[:, _SPACE] + 1)
    stats[:, 4] = [text[-1:] in _SENTENCE_ENDS for text in texts]
    stats[:, 5] = np.log1p([seen[text] - 1.0 if len(text) <= _SHORT_TEXT else 0.0 for text in texts])
    return stats


def _repeats(page: Blocks) -> np.ndarray:
    """Per container: log(1 + containers beside it with the same tag and class): cards of a listing,
    items of a menu."""
    keys = list(zip(page.parent, page.tags, page.classes, strict=True))
    counts = Counter(keys)
    return np.log1p(np.fromiter(map(counts.__getitem__, keys), np.float64, len(keys)) - 1.0)


def features(page: Blocks) -> np.ndarray:
    """One row of FEATURES per text block (`page.blocks`), in document order."""
    blocks = np.array(page.blocks, dtype=np.intp)
    if not len(blocks):
        return np.zeros((0, len(FEATURES)))
    chars, links, hinted = page.chars, page.links, page.hinted
    own = np.array(page.own)[blocks]
    index = np.array(page.index)
    end = np.array(page.end)
    parent = np.array(page.parent, dtype=np.intp)
    flags = np.array(page.flags, dtype=np.int64)[blocks]
    total = chars[0] or 1.0
    at = index[blocks]
    h1 = page.first_h1
    top, core = best_subtree(page, TOP_WEIGHT), best_subtree(page, CORE_WEIGHT)
    in_top = (index[top] <= at) & (at <= end[top])
    in_core = (index[core] <= at) & (at <= end[core])
    core_before, core_after = page.before[core], page.before[core] + chars[core]
    before = page.before[blocks]
    groups = np.array([_GROUP_INDEX.get(page.tags[c], -1) for c in page.blocks])
    columns = [
        np.log1p(own),
        np.array(page.own_links)[blocks] / own,
        *_text_statistics(page).T,
        *(groups == g for g in range(len(_GROUPS))),
        *((flags & _FLAG_BITS[:, None]) > 0),
        before / total,
        (h1 >= 0) & (h1 <= at),
        np.full(len(blocks), np.log1p(total)),
        np.full(len(blocks), links[0] / total),
        in_top,
        at < index[top],
        np.full(len(blocks), chars[top] / total),
        in_core,
        np.full(len(blocks), chars[core] / total),
        np.maximum(0.0, core_before - before) / total,
        np.maximum(0.0, before - core_after) / total,
    ]
    repeats = _repeats(page)
    up = blocks
    for _ in range(_LEVELS):
        up = parent[up]
        size = np.maximum(chars[up], 1.0)
        columns += [
            np.log1p(size),
            links[up] / size,
            size / total,
            hinted[up] / size,
            (index[up] <= h1) & (h1 <= end[up]),
            (index[top] <= index[up]) & (index[up] <= end[top]),
            repeats[up],
        ]
    density, size = columns[1], columns[0]
    columns += [
        np.concatenate(([1.0], density[:-1])),
        np.concatenate(([0.0], size[:-1])),
        np.concatenate((density[1:], [1.0])),
        np.concatenate((size[1:], [0.0])),
    ]
    # Stacked feature by feature (contiguous copies), read block by block: the model gathers whole
    # features, which this layout keeps contiguous.
    return np.vstack(columns, dtype=np.float64).T
