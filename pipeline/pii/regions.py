"""Code and math regions of a document: they stay byte-exact (secrets and credentials aside)."""

from __future__ import annotations

import bisect
import re

from classifiers.prose import listing_spans
from pipeline.delimited import fenced_spans, tex_spans

Span = tuple[int, int]

_INDENTED = re.compile(r"^(?:    |\t)[^\n]*(?:\n(?:    |\t)[^\n]*)*\n?", re.MULTILINE)  # indented code lines


# The trailer line of a Debian changelog entry (deb-changelog(5)): one space, "--", the maintainer, two
# spaces, an RFC 5322 date. A machine-read format (dpkg-parsechangelog) that pages quote in <pre> blocks, so
# it stays exact like the entry's indented lines.
_CHANGELOG_TRAILER = re.compile(
    r"^ -- [^\n<>]+ <[^\n<>]+@[^\n<>]+>  (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +\d{1,2} [A-Z][a-z]{2} \d{4} "
    r"\d\d:\d\d:\d\d [+-]\d{4}[ \t]*$",
    re.MULTILINE,
)


def _changelog_trailers(text: str) -> list[Span]:
    """Trailer lines of changelog entries; a substring test rules most texts out before the pattern runs."""
    if " -- " not in text:
        return []
    return [m.span() for m in _CHANGELOG_TRAILER.finditer(text)]


def _indented_spans(text: str) -> list[Span]:
    """Runs of indented lines. Most texts have none: substring tests in C say so before the line-start
    pattern tries every position."""
    if not (text.startswith(("    ", "\t")) or "\n    " in text or "\n\t" in text):
        return []
    return [m.span() for m in _INDENTED.finditer(text)]


class Regions:
    """Sorted, non-overlapping spans of code and math, with a fast membership test."""

    def __init__(self, text: str, enabled: bool = True):
        self.spans: list[Span] = []
        if not enabled:
            self.starts: list[int] = []
            return
        # TeX ends math mode at a blank line (a \par inside math is an error), so a pair of "$$" with a blank
        # line between is not math: shell's "$$" (the process id) pairs across a page.
        # Code comes fenced (markdown), indented, or bare (plain text: a listing's exact lines).
        found = [
            *fenced_spans(text),
            *_indented_spans(text),
            *_changelog_trailers(text),
            *listing_spans(text),
            *tex_spans(text),
        ]
        for start, end in sorted(found):
            if self.spans and start <= self.spans[-1][1]:  # math inside code: one region
                self.spans[-1] = (self.spans[-1][0], max(self.spans[-1][1], end))
            else:
                self.spans.append((start, end))
        self.starts = [s for s, _ in self.spans]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start
