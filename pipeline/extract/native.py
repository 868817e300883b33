"""HTML to text that keeps math (as LaTeX) and code (exact lines), with main-content extraction.

Llama 3 (section 3.1.1) built its own HTML parser because article extractors drop math and code;
this is that parser. One pass over an lxml tree lifts formulas and code blocks into placeholder
elements (so boilerplate scoring can never drop them), a bottom-up pass scores every element by its
text and link text, the best-scoring subtree is the main content, and a writer renders it as plain
text or markdown. Every Python loop checks a deadline, and no walk recurses, so hostile pages end as
`ExtractionError`, never as a hung worker or a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from lxml import etree

from pipeline.extract.backends import visible_text
from pipeline.extract.blocks import CODE_TAG, MATH_TAG, Blocks, remove_keeping_tail, segment
from pipeline.extract.classify import choose
from pipeline.extract.code import PRE_TAGS, code_language, code_text
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

# Tags never rendered. Form controls go too: ASP.NET wraps whole pages in <form>, so <form> stays.
# noscript stays: forums (Discourse) serve their posts there, and its usual "enable JavaScript" line
# is a block like any other.
_DROP_TAGS = frozenset(
    {
        "style",
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


# A control's label is a few words; a <button> holding more text than this swallowed the page after
# it (libxml2 keeps a button open past a stray <div> inside it, where HTML5 parsers close it).
_BUTTON_TEXT_MAX = 200


def _open_runaway_buttons(buttons: list[etree._Element], deadline: Deadline) -> None:
    """Turn buttons that hold page content into plain containers, so dropping controls keeps it."""
    deadline.tick(len(buttons))  # one unit per button, charged before the loop
    for button in buttons:
        size = 0
        for piece in button.itertext():
            size += len(piece.strip())
            if size > _BUTTON_TEXT_MAX:
                button.tag = "div"
                break


@dataclass
class _Page:
    """A parsed page after the lifting pass: formulas and code live in side tables by index."""

    root: etree._Element
    title: str
    delimiters: Delimiters
    formulas: list[tuple[str, bool]]
    codes: list[tuple[str, str]]

    def placeholder_lengths(self, body: etree._Element) -> dict[etree._Element, float]:
        """Text length of every math and code placeholder (their text lives in the side tables)."""
        lengths: dict[etree._Element, float] = {}
        if not self.formulas and not self.codes:
            return lengths  # nothing lifted: no placeholder to look for
        for el in body.iter(MATH_TAG, CODE_TAG):
            table = self.formulas if el.tag == MATH_TAG else self.codes
            lengths[el] = float(len(table[int(el.get("i"))][0]))
        return lengths


class _Lifter:
    """The first pass: lifts math and code into placeholder elements, drops scripts and styles, and
    notes the title and the MathJax/KaTeX config. lxml finds the candidates by tag in C, so Python
    only touches the few elements that matter."""

    _TARGETS = ("script", "math", "img", "mjx-container", *PRE_TAGS)

    def __init__(self, deadline: Deadline):
        self.deadline = deadline
        self.detached: set[etree._Element] = set()  # lifted elements that held elements

    def run(self, root: etree._Element, katex: bool) -> _Page:
        head = root.find("head")
        title = " ".join((head.findtext("title") or "").split()) if head is not None else ""
        formulas: list[tuple[str, bool]] = []
        codes: list[tuple[str, str]] = []
        scripts: list[str] = []
        renderer = False
        # Document order puts a KaTeX span or <pre> before what it contains; an element inside one
        # already lifted is lifted again in the detached copy, which is never rendered.
        tags = (*self._TARGETS, "span", "div") if katex else self._TARGETS
        # Buttons are found in the same pass over the tree, and judged once the lifting is done.
        candidates = list(root.iter(*tags, "button"))
        buttons = [el for el in candidates if el.tag == "button"]
        self.deadline.tick(len(candidates) - len(buttons))  # one unit per candidate, charged before the loop
        for el in candidates:
            tag = el.tag
            if tag == "button":
                continue
            if tag == "script":
                source = (el.get("src") or "").lower()
                renderer = renderer or "mathjax" in source or "katex" in source
                found = script_math(el)
                if found and found[0]:
                    self._replace(el, MATH_TAG, formulas, found)
                else:
                    scripts.append(el.text or "")
                    remove_keeping_tail(el)
            else:
                self._lift(el, tag, el.get("class") or "", formulas, codes)
        if self.detached:  # a button inside a lifted element left the tree with it
            buttons = [b for b in buttons if self.detached.isdisjoint(b.iterancestors())]
        _open_runaway_buttons(buttons, self.deadline)
        etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
        return _Page(root, title, page_delimiters(scripts, renderer), formulas, codes)

    def _lift(
        self,
        el: etree._Element,
        tag: str,
        cls: str,
        formulas: list[tuple[str, bool]],
        codes: list[tuple[str, str]],
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
            self._replace(el, CODE_TAG, codes, (code_text(el), code_language(el)))
        elif "katex" in cls and "katex" in cls.split():  # the substring test first: most classes fail it
            found = katex_latex(el)
        if found is not None and found[0]:
            self._replace(el, MATH_TAG, formulas, found)

    def _replace(self, el: etree._Element, tag: str, table: list, value: tuple) -> None:
        holder = etree.Element(tag, i=str(len(table)))
        table.append(value)
        holder.tail = el.tail
        parent = el.getparent()
        if parent is not None:
            parent.replace(el, holder)
            if len(el):
                self.detached.add(el)


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
# What opening a tag writes, looked up once per element (a tag in several sets above takes the first
# kind listed here); tags in none of them write nothing.
_HEADING, _BREAK, _ROW, _CELL, _LIST, _ITEM, _CODE, _PARAGRAPH, _BLOCK = range(9)
_OPEN_KIND = {
    **dict.fromkeys(_BLOCK_TAGS, _BLOCK),
    **dict.fromkeys(_PARAGRAPH_TAGS, _PARAGRAPH),
    **dict.fromkeys(_INLINE_CODE, _CODE),
    "li": _ITEM,
    "ul": _LIST,
    "ol": _LIST,
    "td": _CELL,
    "th": _CELL,
    "tr": _ROW,
    "br": _BREAK,
    **dict.fromkeys(_HEADINGS, _HEADING),
}
_CLOSE = object()  # marks an opened element on the renderer's stack
_QUIET = object()  # marks an opened element whose closing writes nothing
_RENDER_CHARGE = 256  # renderer units charged to the deadline at a time
_DOCUMENT_END = re.compile(rb"</(?:body|html)\s*>", re.I)


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
        body = " ".join(text.split())
        if not body:
            self.space = True  # whitespace only
            return
        # raw(body), after a space when one was owed or the text starts with one
        parts = self.parts
        if self.breaks:
            parts.append("\n" * self.breaks)
            self.breaks = 0
        elif self.started and (self.space or text[0].isspace()):
            parts.append(" ")
        parts.append(body)
        self.space = text[-1].isspace()
        self.started = True

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
    """Renders the kept blocks of a page as plain text or markdown, in document order.

    Only text owned by a kept block is written; the structure around it (list items, table rows,
    headings) is written with it. Subtrees holding no kept block are not visited.
    """

    def __init__(self, page: _Page, blocks: Blocks, keep: set[int], fmt: str, deadline: Deadline):
        self.page = page
        self.owner = blocks.owner
        self.containers = blocks.containers
        self.keep = keep
        self.live = _with_ancestors(keep, blocks.parent)
        self.markdown = fmt == "markdown"
        self.deadline = deadline
        self.out = _Writer()
        self.formula_count = 0
        self.code_lines = 0
        self.inline_code_chars = 0  # text marked as code inside prose (<code>, <tt>...): a domain signal
        self.inline_code_depth = 0
        self.cell_depth = 0
        self.row_cells: list[int] = []
        self.list_counters: list[int] = []
        self.openers = page.delimiters.openers if page.delimiters.active else None

    def render(self, top: etree._Element) -> None:
        """Append the kept text of a subtree; `out.result()` is the text of everything rendered."""
        owner, keep, containers, live = self.owner, self.keep, self.containers, self.live
        # Text goes straight to the writer on pages without TeX delimiters (most of them).
        text = self._text if self.openers is not None else self.out.text
        deadline = self.deadline
        # Elements to visit, each opened one followed by a closing mark (_CLOSE, or _QUIET where
        # closing writes nothing); `kept_open` says, for every open element, whether its text is
        # kept: the tail of what is popped next belongs to the last one.
        stack: list = [top]
        kept_open = [False]  # the top's tail is not written
        units = 0  # one unit per element opened or closed, charged every _RENDER_CHARGE
        while stack:
            units += 1
            if units == _RENDER_CHARGE:
                deadline.tick(units)
                units = 0
            el = stack.pop()
            if el is _QUIET or el is _CLOSE:
                if el is _CLOSE:
                    el = stack.pop()
                    self._close(el)
                else:
                    el = stack.pop()
                kept_open.pop()
                if kept_open[-1] and (tail := el.tail):
                    text(tail)
                continue
            mine = owner[el]
            if mine not in live and containers[mine] is el:
                if kept_open[-1] and (tail := el.tail):
                    text(tail)
                continue
            kept = mine in keep
            tag = el.tag
            if tag == MATH_TAG or tag == CODE_TAG:
                if kept:
                    self._placeholder(el)
                if kept_open[-1] and (tail := el.tail):
                    text(tail)
                continue
            kind = _OPEN_KIND.get(tag)
            if kind is not None:
                self._open(el, tag, kind, kept)
            if kept and (own := el.text):
                text(own)
            kept_open.append(kept)
            stack.append(el)
            stack.append(_QUIET if kind is None or kind == _BREAK else _CLOSE)
            stack.extend(reversed(el))
        deadline.tick(units)

    def _block_break(self, count: int) -> None:
        if self.cell_depth:
            self.out.space = True
        else:
            self.out.newline(count)

    def _open(self, el: etree._Element, tag: str, kind: int, kept: bool) -> None:
        if kind == _HEADING:
            self._block_break(2)
            if kept and self.markdown and not self.cell_depth:
                self.out.raw("#" * _HEADINGS[tag] + " ")
        elif kind == _BREAK:
            self._block_break(1)
        elif kind == _ROW:
            self._block_break(1)
            self.row_cells.append(0)
        elif kind == _CELL:
            # A cell whose text sits in nested blocks (<td><p>..</p></td>) is written when its row is.
            if self.row_cells and self.owner[el] in self.live:
                if self.row_cells[-1] or self.markdown:
                    # One space each side of a bar, whatever spacing the cells' own blocks asked for.
                    self.out.space = False
                    self.out.raw("|" if self.markdown and not self.row_cells[-1] else " |")
                    self.out.space = True
                self.row_cells[-1] += 1
            self.cell_depth += 1
        elif kind == _LIST:
            self._block_break(2 if not self.list_counters else 1)
            self.list_counters.append(0 if tag == "ol" else -1)
        elif kind == _ITEM:
            self._block_break(1)
            if self.markdown and self.list_counters and self.owner[el] in self.live:
                indent = "  " * (len(self.list_counters) - 1)
                if self.list_counters[-1] >= 0:
                    self.list_counters[-1] += 1
                    self.out.raw(f"{indent}{self.list_counters[-1]}. ")
                else:
                    self.out.raw(f"{indent}- ")
        elif kind == _CODE:
            if kept:
                if not self.inline_code_depth:
                    self.inline_code_chars += len("".join(el.itertext()).strip())
                self.inline_code_depth += 1
                if self.markdown:
                    self.out.raw("`")
        elif kind == _PARAGRAPH:
            self._block_break(2)
        else:
            self._block_break(1)

    def _close(self, el: etree._Element) -> None:
        tag = el.tag
        kind = _OPEN_KIND[tag]
        if kind == _CELL:
            self.cell_depth -= 1
        elif kind == _ROW and self.row_cells:
            cells = self.row_cells.pop() if self.owner[el] in self.live else 0
            if self.markdown and cells:
                self.out.space = False
                self.out.raw(" |")
                if self._first_row(el):
                    self.out.newline(1)
                    self.out.raw("|" + " --- |" * cells)
            self._block_break(1)
        elif kind == _LIST and self.list_counters:
            self.list_counters.pop()
            self._block_break(2 if not self.list_counters else 1)
        elif kind == _CODE:
            if self.owner[el] in self.keep:
                self.inline_code_depth -= 1
                if self.markdown:
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
        if self.openers is None or not self.openers.search(text):
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


def _with_ancestors(keep: set[int], parent: list[int]) -> set[int]:
    """The kept containers and every container above them: the part of the tree to visit."""
    live = {0}
    for c in keep:
        while c not in live:
            live.add(c)
            c = parent[c]
    return live


class NativeExtractor:
    """The extractor of this module: lxml tree, lifted math and code, classified text blocks."""

    def __init__(self, settings: ExtractConfig):
        self.settings = settings

    def run(
        self, text: str, deadline: Deadline, raw: bytes | None = None
    ) -> tuple[str, str, dict[str, float]]:
        parsed = parse_page(text, deadline, raw)
        if isinstance(parsed, Finished):
            return parsed.text, parsed.title, parsed.signals
        page, blocks = parsed
        keep = choose(blocks, self.settings, deadline, page.delimiters)
        return render(page, blocks, keep, self.settings.fmt, deadline)


@dataclass
class Finished:
    """A page done before any block is chosen: empty, or too deep for libxml2 (all visible text)."""

    text: str
    title: str
    signals: dict[str, float]


def _empty(title: str = "") -> Finished:
    signals = {"formula_count": 0.0, "code_lines": 0.0, "inline_code_chars": 0.0, "link_density": 0.0}
    return Finished("", title, signals)


def parse_page(text: str, deadline: Deadline, raw: bytes | None = None) -> tuple[_Page, Blocks] | Finished:
    """The page cut into blocks, or the finished result when there is nothing to choose from. `raw`
    is the page as UTF-8 bytes when it came that way (else `text` is encoded)."""
    data = raw if raw is not None else text.encode("utf-8", "surrogatepass")
    data, katex, mathjax = _scan(data)
    # No table of ids: nothing here looks elements up by id (6% of the parse).
    parser = etree.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=True,
        collect_ids=False,
        encoding="utf-8",
    )
    root = etree.fromstring(data, parser)
    if root is None:
        return _empty()
    last = parser.error_log.last_error
    if last is not None and "depth" in last.message.lower():
        return Finished(*visible_text(text))
    page = _Lifter(deadline).run(root, katex=katex)
    body = root.find("body")
    body = root if body is None else body
    blocks = segment(list(body.iter()), page.placeholder_lengths(body), mathjax, deadline)
    return page, blocks


def _scan(data: bytes) -> tuple[bytes, bool, bool]:
    """The page for the parser, and whether its bytes say "katex" and "MathJax" or "mjx-" (the parser
    looks for KaTeX and MathJax markup only then).

    libxml2 drops whatever follows </html>, where HTML5 parsers ignore the end tag and keep the
    content: </body> and </html> are removed when content follows them."""
    page = np.frombuffer(data, np.uint8)
    end = _find(page, b"</body", 5)
    if end >= 0 and data[end:].lstrip(b"</bodyhtml> \t\r\n"):
        data = _DOCUMENT_END.sub(b"", data)
        return data, b"katex" in data, b"MathJax" in data or b"mjx-" in data
    xs = np.flatnonzero(page == ord("x"))
    mathjax = _find(page, b"MathJax", 6, xs) >= 0 or _find(page, b"mjx-", 2, xs) >= 0
    return data, _find(page, b"katex", 4, xs) >= 0, mathjax


def _find(page: np.ndarray, needle: bytes, anchor: int, at: np.ndarray | None = None) -> int:
    """Where `needle` first occurs in `page` (bytes as uint8), or -1. numpy lists the places of the
    needle's byte number `anchor`, a rare one (`at`, when already listed), and keeps those where the
    other bytes match: a third of bytes.find's time on a web page."""
    if at is None:
        at = np.flatnonzero(page == needle[anchor])
    at = at[(at >= anchor) & (at < len(page) - (len(needle) - 1 - anchor))]
    for offset, byte in enumerate(needle):
        if offset != anchor and at.size:
            at = at[page[at + (offset - anchor)] == byte]
    return int(at[0]) - anchor if at.size else -1


def render(
    page: _Page, blocks: Blocks, keep: set[int], fmt: str, deadline: Deadline
) -> tuple[str, str, dict[str, float]]:
    """Text, title and signals of the kept blocks."""
    renderer = _Renderer(page, blocks, keep, fmt, deadline)
    renderer.render(blocks.body)
    kept_chars = sum(blocks.own[c] for c in keep)
    kept_links = sum(blocks.own_links[c] for c in keep)
    signals = {
        "formula_count": float(renderer.formula_count),
        "code_lines": float(renderer.code_lines),
        "inline_code_chars": float(renderer.inline_code_chars),
        "link_density": kept_links / kept_chars if kept_chars else 0.0,
    }
    return renderer.out.result(), page.title, signals
