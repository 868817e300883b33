"""Math renderings found on the web, turned back into LaTeX source.

Llama 3 (section 3.1.1) keeps math as LaTeX because article extractors drop it: MathJax, KaTeX and
MathML hide the source in scripts, annotations or attributes, and math images carry it in alt text.
Every function here takes an lxml element and returns LaTeX (or None), never escaped.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

# MathJax's own defaults (docs.mathjax.org, "The TeX input processor"): \( \) inline; $$ $$ and \[ \]
# display. A single $ is only math when the page's config says so, as in MathJax.
DEFAULT_INLINE = (("\\(", "\\)"),)
DEFAULT_DISPLAY = (("$$", "$$"), ("\\[", "\\]"))

_CONFIG_KEYS = re.compile(r"\b(inlineMath|displayMath)\s*:\s*(\[[^;{}]*?\]\s*\])", re.S)
_KATEX_DELIMS = re.compile(r"delimiters\s*:\s*(\[.*?\])\s*[,}]", re.S)
_KATEX_ITEM = re.compile(
    r"\{\s*left\s*:\s*(['\"])(.*?)\1\s*,\s*right\s*:\s*(['\"])(.*?)\3\s*,\s*display\s*:\s*(true|false)", re.S
)
_PAIR = re.compile(r"\[\s*(['\"])(.*?)\1\s*,\s*(['\"])(.*?)\3\s*\]", re.S)
_MATH_IMG_SRC = re.compile(
    r"codecogs\.com|latex\.php|/latex\?|mathtex|chart\?cht=tx|/media/math/render|_images/math/|"
    r"/math/[0-9a-f]{8,}\.(png|svg)|tex2img|latex\.codecogs|mimetex|forkosh",
    re.I,
)
# A literal every alternative of _MATH_IMG_SRC holds (in lower case, none with an i or s, whose case
# folding str.lower() and re.I tell apart): the regex, slow on a long URL, runs on sources holding one.
_MATH_IMG_HINTS = ("tex", "math", "codecog", "cht=tx", "forko")
_MATH_IMG_CLASSES = frozenset(
    {"latex", "math", "tex", "mathimg", "mwe-math-fallback-image-inline", "mwe-math-fallback-image-display"}
)


@dataclass(frozen=True)
class Delimiters:
    """The TeX delimiters a page's MathJax/KaTeX would typeset (empty when the page loads neither)."""

    inline: tuple[tuple[str, str], ...] = ()
    display: tuple[tuple[str, str], ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.inline or self.display)

    @functools.cached_property
    def openers(self) -> re.Pattern[str]:
        """Matches any opening delimiter: most text nodes hold none and skip the split."""
        return re.compile("|".join(re.escape(o) for o, _ in (*self.display, *self.inline)) or "(?!)")


def _js_string(text: str) -> str:
    """A JavaScript string literal's value ('\\\\(' in the source is the two characters \\( )."""
    try:
        return json.loads('"' + text.replace('"', '\\"') + '"')
    except ValueError:
        return text


def page_delimiters(script_texts: list[str], loads_tex_renderer: bool) -> Delimiters:
    """Delimiters from the page's MathJax (v2 tex2jax, v3 tex) or KaTeX auto-render config.

    Without a config, MathJax's defaults apply when the page loads MathJax or KaTeX at all.
    """
    inline: list[tuple[str, str]] = []
    display: list[tuple[str, str]] = []
    for text in script_texts:
        # Most scripts are analytics or app bundles, and many of those say "Math" (Math.max): C
        # searches for each pattern's literal skip the regex scan of a script that cannot match.
        if "Math" in text and ("inlineMath" in text or "displayMath" in text):
            for key, body in _CONFIG_KEYS.findall(text):
                pairs = [(_js_string(m[1]), _js_string(m[3])) for m in _PAIR.finditer(body)]
                (inline if key == "inlineMath" else display).extend(pairs)
        if "delimiters" not in text:
            continue
        for block in _KATEX_DELIMS.findall(text):
            for m in _KATEX_ITEM.finditer(block):
                (display if m[5] == "true" else inline).append((_js_string(m[2]), _js_string(m[4])))
    if inline or display:
        return Delimiters(tuple(dict.fromkeys(inline)), tuple(dict.fromkeys(display)) or DEFAULT_DISPLAY)
    return Delimiters(DEFAULT_INLINE, DEFAULT_DISPLAY) if loads_tex_renderer else Delimiters()


def split_delimited(text: str, delims: Delimiters) -> Iterator[tuple[str, bool | None]]:
    """Split text into (piece, display) parts: display is None for plain text, else a formula.

    Display delimiters are tried first so $$ is not read as two empty $ formulas. An opening
    delimiter without its closing one stays text, as MathJax leaves it.
    """
    pairs = [(o, c, True) for o, c in delims.display] + [(o, c, False) for o, c in delims.inline]
    pos = 0
    while pos < len(text):
        best: tuple[int, str, str, bool] | None = None
        for opener, closer, display in pairs:
            at = text.find(opener, pos)
            if at >= 0 and (best is None or at < best[0] or (at == best[0] and len(opener) > len(best[1]))):
                best = (at, opener, closer, display)
        if best is None:
            break
        at, opener, closer, display = best
        end = text.find(closer, at + len(opener))
        if end < 0 or (opener == "$" and at > 0 and text[at - 1] == "\\"):
            yield text[pos : at + len(opener)], None
            pos = at + len(opener)
            continue
        if at > pos:
            yield text[pos:at], None
        latex = text[at + len(opener) : end].strip()
        if latex:
            yield latex, display
        pos = end + len(closer)
    if pos < len(text):
        yield text[pos:], None


def script_math(script: etree._Element) -> tuple[str, bool] | None:
    """MathJax v2 source script: type="math/tex" (inline) or "math/tex; mode=display"."""
    kind = (script.get("type") or "").lower()
    if not kind.startswith("math/tex") and not kind.startswith("math/mml"):
        return None
    if kind.startswith("math/mml"):
        try:
            math = etree.fromstring((script.text or "").encode(), etree.HTMLParser())
        except (etree.XMLSyntaxError, ValueError):
            return None
        found = math.find(".//math") if math is not None else None
        return (mathml_latex(found), found.get("display") == "block") if found is not None else None
    return (script.text or "").strip(), "mode=display" in kind.replace(" ", "")


def katex_latex(span: etree._Element) -> tuple[str, bool] | None:
    """KaTeX output: the source sits in <annotation encoding="application/x-tex">."""
    for ann in span.iter("annotation"):
        if (ann.get("encoding") or "").lower() == "application/x-tex":
            parent = span.getparent()
            display = parent is not None and "katex-display" in (parent.get("class") or "")
            return (ann.text or "").strip(), display
    return None


def mathml_latex(math: etree._Element) -> str:
    """LaTeX for a <math> element: its TeX annotation, its alttext, else converted presentation MathML."""
    for ann in math.iter("annotation"):
        if "tex" in (ann.get("encoding") or "").lower() and (ann.text or "").strip():
            return ann.text.strip()
    alttext = (math.get("alttext") or "").strip()
    if alttext:
        return alttext
    return _MathMLConverter().convert(math)


def image_latex(img: etree._Element) -> tuple[str, bool] | None:
    """LaTeX of a math image (codecogs, wp-latex, Sphinx imgmath, Wikipedia) from alt, title or URL."""
    src = img.get("src") or ""
    classes = set((img.get("class") or "").split())
    if not (classes & _MATH_IMG_CLASSES or _math_image_source(src)):
        return None
    latex = (img.get("alt") or img.get("title") or "").strip() or _latex_from_url(src)
    if not latex:
        return None
    if len(latex) > 2 and latex[0] == "$" and latex[-1] == "$":
        latex = latex.strip("$").strip()
    parent = img.getparent()
    block_parent = parent is not None and "math" in (parent.get("class") or "").split()
    if parent is not None and parent.tag == "p" and not (parent.text or "").strip():
        grand = parent.getparent()
        block_parent = block_parent or (grand is not None and "math" in (grand.get("class") or "").split())
    display = block_parent or any("display" in c for c in classes) or "\\displaystyle" in src
    return latex, display


def _math_image_source(src: str) -> bool:
    lowered = src.lower()
    return any(hint in lowered for hint in _MATH_IMG_HINTS) and bool(_MATH_IMG_SRC.search(src))


def _latex_from_url(src: str) -> str:
    """codecogs puts the LaTeX in the query string itself; wp-latex in ?latex=."""
    parts = urlsplit(src)
    query = parse_qs(parts.query)
    for key in ("latex", "chl", "tex"):
        if key in query:
            return query[key][0].strip()
    if "codecogs" in parts.netloc:
        return unquote(parts.query).replace("&space;", " ").strip()
    return ""


_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "varsigma sigma tau upsilon phi chi psi omega"
)
_SYMBOLS: dict[str, str] = {
    **{chr(0x3B1 + i): "\\" + name for i, name in enumerate(_GREEK.split()) if name != "omicron"},
    **{
        chr(0x391 + i): "\\" + name.capitalize()
        for i, name in enumerate(_GREEK.split())
        if name
        in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi", "omega")
    },
    "\u2211": "\\sum",
    "\u220f": "\\prod",
    "\u222b": "\\int",
    "\u221e": "\\infty",
    "\u2202": "\\partial",
    "\u2207": "\\nabla",
    "\u00b1": "\\pm",
    "\u00d7": "\\times",
    "\u22c5": "\\cdot",
    "\u2264": "\\leq",
    "\u2265": "\\geq",
    "\u2260": "\\neq",
    "\u2248": "\\approx",
    "\u2192": "\\to",
    "\u2208": "\\in",
    "\u2200": "\\forall",
    "\u2203": "\\exists",
    "\u2061": "",
    "\u2062": "",
    "\u2063": ",",
    "\u2212": "-",
    "\u2026": "\\ldots",
    "\u22ef": "\\cdots",
    "\u2218": "\\circ",
    "\u221a": "\\sqrt",
}
_ACCENTS = {
    "\u00af": "\\overline",
    "^": "\\hat",
    "\u02c6": "\\hat",
    "~": "\\tilde",
    "\u02dc": "\\tilde",
    "\u2192": "\\vec",
    "\u02d9": "\\dot",
    ".": "\\dot",
    "\u2015": "\\overline",
}
_MAX_DEPTH = 200


class _MathMLConverter:
    """Presentation MathML to LaTeX, for <math> without a TeX annotation or alttext."""

    def convert(self, el: etree._Element, depth: int = 0) -> str:
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if depth > _MAX_DEPTH:
            return "".join(el.itertext()).strip()
        args = [self.convert(child, depth + 1) for child in el if isinstance(child.tag, str)]
        text = (el.text or "").strip()
        if tag in ("mi", "mn", "mo", "ms"):
            symbol = "".join(_SYMBOLS.get(ch, ch) for ch in text)
            return symbol + " " if symbol.startswith("\\") else symbol
        if tag == "mtext":
            return f"\\text{{{text}}}" if text else ""
        if tag == "mspace":
            return " "
        if tag == "mfrac" and len(args) == 2:
            return f"\\frac{{{args[0]}}}{{{args[1]}}}"
        if tag == "msqrt":
            return f"\\sqrt{{{''.join(args)}}}"
        if tag == "mroot" and len(args) == 2:
            return f"\\sqrt[{args[1]}]{{{args[0]}}}"
        if tag in ("msup", "msub") and len(args) == 2:
            return f"{{{args[0]}}}{'^' if tag == 'msup' else '_'}{{{args[1]}}}"
        if tag in ("msubsup", "munderover") and len(args) == 3:
            return f"{{{args[0]}}}_{{{args[1]}}}^{{{args[2]}}}"
        if tag in ("mover", "munder") and len(args) == 2:
            accent = _ACCENTS.get("".join(el[1].itertext()).strip()) if tag == "mover" else None
            if accent:
                return f"{accent}{{{args[0]}}}"
            return f"{{{args[0]}}}{'^' if tag == 'mover' else '_'}{{{args[1]}}}"
        if tag == "mfenced":
            return el.get("open", "(") + ",".join(args) + el.get("close", ")")
        if tag == "mtable":
            return "\\begin{matrix}" + " \\\\ ".join(args) + "\\end{matrix}"
        if tag == "mtr":
            return " & ".join(args)
        if tag in ("semantics",):
            return args[0] if args else text
        if tag in ("annotation", "annotation-xml"):
            return ""
        return "".join(args) if args else text
