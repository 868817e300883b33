"""Gopher quality rules (Rae et al. 2021, "Scaling Language Models", Appendix A.1)."""

from __future__ import annotations

from typing import ClassVar

from pipeline.stage import Bounds, RuleMap, RuleOverrides, SignalFilter, StageSettings
from pipeline.text import case_variants, count_listed
from schemas.document import Document

BULLETS = ("•", "-", "*", "·", "‣", "◦", "●", "▪", "–")
ELLIPSES = ("...", "…")
# Gopher's stop words: a document needs two of them to look like English prose.
GOPHER_STOP_WORDS = {"en": case_variants(("the", "be", "to", "of", "and", "that", "have", "with"))}
# Word-based rules do not apply to languages written without spaces between words.
_UNSPACED = {"word_count": None, "mean_word_length": None}


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


class GopherQuality(SignalFilter):
    """Gopher's quality rules: length, word shape, symbols, bullets, ellipses, alphabetic words, stop words.

    The symbol-to-word rule is kept as Gopher states it, one ratio per symbol: "#" and ellipses.
    `stop_words` is recorded only for languages with a Gopher stop-word list (English, or unknown
    language), so the rule never judges other languages.
    """

    name = "gopher_quality"
    order = 10

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = (
            "word_count", "mean_word_length", "hash_word_ratio", "ellipsis_word_ratio", "bullet_lines_ratio",
            "ellipsis_lines_ratio", "alpha_words_ratio", "stop_words",
        )
        rules: RuleMap = {  # Rae et al. 2021, Appendix A.1
            "word_count": Bounds(min=50, max=100_000),
            "mean_word_length": Bounds(min=3, max=10),
            "hash_word_ratio": Bounds(max=0.1),
            "ellipsis_word_ratio": Bounds(max=0.1),
            "bullet_lines_ratio": Bounds(max=0.9),
            "ellipsis_lines_ratio": Bounds(max=0.3),
            "alpha_words_ratio": Bounds(min=0.8),
            "stop_words": Bounds(min=2),  # English only (Gopher's list)
        }
        overrides: RuleOverrides = RuleOverrides(
            domain={  # prose rules would kill code pages (identifiers, symbols) and math (LaTeX tokens)
                "code": {"hash_word_ratio": None, "mean_word_length": None, "alpha_words_ratio": None,
                         "stop_words": None},
                "math": {"mean_word_length": None, "alpha_words_ratio": None},
            },
            lang={"zh": _UNSPACED, "ja": _UNSPACED},
        )

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        words, lines, text = view.words, view.lines, view.text
        n_words = len(words)
        signals = {
            "word_count": n_words,
            "mean_word_length": ratio(sum(map(len, words)), n_words),
            "hash_word_ratio": ratio(text.count("#"), n_words),
            "ellipsis_word_ratio": ratio(sum(text.count(e) for e in ELLIPSES), n_words),
            "bullet_lines_ratio": ratio(sum(line.startswith(BULLETS) for line in lines), len(lines)),
            "ellipsis_lines_ratio": ratio(sum(line.endswith(ELLIPSES) for line in lines), len(lines)),
            # a regex word has a letter unless it is all digits (underscores aside)
            "alpha_words_ratio": ratio(n_words - sum(map(str.isdigit, words)), n_words),
        }
        stop_words = GOPHER_STOP_WORDS.get(doc.lang or "en")
        if stop_words is not None:
            signals["stop_words"] = count_listed(words, stop_words)
        return signals
