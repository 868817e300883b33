"""HTML to text that keeps math (as LaTeX) and code (exact lines), with main-content extraction.

Llama 3 (section 3.1.1) built its own HTML parser because article extractors drop math and code;
this is that parser. One pass over an lxml tree lifts formulas and code blocks into placeholder
elements (so boilerplate scoring can never drop them), a bottom-up pass scores every element by its
text and link text, the best-scoring subtree is the main content, and a writer renders it as plain
text or markdown. Every Python loop checks a deadline, and no walk recurses, so hostile pages end as
`ExtractionError`, never as a hung worker or a RecursionError.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lxml import etree

from pipeline.extract.backends import visible_text
from pipeline.extract.code import GUTTER_MARKERS, PRE_TAGS, code_language, code_text, is_gutter
from pipeline.extract.decode import Deadline
from pipeline.extract.math import (
    Delimiters,
    image_latex,
    katex_latex,
    mathml_latex,
    page_delimiters,
    script_math,
    split_delimited,
)
from schemas.config import ExtractConfig

# ---------------------------------------------------------------- boilerplate hints

# Tags never rendered. Form controls go too: ASP.NET wraps whole pages in <form>, so <form> stays.
_DROP_TAGS = frozenset(
    {
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "canvas",
        "video",
        "audio",
        "map",
        "input",
        "select",
        "option",
        "button",
        "textarea",
        "label",
        "link",
        "meta",
        "dialog",
    }
)
_BOILERPLATE_TAGS = frozenset({"nav", "aside", "menu"})
_BOILERPLATE_ROLES = frozenset(
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
# Class/id words, after the lists of Readability (Mozilla) and jusText/boilerpipe; short words must
# match a whole token (nav, ad), long ones may sit inside a token (sphinxsidebar, cookieconsent).
_SHORT_HINTS = frozenset(
    {
        "nav",
        "menu",
        "ad",
        "ads",
        "adv",
        "tags",
        "tag",
        "meta",
        "share",
        "skip",
        "search",
        "login",
        "bio",
        "rss",
        "pager",
        "modal",
        "promo",
        "byline",
        "dateline",
        "print",
        "hidden",
        "toc",
        "crumbs",
        "masthead",
        "header",
        "footer",
        "top",
        "bottom",
        "sticky",
        "overlay",
        "author",
        "date",
        "posted",
        "links",
    }
)
_LONG_HINTS = (
    "sidebar",
    "footer",
    "navbar",
    "navigation",
    "breadcrumb",
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscri",
    "signup",
    "advert",
    "sponsor",
    "social",
    "sharing",
    "sharebar",
    "related",
    "widget",
    "pagination",
    "copyright",
    "banner",
    "popup",
    "toolbar",
    "trending",
    "recommend",
    "outbrain",
    "taboola",
    "disclaimer",
    "menubar",
    "topbar",
    "dropdown",
    "share-",
    "follow",
    "most-read",
    "mostread",
    "donate",
    "headerlink",
)
_COMMENT_HINTS = ("comment", "respond", "discussion", "disqus", "replies")
# Layout words that mean "this wrapper holds the content" and veto a hint (content-sidebar-wrap).
_CONTENT_WORDS = frozenset(
    {"content", "main", "article", "body", "story", "text", "footnote", "footnotes", "note"}
)
_LAYOUT_PREFIXES = ("has-", "no-", "with-", "show-", "is-")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")


_LONG_RE = re.compile("|".join(map(re.escape, _LONG_HINTS)))
_COMMENT_RE = re.compile("|".join(_COMMENT_HINTS))
NO_HINT, BOILERPLATE, COMMENTS, DROP = 0, 1, 2, 3
_BOILERPLATE_TAGS_ALL = _BOILERPLATE_TAGS | {"header", "footer"}


@functools.lru_cache(maxsize=1 << 16)
def _hint(tag: str, names: str, role: str, in_article: bool) -> int:
    """What an element's tag, role and class/id names say: NO_HINT, BOILERPLATE or COMMENTS.

    Cached: pages repeat the same few class strings thousands of times.
    """
    names = names.lower()
    words = " ".join(w for w in names.split() if not w.startswith(_LAYOUT_PREFIXES))
    tokens = set(_TOKEN_SPLIT.split(words))
    if tokens & _CONTENT_WORDS or tag in ("html", "body", "main", "article"):
        return NO_HINT
    if tag in _BOILERPLATE_TAGS or (tag in ("header", "footer") and not in_article):
        return BOILERPLATE
    if role.lower() in _BOILERPLATE_ROLES:
        return BOILERPLATE
    if not words:
        return NO_HINT
    if _COMMENT_RE.search(names):
        return COMMENTS
    return BOILERPLATE if tokens & _SHORT_HINTS or _LONG_RE.search(words) else NO_HINT


def _hidden(el: etree._Element) -> bool:
    return (
        el.get("hidden") is not None
        or el.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(el.get("style") or ""))
    )


def _remove(el: etree._Element) -> None:
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


# ---------------------------------------------------------------- page model

MATH_TAG = "x-math"
CODE_TAG = "x-code"


@dataclass
class _Page:
    """A parsed page after the lifting pass: formulas and code live in side tables by index."""

    root: etree._Element
    title: str
    delimiters: Delimiters
    formulas: list[tuple[str, bool]]
    codes: list[tuple[str, str]]
    skipped: set[etree._Element]  # hidden, gutters and boilerplate: never rendered
    comments: list[etree._Element]  # comment sections, noted when comments are kept
    order: list[etree._Element]


class _Lifter:
    """The first pass: lifts math and code into placeholder elements, drops scripts and styles, and
    notes the title and the MathJax/KaTeX config. lxml finds the candidates by tag in C, so Python
    only touches the few elements that matter."""

    _TARGETS = ("script", "math", "img", "mjx-container", *PRE_TAGS)

    def __init__(self, deadline: Deadline):
        self.deadline = deadline

    def run(self, root: etree._Element, katex: bool, gutters: bool) -> _Page:
        head = root.find("head")
        title = " ".join((head.findtext("title") or "").split()) if head is not None else ""
        formulas: list[tuple[str, bool]] = []
        codes: list[tuple[str, str]] = []
        scripts: list[str] = []
        renderer = False
        # Document order puts a KaTeX span or <pre> before what it contains; an element inside one
        # already lifted is lifted again in the detached copy, which is never rendered.
        tags = (*self._TARGETS, "span", "div") if katex else self._TARGETS
        for el in list(root.iter(*tags)):
            self.deadline.tick()
            if el.tag == "script":
                source = (el.get("src") or "").lower()
                renderer = renderer or "mathjax" in source or "katex" in source
                found = script_math(el)
                if found and found[0]:
                    self._replace(el, MATH_TAG, formulas, found)
                else:
                    scripts.append(el.text or "")
                    _remove(el)
            else:
                self._lift(el, el.tag, el.get("class") or "", formulas, codes, gutters)
        etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
        body = root.find("body")
        order = list((body if body is not None else root).iter())
        return _Page(root, title, page_delimiters(scripts, renderer), formulas, codes, set(), [], order)

    def _lift(
        self,
        el: etree._Element,
        tag: str,
        cls: str,
        formulas: list[tuple[str, bool]],
        codes: list[tuple[str, str]],
        gutters: bool,
    ) -> None:
        """Replace a formula or code block by a placeholder (nothing happens for other elements)."""
        found: tuple[str, bool] | None = None
        if tag == "math":
            found = mathml_latex(el), el.get("display") == "block"
        elif tag == "img":
            found = image_latex(el)
        elif tag == "mjx-container":
            math = el.find(".//math")
            found = (mathml_latex(math), el.get("display") == "true") if math is not None else None
        elif tag in PRE_TAGS:
            self._replace(el, CODE_TAG, codes, (code_text(el, gutters), code_language(el)))
        elif "katex" in cls.split():
            found = katex_latex(el)
        if found is not None and found[0]:
            self._replace(el, MATH_TAG, formulas, found)

    @staticmethod
    def _replace(el: etree._Element, tag: str, table: list, value: tuple) -> None:
        holder = etree.Element(tag, i=str(len(table)))
        table.append(value)
        holder.tail = el.tail
        parent = el.getparent()
        if parent is not None:
            parent.replace(el, holder)


# ---------------------------------------------------------------- main content


@dataclass
class _Scores:
    """Per-element character counts [good, hint, link]: plain text, text in hinted subtrees, link text."""

    counts: dict[etree._Element, list[float]]

    def link_density(self, el: etree._Element) -> float:
        good, hint, link = self.counts.get(el, (0.0, 0.0, 0.0))
        total = good + hint + link
        return link / total if total else 0.0

    def link_chars(self, el: etree._Element) -> float:
        return self.counts.get(el, (0.0, 0.0, 0.0))[2]


class _ContentFinder:
    """Scores every element bottom-up and picks the subtree with the most text net of boilerplate.

    score = good - weight * (link + hinted): a greedy version of the text-density / link-density
    trade-off of boilerpipe (Kohlschuetter et al., WSDM 2010) over subtrees instead of blocks.
    """

    def __init__(
        self,
        boilerplate_weight: float,
        main_share: float,
        rest_link_density: float,
        keep_comments: bool,
        deadline: Deadline,
    ):
        self.weight = boilerplate_weight
        self.main_share = main_share
        self.rest_link_density = rest_link_density
        self.keep_comments = keep_comments
        self.deadline = deadline

    def run(self, page: _Page) -> tuple[_Scores, etree._Element]:
        """Counts per element and the best subtree; fills `page.skipped` on the way."""
        counts: dict[etree._Element, list[float]] = {}  # element -> [good, hint, link]
        skipped, weight, tick, kind_of = page.skipped, self.weight, self.deadline.tick, self._kind
        best, best_score = page.order[0], float("-inf")
        for el in reversed(page.order):
            tick()
            kind = kind_of(el)
            mine = counts.get(el)
            if kind == DROP:
                skipped.add(el)
                mine = None
            else:
                if mine is None:
                    mine = counts[el] = [0.0, 0.0, 0.0]
                mine[0] += self._own_chars(el, page)
                if kind == BOILERPLATE:
                    skipped.add(el)
                    mine[1] += mine[0]
                    mine[0] = 0.0
                if el.tag == "a":
                    mine[2] += mine[0] + mine[1]
                    mine[0] = mine[1] = 0.0
                if kind == COMMENTS:
                    page.comments.append(el)
                score = mine[0] - weight * (mine[1] + mine[2])
                if score > best_score:
                    best, best_score = el, score
            parent = el.getparent()
            if parent is not None:
                theirs = counts.get(parent)
                if theirs is None:
                    theirs = counts[parent] = [0.0, 0.0, 0.0]
                if el.tail:
                    theirs[0] += len(el.tail.strip())
                if mine is not None:
                    theirs[0] += mine[0]
                    theirs[1] += mine[1]
                    theirs[2] += mine[2]
        return _Scores(counts), self._narrow(best, counts)

    def _narrow(self, best: etree._Element, counts: dict[etree._Element, list[float]]) -> etree._Element:
        """Descend while one child holds `main_share` of the text and the rest reads like navigation:
        comments and related posts written as prose sit beside the article, and their links (author,
        date, headline) give them away; a doc page's intro beside its big section has none."""
        while True:
            mine = counts[best]
            child = max((c for c in best if c in counts), key=lambda c: counts[c][0], default=None)
            if child is None or mine[0] <= 0 or counts[child][0] < self.main_share * mine[0]:
                return best
            rest = [m - c for m, c in zip(mine, counts[child], strict=True)]
            if sum(rest) <= 0 or rest[2] < self.rest_link_density * sum(rest):
                return best
            best = child

    def _kind(self, el: etree._Element) -> int:
        """DROP (hidden, line-number gutter, MathJax's rendered glyphs), BOILERPLATE or NO_HINT."""
        tag = el.tag
        if not len(el.attrib):
            return _hint(tag, "", "", self._in_article(el, tag)) if tag in _BOILERPLATE_TAGS_ALL else NO_HINT
        cls = el.get("class") or ""
        if _hidden(el) or (cls and is_gutter(cls)) or cls.startswith("MathJax") or tag.startswith("mjx-"):
            return DROP
        ident = el.get("id") or ""
        if len(_TOKEN_SPLIT.split(ident)) > 2:
            ident = ""  # a heading's slug ("bessel-functions-and-related-functions"), not a layout name
        hint = _hint(tag, f"{cls} {ident}", el.get("role") or "", self._in_article(el, tag))
        if hint == COMMENTS:
            return COMMENTS if self.keep_comments else BOILERPLATE
        return hint

    @staticmethod
    def _in_article(el: etree._Element, tag: str) -> bool:
        return tag in ("header", "footer") and any(True for _ in el.iterancestors("article", "main"))

    @staticmethod
    def _own_chars(el: etree._Element, page: _Page) -> float:
        if el.tag == MATH_TAG:
            return float(len(page.formulas[int(el.get("i"))][0]))
        if el.tag == CODE_TAG:
            return float(len(page.codes[int(el.get("i"))][0]))
        return float(len(el.text.strip())) if el.text else 0.0


# ---------------------------------------------------------------- rendering

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
        "caption",
        "tbody",
        "thead",
        "tfoot",
        "html",
    }
)
_PARAGRAPH_TAGS = frozenset(
    {
        "p",
        "blockquote",
        "table",
        "ul",
        "ol",
        "dl",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "section",
        "article",
    }
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_INLINE_CODE = frozenset({"code", "kbd", "samp", "tt", "var"})
_LINK_LISTS = frozenset(
    {
        "ul",
        "ol",
        "dl",
        "table",
        "div",
        "section",
        "p",
        "td",
        "tr",
        "li",
        "span",
        "form",
        "center",
        "font",
        "small",
    }
)
_SPACES = re.compile(r"\s+")


class _Writer:
    """Accumulates text with collapsed whitespace, line breaks and blank lines between blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.breaks = 0  # newlines owed before the next text (capped at 2: one blank line)
        self.space = False
        self.started = False

    def newline(self, count: int = 1) -> None:
        if self.started:
            self.breaks = max(self.breaks, count)
        self.space = False

    def text(self, text: str) -> None:
        if not text:
            return
        lead, body = text[0].isspace(), " ".join(text.split())
        if lead:
            self.space = True
        if body:
            self.raw(body)
            self.space = text[-1].isspace()

    def raw(self, text: str) -> None:
        if self.breaks:
            self.parts.append("\n" * self.breaks)
            self.breaks = 0
        elif self.space and self.started:
            self.parts.append(" ")
        self.parts.append(text)
        self.space = False
        self.started = True

    def result(self) -> str:
        return "".join(self.parts).strip("\n") + "\n" if self.parts else ""


class _Renderer:
    """Renders the main-content subtree as plain text or markdown, skipping hinted and link-heavy blocks."""

    def __init__(self, page: _Page, scores: _Scores, fmt: str, link_density_max: float, deadline: Deadline):
        self.page = page
        self.scores = scores
        self.markdown = fmt == "markdown"
        self.link_density_max = link_density_max
        self.deadline = deadline
        self.out = _Writer()
        self.formula_count = 0
        self.code_lines = 0
        self.cell_depth = 0
        self.row_cells: list[int] = []
        self.list_counters: list[int] = []

    def render(self, top: etree._Element) -> None:
        """Append the text of a subtree; `out.result()` is the text of everything rendered."""
        stack: list[tuple[etree._Element, bool]] = [(top, False)]
        while stack:
            self.deadline.tick()
            el, closing = stack.pop()
            if closing:
                self._close(el)
                if el is not top:
                    self._text(el.tail)
                continue
            if el is not top and self._skip(el):
                self._text(el.tail)
                continue
            if el.tag in (MATH_TAG, CODE_TAG):
                self._placeholder(el)
                self._text(el.tail)
                continue
            self._open(el)
            self._text(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(el))

    def _skip(self, el: etree._Element) -> bool:
        if el in self.page.skipped:
            return True
        return (
            el.tag in _LINK_LISTS
            and self.scores.link_chars(el) > 0
            and self.scores.link_density(el) > self.link_density_max
        )

    def _block_break(self, count: int) -> None:
        if self.cell_depth:
            self.out.space = True
        else:
            self.out.newline(count)

    def _open(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in _HEADINGS:
            self._block_break(2)
            if self.markdown and not self.cell_depth:
                self.out.raw("#" * _HEADINGS[tag] + " ")
        elif tag == "br":
            self._block_break(1)
        elif tag == "tr":
            self._block_break(1)
            self.row_cells.append(0)
        elif tag in ("td", "th"):
            if self.row_cells:
                if self.row_cells[-1] or self.markdown:
                    self.out.raw("| " if self.markdown and not self.row_cells[-1] else " | ")
                self.row_cells[-1] += 1
            self.cell_depth += 1
        elif tag in ("ul", "ol"):
            self._block_break(2 if not self.list_counters else 1)
            self.list_counters.append(0 if tag == "ol" else -1)
        elif tag == "li":
            self._block_break(1)
            if self.markdown and self.list_counters:
                indent = "  " * (len(self.list_counters) - 1)
                if self.list_counters[-1] >= 0:
                    self.list_counters[-1] += 1
                    self.out.raw(f"{indent}{self.list_counters[-1]}. ")
                else:
                    self.out.raw(f"{indent}- ")
        elif tag in _INLINE_CODE and self.markdown:
            self.out.raw("`")
        elif tag in _PARAGRAPH_TAGS:
            self._block_break(2)
        elif tag in _BLOCK_TAGS:
            self._block_break(1)

    def _close(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in ("td", "th"):
            self.cell_depth -= 1
        elif tag == "tr" and self.row_cells:
            cells = self.row_cells.pop()
            if self.markdown and cells:
                self.out.raw(" |")
                if self._first_row(el):
                    self.out.newline(1)
                    self.out.raw("|" + " --- |" * cells)
            self._block_break(1)
        elif tag in ("ul", "ol") and self.list_counters:
            self.list_counters.pop()
            self._block_break(2 if not self.list_counters else 1)
        elif tag in _INLINE_CODE and self.markdown:
            self.out.raw("`")
        elif tag in _HEADINGS or tag in _PARAGRAPH_TAGS:
            self._block_break(2)
        elif tag in _BLOCK_TAGS:
            self._block_break(1)

    @staticmethod
    def _first_row(tr: etree._Element) -> bool:
        prev = tr.getprevious()
        while prev is not None and prev.tag != "tr":
            prev = prev.getprevious()
        if prev is not None:
            return False
        group = tr.getparent()
        return group is None or group.tag != "tbody" or group.getprevious() is None

    def _text(self, text: str | None) -> None:
        if not text:
            return
        if not self.page.delimiters.active or not self.page.delimiters.openers.search(text):
            self.out.text(text)
            return
        for piece, display in split_delimited(text, self.page.delimiters):
            if display is None:
                self.out.text(piece)
            else:
                self._formula(piece, display)

    def _formula(self, latex: str, display: bool) -> None:
        self.formula_count += 1
        if display and not self.cell_depth:
            self.out.newline(1)
            self.out.raw(f"$${latex}$$")
            self.out.newline(1)
        else:
            self.out.raw(f"${' '.join(latex.split())}$")

    def _placeholder(self, el: etree._Element) -> None:
        index = int(el.get("i"))
        if el.tag == MATH_TAG:
            self._formula(*self.page.formulas[index])
            return
        code, lang = self.page.codes[index]
        if not code:
            return
        self.code_lines += code.count("\n") + 1
        self.out.newline(2)
        self.out.raw(f"```{lang}\n{code}\n```" if self.markdown else code)
        self.out.newline(2)


class NativeExtractor:
    """The extractor of this module: lxml tree, lifted math and code, scored main content."""

    def __init__(self, settings: ExtractConfig):
        self.settings = settings

    def run(self, text: str, deadline: Deadline) -> tuple[str, str, dict[str, float]]:
        parser = etree.HTMLParser(
            remove_comments=True, remove_pis=True, no_network=True, huge_tree=True, encoding="utf-8"
        )
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
        if root is None:
            return "", "", {"formula_count": 0.0, "code_lines": 0.0, "link_density": 0.0}
        if any("depth" in entry.message.lower() for entry in parser.error_log):
            return visible_text(text)
        gutters = any(marker in text for marker in GUTTER_MARKERS)
        page = _Lifter(deadline).run(root, katex="katex" in text, gutters=gutters)
        if not page.order:
            return "", page.title, {"formula_count": 0.0, "code_lines": 0.0, "link_density": 0.0}
        options = self.settings
        finder = _ContentFinder(
            options.boilerplate_weight,
            options.main_share,
            options.rest_link_density,
            options.keep_comments,
            deadline,
        )
        scores, top = finder.run(page)
        renderer = _Renderer(page, scores, self.settings.fmt, self.settings.link_density_max, deadline)
        renderer.render(top)
        for section in self._comment_sections(page, top):
            renderer.render(section)
        out = renderer.out.result()
        signals = {
            "formula_count": float(renderer.formula_count),
            "code_lines": float(renderer.code_lines),
            "link_density": scores.link_density(top),
        }
        return out, page.title, signals

    @staticmethod
    def _comment_sections(page: _Page, top: etree._Element) -> list[etree._Element]:
        """Kept comment sections outside the main content, outermost only, in document order."""
        found = set(page.comments)
        return [
            el
            for el in reversed(page.comments)
            if not any(a in found or a is top for a in el.iterancestors())
        ]
