"""FineWeb's custom quality rules (Penedo et al. 2024, "The FineWeb Datasets", section 3.3)."""

from __future__ import annotations

from filters.base import Bounds, TextFilter
from filters.gopher import duplicate_stats
from schemas.document import Document

# FineWeb's stop characters for its line-punctuation rule.
LINE_END_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "…", "。", "！", "？")
SHORT_LINE_CHARS = 30  # FineWeb: a line of at most 30 characters is "short"


class FineWeb(TextFilter):
    """Share of lines ending in punctuation, of short lines, of characters in duplicated lines, and
    newlines per word: the three rules FineWeb added on top of C4 and Gopher, plus its newline rule."""

    name = "fineweb"
    # Penedo et al. 2024, section 3.3 and datatrove's FineWebQualityFilter defaults
    DEFAULT_RULES = {
        "line_punct_ratio": Bounds(min=0.12),
        "short_line_ratio": Bounds(max=0.67),
        "dup_line_char_ratio": Bounds(max=0.01),
        "newline_word_ratio": Bounds(max=0.3),
    }
    SIGNALS = tuple(DEFAULT_RULES)

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        lines = view.lines
        n_lines = len(lines) or 1
        return {
            "line_punct_ratio": sum(line.endswith(LINE_END_PUNCTUATION) for line in lines) / n_lines,
            "short_line_ratio": sum(len(line) <= SHORT_LINE_CHARS for line in lines) / n_lines,
            "dup_line_char_ratio": duplicate_stats(lines)[1],
            "newline_word_ratio": view.text.count("\n") / (len(view.words) or 1),
        }
