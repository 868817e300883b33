"""Code and math regions of a document: they stay byte-exact (secrets and credentials aside)."""

from __future__ import annotations

import bisect
import re

Span = tuple[int, int]

# One scan per kind, each led by a literal or a line start: as one alternation the regex engine would try
# every branch at every position (twice the time).
_PROTECTED = tuple(
    re.compile(regex, re.MULTILINE)
    for regex in (
        r"^(?P<fence>```|~~~)[^\n]*\n[\s\S]*?(?:^(?P=fence)[^\n]*$|\Z)",  # fenced block, unclosed: to the end
        r"^(?:    |\t)[^\n]*(?:\n(?:    |\t)[^\n]*)*\n?",  # indented code lines
        # Display math. TeX ends math mode at a blank line (a \par inside math is an error), so a pair of
        # "$$" with a blank line between is not math: shell's "$$" (the process id) pairs across a page.
        r"\$\$(?:[^$\n]|\n(?![ \t]*\n)|\$(?!\$))+?\$\$",
        r"\\\[(?:[^\n]|\n(?![ \t]*\n))+?\\\]",
        r"\\\((?:[^\n]|\n(?![ \t]*\n))+?\\\)",  # \( inline \)
        # $inline$ by pandoc's rule (no space inside the dollars, no digit after), and no word character
        # after either, so "$5 and $10" and shell's "$HOME or $PATH" stay prose
        r"\$(?<![\\$\w]\$)(?=\S)[^$\n]{1,300}?(?<=\S)\$(?!\w)",
    )
)


class Regions:
    """Sorted, non-overlapping spans of code and math, with a fast membership test."""

    def __init__(self, text: str, enabled: bool = True):
        self.spans: list[Span] = []
        for start, end in sorted(m.span() for regex in _PROTECTED if enabled for m in regex.finditer(text)):
            if self.spans and start <= self.spans[-1][1]:  # math inside code: one region
                self.spans[-1] = (self.spans[-1][0], max(self.spans[-1][1], end))
            else:
                self.spans.append((start, end))
        self.starts = [s for s, _ in self.spans]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start
