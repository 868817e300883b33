"""FineWeb's custom quality rules (Penedo et al. 2024, "The FineWeb Datasets", section 3.3)."""

from __future__ import annotations

from typing import ClassVar

from filters.gopher_repetition import duplicate_stats
from pipeline.stage import Bounds, RuleMap, RuleOverrides, SignalFilter, StageSettings
from schemas.document import Document

# FineWeb's stop characters for its line-punctuation rule.
LINE_END_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "…", "。", "！", "？")
SHORT_LINE_CHARS = 30  # FineWeb: a line of at most 30 characters is "short"


class FineWeb(SignalFilter):
    """Share of lines ending in punctuation, of short lines, of characters in duplicated lines, and
    newlines per word: the three rules FineWeb added on top of C4 and Gopher, plus its newline rule."""

    name = "fineweb"
    order = 40

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = (
            "line_punct_ratio", "short_line_ratio", "dup_line_char_ratio", "newline_word_ratio",
        )
        rules: RuleMap = {  # Penedo et al. 2024, section 3.3; datatrove's FineWebQualityFilter defaults
            "line_punct_ratio": Bounds(min=0.12),
            "short_line_ratio": Bounds(max=0.67),  # lines of <= 30 chars
            "dup_line_char_ratio": Bounds(max=0.01),
            "newline_word_ratio": Bounds(max=0.3),
        }
        overrides: RuleOverrides = RuleOverrides(
            domain={  # code lines end without punctuation and repeat; formula lines are short
                "code": {"line_punct_ratio": None, "short_line_ratio": None, "dup_line_char_ratio": None,
                         "newline_word_ratio": None},
                "math": {"line_punct_ratio": None, "short_line_ratio": None, "dup_line_char_ratio": None,
                         "newline_word_ratio": None},
            },
            lang={"zh": {"newline_word_ratio": None}, "ja": {"newline_word_ratio": None}},
        )

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
