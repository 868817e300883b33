"""Spans of delimited text (TeX math, fenced code) found in one linear pass.

A lazy regex such as `\\(.+?\\)` tries every opener against the rest of the text when no closer follows:
20,000 unmatched `\\(` took 15 s. Here each search starts where the last one ended, and an opener
without a closer ends the search, so the cost is linear in the text whatever it holds.
"""

from __future__ import annotations

import bisect
import re

Span = tuple[int, int]

# TeX delimiter pairs (display first: "$$" is also two "$").
TEX_PAIRS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"))
# $inline$ by pandoc's rule (no space inside the dollars, no digit after), and no word character after
# either, so "$5 and $10" and shell's "$HOME or $PATH" stay prose. Linear: [^$\n] cannot run past the
# next "$" or line end, and the length is bounded.
INLINE_DOLLARS = re.compile(r"\$(?<![\\$\w]\$)(?=\S)[^$\n]{1,300}?(?<=\S)\$(?!\w)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FENCE = re.compile(r"^(```|~~~)", re.M)


def paired_spans(text: str, opener: str, closer: str, paragraph_bound: bool = False) -> list[Span]:
    """Non-overlapping (start, end) spans from `opener` to the next `closer`, left to right. With
    `paragraph_bound` a span never crosses a blank line (TeX ends math mode there)."""
    blanks = [m.start() for m in _BLANK_LINE.finditer(text)] if paragraph_bound else []
    spans: list[Span] = []
    position = 0
    while (start := text.find(opener, position)) >= 0:
        end = text.find(closer, start + len(opener))
        if end < 0:
            break  # no closer after this opener, so none after any later one either
        end += len(closer)
        if blanks:
            k = bisect.bisect_left(blanks, start)
            if k < len(blanks) and blanks[k] < end - len(closer):
                position = blanks[k] + 1  # this opener's math would cross a paragraph: not math
                continue
        spans.append((start, end))
        position = end
    return spans


def tex_spans(text: str, paragraph_bound: bool = True) -> list[Span]:
    """Sorted, non-overlapping spans of TeX math: $$..$$, \\[..\\], \\(..\\) and pandoc's $..$."""
    found = [s for opener, closer in TEX_PAIRS if opener in text for s in paired_spans(text, opener, closer,
                                                                                       paragraph_bound)]
    if "$" in text:
        found += [m.span() for m in INLINE_DOLLARS.finditer(text)]
    merged: list[Span] = []
    for start, end in sorted(found):
        if merged and start < merged[-1][1]:
            continue  # inside an earlier span ("$" of "$$", inline math inside display math)
        merged.append((start, end))
    return merged


def fenced_spans(text: str) -> list[Span]:
    """Spans of fenced code blocks (``` or ~~~ at a line start, closed by the same fence at a line start;
    an unclosed fence runs to the end of the text)."""
    spans: list[Span] = []
    if "```" not in text and "~~~" not in text:
        return spans  # a substring test in C, where the line-start pattern tries every position
    position = 0
    while match := _FENCE.search(text, position):
        fence = match.group(1)
        line_end = text.find("\n", match.end())
        if line_end < 0:
            spans.append((match.start(), len(text)))
            break
        closing = re.compile(rf"^{re.escape(fence)}[^\n]*$", re.M).search(text, line_end + 1)
        end = closing.end() if closing else len(text)
        spans.append((match.start(), end))
        position = end
    return spans


def line_blocks(lines: list[str]) -> list[Span]:
    """(first, end) line indexes of every block: a run of non-blank lines between blank ones."""
    blocks: list[Span] = []
    start = None
    for i, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            blocks.append((start, i))
            start = None
    if start is not None:
        blocks.append((start, len(lines)))
    return blocks


def without(text: str, spans: list[Span], filler: str = " ") -> str:
    """`text` with each span replaced by `filler`."""
    parts, cursor = [], 0
    for start, end in spans:
        parts += [text[cursor:start], filler]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
