"""Code blocks as exact text: lines and indentation kept, line-number gutters dropped, language found.

Highlighters split code into one span per token and add line numbers as table cells or spans
(Pygments, highlight.js, Prism, Rouge, prettify). Reading the text nodes in document order keeps the
code exact; the gutters must go first or every line gains a number.
"""

from __future__ import annotations

import re

from lxml import etree

PRE_TAGS = frozenset({"pre", "xmp", "listing", "plaintext"})
# Gutter class names of Pygments (linenos, lineno, linenodiv), highlight.js-line-numbers (hljs-ln-numbers),
# Rouge (rouge-gutter, gutter), GitHub (blob-num), Prism (line-numbers-rows), CodeMirror/Hexo (gutter).
GUTTER_CLASSES = frozenset(
    {
        "linenos",
        "lineno",
        "linenodiv",
        "linenumber",
        "linenumbers",
        "line-number",
        "line-numbers-rows",
        "hljs-ln-numbers",
        "hljs-ln-n",
        "rouge-gutter",
        "gutter",
        "blob-num",
        "ln-num",
        "code-line-number",
    }
)
# Elements inside a <pre> that stand for one line each (prettify's <li>, hljs-ln rows, Hexo div.line).
_LINE_TAGS = ("li", "tr", "div", "p")
# Substrings of the gutter class names: a <pre> whose markup holds none needs no gutter search.
GUTTER_MARKERS = (b"lineno", b"gutter", b"line-number", b"linenumber", b"hljs-ln", b"blob-num", b"ln-num")
_LANG_CLASS = re.compile(r"^(?:language|lang|highlight|brush|sourcecode)[-:_]?([A-Za-z0-9+#._-]+)$", re.I)
_NOT_LANGUAGES = frozenset({"default", "none", "text", "plain", "plaintext", "notranslate", "nohighlight"})


def is_gutter(classes: str) -> bool:
    """Whether a class attribute marks a line-number element (cell, div or span)."""
    return not GUTTER_CLASSES.isdisjoint(classes.split())


def has_gutter(el: etree._Element) -> bool:
    """Whether an element's markup names a gutter class (one serialization in C, a few searches)."""
    markup = etree.tostring(el, with_tail=False)
    return any(marker in markup for marker in GUTTER_MARKERS)


def code_text(pre: etree._Element) -> str:
    """The code of a <pre> (or similar) element: text nodes in order, <br> and line elements as newlines.

    A <pre> without gutter classes, <br> or line elements is just its text nodes, joined in C (most
    highlighted code is one span per token).
    """
    if next(pre.iter("br", *_LINE_TAGS), None) is None and not has_gutter(pre):
        return _tidy("".join(pre.itertext()))
    parts: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(pre, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            if el.tag in _LINE_TAGS and parts and not parts[-1].endswith("\n"):
                parts.append("\n")
            if el is not pre and el.tail:
                parts.append(el.tail)
            continue
        if not isinstance(el.tag, str) or (el is not pre and is_gutter(el.get("class") or "")):
            if el.tail:
                parts.append(el.tail)
            continue
        if el.tag == "br":
            parts.append("\n")
        elif el.text:
            parts.append(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    """Unix newlines, no trailing spaces, no leading or trailing blank lines."""
    text = text.replace("\r\n", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def code_language(pre: etree._Element, levels: int = 3) -> str:
    """Language from class names (language-x, lang-x, highlight-x, brush: x, pandoc's sourceCode x) or
    data-lang, looked up on the block, its <code> child and a few ancestors."""
    candidates = [pre, *pre.iterchildren("code")]
    parent = pre.getparent()
    for _ in range(levels):
        if parent is None:
            break
        candidates.append(parent)
        parent = parent.getparent()
    for el in candidates:
        lang = el.get("data-lang") or el.get("data-language")
        if lang and lang.lower() not in _NOT_LANGUAGES:
            return lang.lower()
        classes = (el.get("class") or "").replace("brush: ", "brush:").split()
        for cls in classes:
            match = _LANG_CLASS.match(cls)
            if match and match[1].lower() not in _NOT_LANGUAGES:
                return match[1].lower().rstrip(";")
        if "sourceCode" in classes:
            rest = [c for c in classes if c != "sourceCode" and c.lower() not in _NOT_LANGUAGES]
            if rest:
                return rest[0].lower()
    return ""
