"""Evaluation pages and their ground truth, built from Debian's HTML documentation.

Two kinds of page:
- real pages as installed (Sphinx/MathJax, Sphinx imgmath, texinfo, asciidoc, DocBook), scored on
  formulas and code only: their ground truth comes from the markup (MathJax delimiters in span.math,
  img.math alt text, <pre> text);
- composed pages: a real article body, its math and code re-rendered in the other renderings found on
  the web (MathJax scripts, KaTeX, MathML, codecogs, wp-latex, Wikipedia images; Pygments/highlight.js/
  prettify line-number gutters), wrapped in the boilerplate of a real-world template (menus, cookie
  banner, share bar, related posts, comments, sidebar, footer). Every text span is recorded as content
  or boilerplate while the page is written, so the truth never depends on an extractor.
"""

from __future__ import annotations

import copy
import html
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from pipeline.extract.blocks import is_permalink

DOC = Path("/usr/share/doc")
# (name, folder, glob): Debian packages python3-doc, python-scipy-doc, python-sympy-doc,
# python-statsmodels-doc, python-mpmath-doc, octave-doc, git-doc, debian-reference-en, maxima-doc,
# gap-doc (GAPDoc's MathJax pages, inline math in span.SimpleMath).
SOURCES = (
    ("python", DOC / "python3.11/html", "[tlhf]*/*.html"),
    ("scipy", DOC / "python-scipy-doc/html", "tutorial/**/*.html"),
    ("scipy-ref", DOC / "python-scipy-doc/html", "reference/generated/*.html"),
    ("sympy", DOC / "python-sympy-doc/html", "modules/**/*.html"),
    ("statsmodels", DOC / "python-statsmodels-doc/html", "examples/notebooks/generated/*.html"),
    ("mpmath", DOC / "python-mpmath-doc/html", "**/*.html"),
    ("octave", DOC / "octave/octave.html", "*.html"),
    ("git", DOC / "git-doc", "*.html"),
    ("debian-reference", DOC / "debian-reference-en/docs", "*.html"),
    ("maxima", DOC / "maxima-doc/html", "maxima_*.html"),
    ("gap", DOC / "gap-doc/doc", "*/chap*_mj.html"),
)
_MAIN = etree.XPath("(//*[@role='main'] | //div[@id='content'] | //div[@class='chapter'] | //body)[1]")
_BLOCKS = ("p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "caption", "figcaption")
_MATH_INLINE = re.compile(r"^\\\((.*)\\\)$", re.S)
_MATH_DISPLAY = re.compile(r"^\\\[(.*)\\\]$", re.S)
_WS = re.compile(r"\s+")
# Class names that script libraries (MathJax, KaTeX, highlighters) emit whatever the site's CSS.
_RENDERER_CLASS = re.compile(r"math|katex|hljs|lineno|highlight|latex|language-|prettyprint|linenums", re.I)


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class Truth:
    """What a perfect extraction of one page contains (and, for composed pages, must not contain)."""

    formulas: list[str] = field(default_factory=list)
    code_blocks: list[list[str]] = field(default_factory=list)
    content: list[str] = field(default_factory=list)  # text fragments of the article
    boilerplate: list[str] = field(default_factory=list)  # text fragments of everything else


@dataclass
class Page:
    name: str
    kind: str  # "real" or the composed page's template
    html: bytes
    truth: Truth


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.HTMLParser(remove_comments=True, encoding="utf-8"))


def available_sources(rng: random.Random, per_source: int) -> list[tuple[str, Path]]:
    """A fixed random sample of installed pages, `per_source` per package (skips missing packages)."""
    chosen: list[tuple[str, Path]] = []
    for name, folder, pattern in SOURCES:
        files = sorted(
            p for p in folder.glob(pattern) if p.stat().st_size < 400_000 and "genindex" not in p.name
        )
        chosen += [(name, p) for p in rng.sample(files, min(per_source, len(files)))]
    return chosen


# ---------------------------------------------------------------- ground truth from markup


def _math_source(el: etree._Element) -> tuple[str, bool] | None:
    """LaTeX of a math element as the page marks it (Sphinx mathjax span/div.math, imgmath img)."""
    classes = (el.get("class") or "").split()
    if el.tag == "img" and ("math" in classes or "/_images/math/" in (el.get("src") or "")):
        alt = (el.get("alt") or "").strip()
        parent = el.getparent()
        display = (
            parent is not None
            and parent.tag == "p"
            and parent.getparent() is not None
            and ("math" in (parent.getparent().get("class") or "").split())
        )
        return (alt, display) if alt else None
    if el.tag in ("span", "div") and ("math" in classes or "SimpleMath" in classes):
        text = "".join(el.itertext()).strip()
        for pattern, display in ((_MATH_INLINE, False), (_MATH_DISPLAY, True)):
            match = pattern.match(text)
            if match and match[1].strip():
                return match[1].strip(), display
    return None


def _code_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\xa0", " ").split("\n") if line.strip()]


def real_truth(root: etree._Element) -> Truth:
    truth = Truth()
    for el in root.iter("img", "span", "div"):
        found = _math_source(el)
        if found:
            truth.formulas.append(found[0])
    for pre in root.iter("pre"):
        lines = _code_lines("".join(pre.itertext()))
        if lines:
            truth.code_blocks.append(lines)
    return truth


# ---------------------------------------------------------------- renderings


def _mathml_stub(latex: str) -> str:
    """Presentation MathML as a renderer would emit it (the glyphs; the source lives elsewhere)."""
    return "<mrow>" + "".join(f"<mi>{html.escape(ch)}</mi>" for ch in latex if ch.isalnum())[:400] + "</mrow>"


def render_math(latex: str, display: bool, style: str) -> str:
    """One formula in one of the web's renderings (what MathJax, KaTeX, wikis and blogs emit)."""
    esc, q = html.escape(latex), quote(latex)
    block = "div" if display else "span"
    if style == "mathjax-delim":
        opener, closer = ("\\[", "\\]") if display else ("\\(", "\\)")
        return f'<{block} class="math">{opener}{esc}{closer}</{block}>'
    if style == "mathjax-script":
        mode = "; mode=display" if display else ""
        return (
            f'<span class="MathJax_Preview">{esc}</span><span class="MathJax" role="presentation">'
            f'<nobr><span class="math"><span class="mrow">rendered</span></span></nobr></span>'
            f'<script type="math/tex{mode}">{latex}</script>'
        )
    if style == "katex":
        inner = (
            f'<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML">'
            f'<semantics>{_mathml_stub(latex)}<annotation encoding="application/x-tex">{esc}</annotation>'
            f'</semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base">'
            f'<span class="mord mathnormal">{html.escape(latex[:20])}</span></span></span></span>'
        )
        return f'<span class="katex-display">{inner}</span>' if display else inner
    if style == "mathml":
        mode = ' display="block"' if display else ""
        return f'<math alttext="{esc}"{mode}>{_mathml_stub(latex)}</math>'
    if style == "codecogs":
        return f'<img src="https://latex.codecogs.com/svg.latex?{q}" alt="{esc}" title="{esc}" />'
    if style == "wp-latex":
        img = (
            f'<img src="https://s0.wp.com/latex.php?latex={q}&amp;bg=ffffff&amp;fg=000&amp;s=0" '
            f'alt="{esc}" class="latex" />'
        )
        return f'<p style="text-align:center;">{img}</p>' if display else img
    kind = "display" if display else "inline"
    return (
        f'<span class="mwe-math-element"><span class="mwe-math-mathml-{kind} mwe-math-mathml-a11y" '
        f'style="display: none;"><math alttext="{{\\displaystyle {esc}}}">{_mathml_stub(latex)}</math></span>'
        f'<img src="https://wikimedia.org/api/rest_v1/media/math/render/svg/{zlib.crc32(latex.encode()):x}" '
        f'class="mwe-math-fallback-image-{kind}" aria-hidden="true" alt="{{\\displaystyle {esc}}}" /></span>'
    )


MATH_STYLES = ("mathjax-delim", "mathjax-script", "katex", "mathml", "codecogs", "wp-latex", "wikipedia")
CODE_STYLES = ("as-is", "pygments-table", "hljs-ln", "prettify", "pygments-inline", "pre-code-lang")


def render_code(pre: etree._Element, lines_html: list[str], style: str) -> str:
    """One code block with a highlighter's markup; `lines_html` holds each line's inner HTML."""
    if style == "pygments-table":
        numbers = "\n".join(str(i) for i in range(1, len(lines_html) + 1))
        return (
            '<div class="highlight-python notranslate"><table class="highlighttable"><tr>'
            f'<td class="linenos"><div class="linenodiv"><pre>{numbers}</pre></div></td>'
            f'<td class="code"><div class="highlight"><pre>{chr(10).join(lines_html)}\n</pre></div></td>'
            "</tr></table></div>"
        )
    if style == "hljs-ln":
        rows = "".join(
            f'<tr><td class="hljs-ln-line hljs-ln-numbers" data-line-number="{i}"><div class="hljs-ln-n" '
            f'data-line-number="{i}"></div></td><td class="hljs-ln-line hljs-ln-code" data-line-number="{i}">'
            f'<div class="hljs-ln-line">{line}</div></td></tr>'
            for i, line in enumerate(lines_html, 1)
        )
        table = f'<table class="hljs-ln"><tbody>{rows}</tbody></table>'
        return f'<pre><code class="hljs language-python">{table}</code></pre>'
    if style == "prettify":
        items = "".join(f'<li class="L{i % 10}">{line}</li>' for i, line in enumerate(lines_html))
        return f'<pre class="prettyprint linenums lang-python"><ol class="linenums">{items}</ol></pre>'
    if style == "pygments-inline":
        body = "".join(
            f'<span id="line-{i}"><a href="#line-{i}"><span class="linenos">{i:>3}</span></a>{line}\n</span>'
            for i, line in enumerate(lines_html, 1)
        )
        return f'<div class="highlight"><pre><span></span>{body}</pre></div>'
    return f'<pre><code class="language-python">{chr(10).join(lines_html)}</code></pre>'


def _line_htmls(pre: etree._Element) -> list[str]:
    """A <pre>'s inner HTML split into lines, each line's open spans closed and reopened."""
    inner = (html.escape(pre.text or "")) + "".join(
        etree.tostring(child, encoding="unicode", with_tail=True) for child in pre
    )
    lines, open_tags = [], []
    for raw in inner.split("\n"):
        line = "".join(open_tags) + raw
        for tag in re.findall(r"<span[^>]*>|</span>", raw):
            if tag.startswith("</"):
                if open_tags:
                    open_tags.pop()
            else:
                open_tags.append(tag)
        lines.append(line + "</span>" * len(open_tags))
    while lines and not re.sub(r"<[^>]+>", "", lines[-1]).strip():
        lines.pop()
    return lines


# ---------------------------------------------------------------- composed pages


THEMES = {
    "wordpress": dict(
        header='<header id="masthead" class="site-header">',
        nav='<nav class="main-navigation">',
        crumbs='<div class="breadcrumbs">',
        main='<main id="main" class="site-main"><article class="post">',
        main_end="</article></main>",
        byline='<div class="entry-meta">',
        body='<div class="entry-content">',
        share='<div class="sharedaddy sd-sharing-enabled">',
        related='<div class="jp-relatedposts">',
        comments='<div id="comments" class="comments-area">',
        comment='<li class="comment">',
        sidebar='<aside id="secondary" class="widget-area">',
        footer='<footer id="colophon" class="site-footer">',
        cookie='<div id="cookie-notice" class="cn-bottom">',
        newsletter='<div class="widget widget_newsletter">',
        tags='<footer class="entry-footer"><span class="tags-links">',
    ),
    "news": dict(
        header='<div class="top-bar">',
        nav='<ul class="menu primary-menu">',
        crumbs='<ol class="crumbs">',
        main='<div class="article-wrapper">',
        main_end="</div>",
        byline='<p class="byline">',
        body='<div class="article-body">',
        share='<div class="share-tools">',
        related='<section class="more-stories">',
        comments='<section class="reader-responses">',
        comment='<div class="response">',
        sidebar='<div class="rail">',
        footer='<div class="global-footer">',
        cookie='<div class="consent-banner">',
        newsletter='<div class="signup-box">',
        tags='<div class="topic-tags"><span>',
    ),
    "docs": dict(
        header='<div class="wy-grid-for-nav"><div class="wy-nav-top">',
        nav='<nav class="wy-nav-side">',
        crumbs='<div role="navigation" aria-label="breadcrumbs">',
        main='<div class="rst-content"><div role="main">',
        main_end="</div></div>",
        byline='<div class="edit-on">',
        body='<div class="document">',
        share='<div class="feedback">',
        related='<div class="rst-footer-buttons">',
        comments='<div class="giscus">',
        comment='<div class="gsc-comment">',
        sidebar='<div class="toc-drawer">',
        footer="<footer>",
        cookie='<div class="ethical-cookie">',
        newsletter='<div class="sponsor-box">',
        tags='<div class="page-labels"><span>',
    ),
}


class PageComposer:
    """Writes one composed page: template boilerplate around a real article, truth recorded as it goes."""

    def __init__(self, rng: random.Random, prose: list[str]):
        self.rng = rng
        self.prose = prose  # paragraphs of other pages: realistic text for comments and teasers

    def compose(self, name: str, article: etree._Element, title: str, theme: str) -> Page:
        truth = Truth()
        body = self._article_html(article, truth)
        truth.content.append(title)
        soup = theme == "divsoup"
        t = THEMES["wordpress" if soup else theme]
        parts = [
            self._cookie(t, truth),
            self._header(t, truth),
            self._crumbs(t, title, truth),
            '<div class="site-content container"><div class="row"><div class="col-md-8">',
            t["main"],
            f"<h1>{html.escape(title)}</h1>",
            self._byline(t, truth),
            self._share(t, truth),
            t["body"],
            body,
            "</div>",
            self._tags(t, truth),
            t["main_end"],
            self._related(t, truth),
            self._newsletter(t, truth),
            self._comments(t, truth),
            '</div><div class="col-md-4">',
            self._sidebar(t, truth),
            "</div></div></div>",
            self._footer(t, truth),
        ]
        page = "".join(parts)
        if soup:
            page = self._obfuscate(page)
        mathjax = (
            '<script src="https://cdn.jsdelivr.net/npm/mathjax@2/MathJax.js?config=TeX-AMS_CHTML"></script>'
        )
        doc = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} | Example "
            f"Site</title>{mathjax}<style>.x{{color:red}}</style></head><body>{page}"
            "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script></body></html>"
        )
        truth.boilerplate = [b for b in truth.boilerplate if b and not any(b in c for c in truth.content)]
        return Page(name, theme, doc.encode("utf-8"), truth)

    def _obfuscate(self, page: str) -> str:
        """CSS-in-JS class names and no semantic tags: only text and link density can tell."""
        names: dict[str, str] = {}

        def swap(match: re.Match) -> str:
            key = match[2]
            names.setdefault(
                key, "css-" + "".join(self.rng.choice("abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(6))
            )
            return f'{match[1]}="{names[key]}"'

        page = re.sub(
            r'\b(class|id)="([^"]*)"', lambda m: m[0] if _RENDERER_CLASS.search(m[2]) else swap(m), page
        )
        page = re.sub(r'\srole="[^"]*"', "", page)
        return re.sub(r"<(/?)(header|footer|nav|aside|main|article)\b", r"<\1div", page)

    # -- article

    def _article_html(self, article: etree._Element, truth: Truth) -> str:
        article = copy.deepcopy(article)
        for el in list(article.iter("img", "span", "div")):
            found = _math_source(el)
            if found is None or el.getparent() is None:
                continue
            latex, display = found
            truth.formulas.append(latex)
            styled = render_math(latex, display, self.rng.choice(MATH_STYLES))
            self._replace(el, f'<span class="x-truth-math">{styled}</span>')
        for pre in list(article.iter("pre")):
            if pre.getparent() is None:
                continue
            lines = _code_lines("".join(pre.itertext()))
            if not lines:
                continue
            truth.code_blocks.append(lines)
            style = self.rng.choice(CODE_STYLES)
            if style != "as-is":
                self._replace(pre, render_code(pre, _line_htmls(pre), style))
        self._record_blocks(article, truth.content)
        for marker in list(article.iter("span")):
            if marker.get("class") == "x-truth-math":
                marker.attrib.pop("class")
        return etree.tostring(article, encoding="unicode", method="html")

    @staticmethod
    def _replace(el: etree._Element, fragment: str) -> None:
        wrapper = etree.fromstring(f"<div>{fragment}</div>", etree.HTMLParser()).find(".//div")
        parent = el.getparent()
        index = parent.index(el)
        new = list(wrapper)
        if new:
            new[-1].tail = (new[-1].tail or "") + (el.tail or "")
        parent.remove(el)
        for offset, child in enumerate(new):
            parent.insert(index + offset, child)

    @staticmethod
    def _record_blocks(article: etree._Element, out: list[str]) -> None:
        """Text fragments of leaf blocks (split at formulas and code); link-only blocks are neither
        content nor boilerplate (a table of contents inside an article is a judgment call)."""
        for block in article.iter(*_BLOCKS):
            if any(True for _ in block.iterdescendants(*_BLOCKS)):
                continue
            text = "".join(block.itertext())
            links = "".join(t for a in block.iter("a") for t in a.itertext())
            if not norm(text) or len(norm(links)) > 0.8 * len(norm(text)):
                continue
            pieces, stack = [""], [(block, False)]
            while stack:
                el, closing = stack.pop()
                if closing:
                    if el is not block:
                        pieces[-1] += el.tail or ""
                    continue
                if el.tag == "a" and is_permalink(el):
                    pieces[-1] += el.tail or ""  # a heading's "¶": neither article text nor boilerplate
                    continue
                if el is not block and (
                    el.get("class") == "x-truth-math"
                    or el.tag in ("pre", "script", "math", "table", "img")
                    or "highlight" in (el.get("class") or "")
                ):
                    pieces.append(el.tail or "")
                    continue
                pieces[-1] += el.text or ""
                stack.append((el, True))
                stack.extend((c, False) for c in reversed(el))
            out.extend(norm(p) for p in pieces if len(norm(p)) >= 12)

    # -- boilerplate blocks (each text recorded as boilerplate)

    def _say(self, truth: Truth, text: str) -> str:
        truth.boilerplate.append(norm(text))
        return html.escape(text)

    def _links(self, truth: Truth, labels: list[str], item: str = "li") -> str:
        return "".join(
            f'<{item}><a href="/{quote(label.lower())}/">{self._say(truth, label)}</a></{item}>'
            for label in labels
        )

    def _pick(self, pool: tuple[str, ...], k: int) -> list[str]:
        return self.rng.sample(pool, k)

    def _sentence(self) -> str:
        text = self.rng.choice(self.prose)
        return text[: self.rng.randint(120, 400)].rsplit(" ", 1)[0] + "."

    def _cookie(self, t: dict, truth: Truth) -> str:
        text = self.rng.choice(COOKIE_TEXTS)
        policy = self._say(truth, "Read our privacy and cookie policy")
        return (
            f"{t['cookie']}<p>{self._say(truth, text)}</p><button>Accept all</button>"
            f'<button>Manage preferences</button><a href="/privacy/">{policy}</a></div>'
        )

    def _header(self, t: dict, truth: Truth) -> str:
        site = self.rng.choice(SITE_NAMES)
        return (
            f'{t["header"]}<div class="logo"><a href="/">{self._say(truth, site)}</a></div>'
            f"{t['nav']}<ul>{self._links(truth, self._pick(MENU_ITEMS, 7))}</ul>"
            f"{'</nav>' if '<nav' in t['nav'] else '</ul>'}"
            '<form class="search"><input type="search" placeholder="Search"></form>'
            f"{'</header>' if '<header' in t['header'] else '</div>'}"
        )

    def _crumbs(self, t: dict, title: str, truth: Truth) -> str:
        labels = ["Home", self.rng.choice(SECTIONS), self.rng.choice(SECTIONS) + " guides"]
        close = "</ol>" if t["crumbs"].startswith("<ol") else "</div>"
        return f"{t['crumbs']}{self._links(truth, labels, 'span')}{close}"

    def _byline(self, t: dict, truth: Truth) -> str:
        author = self.rng.choice(AUTHORS)
        date = f"{self.rng.choice(MONTHS)} {self.rng.randint(1, 28)}, {self.rng.randint(2012, 2024)}"
        close = "</p>" if t["byline"].startswith("<p") else "</div>"
        read = self._say(truth, f"{self.rng.randint(3, 25)} min read")
        posted = self._say(truth, f"Posted on {date} by")
        return f'{t["byline"]}{posted} <a href="/author/">{self._say(truth, author)}</a> · {read}{close}'

    def _share(self, t: dict, truth: Truth) -> str:
        nets = self._pick(
            (
                "Share on Twitter",
                "Share on Facebook",
                "Share on LinkedIn",
                "Email this article",
                "Share on Reddit",
                "Copy link to clipboard",
                "Share on Mastodon",
            ),
            4,
        )
        label = self._say(truth, "Share this article:")
        return f"{t['share']}<span>{label}</span><ul>{self._links(truth, nets)}</ul></div>"

    def _tags(self, t: dict, truth: Truth) -> str:
        tags = self._pick(SECTIONS, 4)
        close = "</span></footer>" if t["tags"].startswith("<footer") else "</span></div>"
        return f"{t['tags']}{self._say(truth, 'Tagged with:')} {self._links(truth, tags, 'span')}{close}"

    def _related(self, t: dict, truth: Truth) -> str:
        items = "".join(
            f'<div class="related-item"><h4><a href="/p/{i}">'
            f"{self._say(truth, self.rng.choice(HEADLINES) + f' (part {i})')}</a></h4>"
            f"<p>{self._say(truth, self._sentence())}</p></div>"
            for i in range(self.rng.randint(3, 5))
        )
        close = "</section>" if t["related"].startswith("<section") else "</div>"
        return f"{t['related']}<h3>{self._say(truth, 'You might also like')}</h3>{items}{close}"

    def _newsletter(self, t: dict, truth: Truth) -> str:
        text = self.rng.choice(NEWSLETTER_TEXTS)
        heading = self._say(truth, "Stay in the loop")
        form = '<form><input type="email"><button>Subscribe</button></form>'
        return f"{t['newsletter']}<h3>{heading}</h3><p>{self._say(truth, text)}</p>{form}</div>"

    def _comments(self, t: dict, truth: Truth) -> str:
        items = "".join(
            f'{t["comment"]}<div class="meta"><b>{self._say(truth, self.rng.choice(AUTHORS))}</b> '
            f'<a href="#c{i}">{self._say(truth, f"{self.rng.randint(2, 30)} days ago")}</a></div>'
            f"<p>{self._say(truth, self._sentence())}</p>"
            f'<a class="reply" href="#r">{self._say(truth, "Reply")}</a>'
            f"{'</li>' if t['comment'].startswith('<li') else '</div>'}"
            for i in range(self.rng.randint(2, 6))
        )
        close = "</section>" if t["comments"].startswith("<section") else "</div>"
        wrap = ("<ol>", "</ol>") if t["comment"].startswith("<li") else ("", "")
        n = self.rng.randint(3, 40)
        return f"{t['comments']}<h3>{self._say(truth, f'{n} comments')}</h3>{wrap[0]}{items}{wrap[1]}{close}"

    def _sidebar(self, t: dict, truth: Truth) -> str:
        popular = "".join(
            f'<li><a href="/p/{i}">{self._say(truth, self.rng.choice(HEADLINES))}</a></li>' for i in range(5)
        )
        bio = self._sentence()
        close = "</aside>" if t["sidebar"].startswith("<aside") else "</div>"
        return (
            f'{t["sidebar"]}<section class="widget"><h3>{self._say(truth, "About the author")}</h3>'
            f"<p>{self._say(truth, bio)}</p></section>"
            f'<section class="widget"><h3>{self._say(truth, "Most popular")}</h3><ul>{popular}</ul></section>'
            f'<div class="ad-slot"><span>{self._say(truth, "Advertisement")}</span></div>{close}'
        )

    def _footer(self, t: dict, truth: Truth) -> str:
        site = self.rng.choice(SITE_NAMES)
        year = self.rng.randint(2015, 2025)
        close = "</footer>" if t["footer"].startswith("<footer") else "</div>"
        return (
            f"{t['footer']}<ul>{self._links(truth, self._pick(FOOTER_LINKS, 6))}</ul>"
            f"<p>{self._say(truth, f'© {year} {site}. All rights reserved. ' + LICENCE)}</p>"
            f"<p>{self._say(truth, self.rng.choice(ADDRESSES))}</p>{close}"
        )


LICENCE = "Content is available under the terms of our licence unless otherwise noted."
SITE_NAMES = (
    "Numerical Notes",
    "The Data Desk",
    "Open Source Weekly",
    "Compute Journal",
    "Linux Field Guide",
)
MENU_ITEMS = (
    "Home",
    "Latest articles",
    "Tutorials",
    "About us",
    "Contact the editors",
    "Podcast",
    "Events calendar",
    "Write for us",
    "Archives",
    "Jobs board",
    "Newsletter archive",
    "Community forum",
)
SECTIONS = (
    "Python",
    "Scientific computing",
    "Statistics",
    "System administration",
    "Version control",
    "Algebra",
    "Numerical methods",
    "Debian",
)
AUTHORS = (
    "Maria Lopez",
    "Chen Wei",
    "Amara Okafor",
    "Jonas Berg",
    "Priya Natarajan",
    "Tom Becker",
    "Sofia Rossi",
)
MONTHS = ("January", "March", "April", "June", "August", "October", "November")
HEADLINES = (
    "Ten habits of effective maintainers",
    "What we learned migrating our cluster",
    "A gentle tour of sparse matrices",
    "Why your benchmarks lie to you",
    "Packaging done right",
    "Inside the release process",
    "The quiet power of property-based testing",
    "How we cut our build times in half",
    "Reading other people's code",
)
COOKIE_TEXTS = (
    "We use cookies and similar technologies to personalise content, measure traffic and improve your "
    "experience. By clicking accept you agree to our use of cookies.",
    "This website stores cookies on your computer to collect information about how you interact with our "
    "site and to remember you between visits.",
)
NEWSLETTER_TEXTS = (
    "Get the best tutorials delivered to your inbox every week. No spam, unsubscribe at any time.",
    "Join thirty thousand engineers who read our weekly digest of new articles and releases.",
)
FOOTER_LINKS = (
    "Privacy policy",
    "Terms of service",
    "Cookie settings",
    "Accessibility statement",
    "Advertise with us",
    "Sitemap",
    "RSS feed",
    "Careers",
    "Press kit",
)
ADDRESSES = (
    "Example Media Ltd, 12 Harbour Street, Bristol BS1 4XX, United Kingdom. "
    "Registered in England No. 0812345.",
    "Example Publishing GmbH, Hauptstrasse 5, 10115 Berlin. Managing director: J. Example.",
)
