"""Split a document's text into prose, code and math, so that language id reads only the prose and domain
routing can count code and formulas in text from any source (extracted pages, WET records, text dumps).

The extractor writes code blocks as their exact lines (fenced in markdown, bare in plain text) and math as
TeX; a text dump may hold either. Code lines are found by their shape: a REPL or shell prompt, a trailing
`;`/`{`/`}`, an assignment or call with no sentence around it, a keyword that opens a statement, or a line
made mostly of symbols. Each test looks at one line; none names a site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.delimited import fenced_spans, line_blocks, tex_spans, without
from schemas.document import Document

# Prompts of interactive sessions: Python, IPython, shells, Octave/MATLAB, GAP, Maxima, R, SQL consoles.
# Inside a formula: TeX commands with an optional group of letters (\\alpha, \\mathrm{max}, \\begin{pmatrix}).
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?(?:\{[A-Za-z* ]*\})?")
_WORD4 = re.compile(r"[A-Za-z]{4,}")
# A regex's bracket class, a range or a negation, with a quantifier ("[a-z]*", "[^/]+"): sed and grep
# write their groups \( ... \), which read as TeX; math's "[x]+[y]" has no range in its brackets
_REGEX_CLASS = re.compile(r"\[(?:\^[^\]\s]+|[^\]\s]*\w-\w[^\]\s]*)\][*+?]")
_PROMPT = re.compile(
    r"^(?:>>>|\.\.\.(?=\s)|\$ |# (?=[a-z./])|In \[\d*\]:|Out\[\d*\]:|[\w.-]{1,12}(?::\d+)?> |\(%[io]\d+\)|"
    r"[A-Za-z]+> |mysql> |postgres=# )"
)
# Statements that open with a keyword of a common language, followed by code-shaped text.
_KEYWORD = re.compile(
    r"^(?:def |class \w+[(:]|import \w|from [\w.]+ import |return\b|if .*[:{]$|elif |else\s*[:{]?$|"
    r"for .*[:{]$|"
    r"while .*[:{]$|try:$|except\b.*:$|finally:$|with .*:$|lambda |async |await |yield\b|raise \w|"
    r"function\b|end(?:if|for|while|function)?;?$|#include|#define|template\s*<|namespace |public |private |"
    r"protected |static |const |let |var |fn |func |package |use [\w:]+;|struct |enum |typedef |void |int |"
    r"local \w+ *=|begin$|SELECT |INSERT |UPDATE |CREATE |@\w+)"
)
_OPENS = re.compile(f"{_PROMPT.pattern}|{_KEYWORD.pattern}")  # one call per line for either
# `name = value`, `name(args)`, `a.b.c(...)`: a statement or signature rather than a sentence.
_ASSIGN = re.compile(r"^[\w.\[\]'\"]+\s*(?:[-+*/%|&^]?=|:=|<-|->|=>)\s*\S")
_CALL = re.compile(r"^[\w.]+\(.*\)\s*[;:{]?\s*$")
# Definition lines of reference manuals: Texinfo's "Function: f (x) ¶" and ": [y, i] = unique (x) ¶",
# GAPDoc's "‣ Pager( lines ) | ( function )", a pilcrow after a call. The marker says a signature
# follows; the signature must still have its shape (a call, or a lone name after a label).
_DEF_MARKER = re.compile(
    r"^(?:(?P<label>(?:(?:built-in|loadable|option|system|special|global)\s+)?(?:function|variable|operator|"
    r"macro|command|method|constructor|property|attribute|class|keyword|option)\s*:)|:|‣|—)\s*",
    re.IGNORECASE,
)
_LINE_NUMBER = re.compile(r"(\d{1,5})(?:\s|$)")
_SIGNATURE = re.compile(r"^(?:\[[^\]]*\]\s*=\s*|[\w.]+\s*=\s*)?[\w.]+\s*(?:\(.*\))?(?:\s*\|.*)?$")


def _is_definition(line: str) -> bool:
    pilcrow = line.endswith("¶")
    body = line.rstrip("¶ ")
    marker = _DEF_MARKER.match(body)
    if marker is None and not pilcrow:
        return False
    rest = body[marker.end() :] if marker else body
    if not rest or not _SIGNATURE.match(rest):
        return False
    return "(" in rest or bool(marker and marker.group("label"))


# Characters of code that prose rarely holds ("|" and "/" are left out: table cells and paths).
_CODE_CHAR = re.compile(r"[{}\[\]()<>=;_\\&^*+#$%@~`]")
_STATEMENT_TAIL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_)]'\"")


def is_code_line(line: str) -> bool:
    """Whether one stripped, non-empty line looks like code rather than prose."""
    return _opens_statement(line) or _code_shaped(line)


def _opens_statement(line: str) -> bool:
    """A prompt or a statement keyword opens the line: the surest signs of code."""
    return _OPENS.match(line) is not None


def _code_shaped(line: str) -> bool:
    """The weaker signs: a definition, an assignment or call, a statement's end, a share of symbols."""
    if len(line) <= 120 and _is_definition(line):
        return True
    words = line.count(" ") + 1
    if words <= 12 and (_ASSIGN.match(line) or _CALL.match(line)):
        return True
    # `;` ends statements; after a space or a non-ASCII letter it is prose punctuation (French " ;")
    if line[-1] in "{}" or (line[-1] == ";" and len(line) > 1 and line[-2] in _STATEMENT_TAIL):
        return True
    if len(line) >= 8:
        symbols = len(_CODE_CHAR.findall(line))
        if symbols >= 3 and symbols / len(line) >= 0.12 and words <= 2 * symbols:
            return True
    return False


def _is_listing(lines: list[str]) -> bool:
    """Whether a block of stripped, non-empty lines is a listing: a prompt or statement keyword on one
    line, unless code is under a quarter of the lines and most of them are words (a WET record writes a
    page as one block: "raise costs." or "@handle" in a footer is no listing); line numbers; or at least
    two lines and most of them code-shaped. One symbol-heavy line is not enough: a contact line ("Tel:
    +44 (0)20 7946 0958") has a code line's share of symbols."""
    opens = list(map(_opens_statement, lines))
    if any(opens):
        code = sum(opened or _code_shaped(line) for opened, line in zip(opens, lines, strict=True))
        # a command's output is no text (ls -li's rows, a dict, ping's lines): it keeps the block a listing
        return 4 * code >= len(lines) or 2 * sum(map(_is_text, lines)) < len(lines) or _numbered(lines)
    if _numbered(lines):
        return True
    return len(lines) >= 2 and 2 * sum(map(_code_shaped, lines)) > len(lines)


_TEXT_SHARE = 0.8  # letters and spaces of a line of words ("About Us", "Reading package lists")


def _is_text(line: str) -> bool:
    return sum(c.isalpha() or c == " " for c in line) >= _TEXT_SHARE * len(line)


def _numbered(lines: list[str]) -> bool:
    """Line-numbered listings (maint-guide's debian/control, copyright and changelog files): three lines
    or more, each opening with a number one to three past the last one's (excerpts skip lines)."""
    if len(lines) < 3:
        return False
    numbers = [_LINE_NUMBER.match(line) for line in lines]
    if not all(numbers):
        return False
    values = [int(m.group(1)) for m in numbers if m]
    return all(0 < b - a <= 3 for a, b in zip(values, values[1:], strict=False))


def listing_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every block (lines between blank lines) of `text` that is a listing: how code
    written bare (the extractor's plain format: a <pre> block's exact lines, no fence) is found again."""
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    spans = []
    offset = done = 0  # the offset of line `done`, advanced only to listings: linear in the text
    for first, end in line_blocks(stripped):
        if _is_listing(stripped[first:end]):
            offset += sum(map(len, lines[done:first])) + first - done  # each line's newline
            done = first
            spans.append((offset, offset + sum(map(len, lines[first:end])) + end - first - 1))
    return spans


def is_formula(span: str) -> bool:
    """Whether a TeX-delimited span is math rather than shell, make or regex text that happens to sit
    between dollars or escaped parentheses ("${RED}TEXT$", "$(filter x,$", "\\(.*\\)", sed's
    "\\(1[a-z]*\\)"): math has a letter or digit, no regex class and no plain word of four letters
    or more outside TeX commands."""
    inner = span.strip("$")
    if inner.startswith("{") and not span.startswith("$$"):
        return False  # ${VAR}: a shell or make expansion
    if ".*" in inner or _REGEX_CLASS.search(inner) or not any(c.isalnum() for c in inner):
        return False
    return _WORD4.search(_TEX_COMMAND.sub(" ", inner)) is None


def formula_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every TeX-delimited formula of `text`."""
    if "$" not in text and "\\" not in text:
        return []
    return [(start, end) for start, end in tex_spans(text) if is_formula(text[start:end])]


def without_formulas(text: str) -> str:
    """`text` with its TeX formulas cut out (what is left of a math page to judge as prose or code)."""
    spans = formula_spans(text)
    return without(text, spans) if spans else text


@dataclass(frozen=True)
class TextParts:
    """A text split into prose and the counts of the code lines and formulas taken out of it."""

    prose: str
    lines: int  # non-empty lines of the whole text
    code_lines: int
    formulas: int


def split_text(text: str) -> TextParts:
    """The prose of `text` (fenced blocks, TeX formulas and code-shaped lines removed) with the counts."""
    lines = sum(1 for line in text.split("\n") if line.strip())
    code_lines = formulas = 0
    if "```" in text or "~~~" in text:
        fenced = fenced_spans(text)  # fenced blocks of markdown output
        code_lines = sum(text.count("\n", start, end) + 1 for start, end in fenced)
        text = without(text, fenced, "\n")
    spans = formula_spans(text)
    if spans:
        formulas = len(spans)
        text = without(text, spans)
    prose: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if is_code_line(line):
            code_lines += 1
        else:
            prose.append(line)
    return TextParts("\n".join(prose), lines, code_lines, formulas)


_CACHE_ATTR = "_prose_parts"  # underscore attributes never travel with a document (Document.__getstate__)


def parts_of(doc: Document) -> TextParts:
    """`split_text(doc.text)`, computed once per text and shared by domain routing and language id."""
    cached = doc.__dict__.get(_CACHE_ATTR)
    if cached is None or cached[0] is not doc.text:
        cached = (doc.text, split_text(doc.text))
        doc.__dict__[_CACHE_ATTR] = cached
    return cached[1]
