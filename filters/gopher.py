"""Gopher quality and repetition filters (Rae et al. 2021, "Scaling Language Models", Appendix A).

The repetition filter is also Llama 3's "duplicated n-gram coverage ratio" heuristic (Dubey et al. 2024,
section 3.1.1), which removes repeated lines such as logs and error messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from filters.base import Bounds, TextFilter
from filters.tokens import case_variants, count_listed
from schemas.document import Document

BULLETS = ("•", "-", "*", "·", "‣", "◦", "●", "▪", "–")
ELLIPSES = ("...", "…")
# Gopher's stop words: a document needs two of them to look like English prose.
GOPHER_STOP_WORDS = {"en": case_variants(("the", "be", "to", "of", "and", "that", "have", "with"))}
PARAGRAPH_RE = re.compile(r"\n\s*\n")


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


class GopherQuality(TextFilter):
    """Gopher's quality rules: length, word shape, symbols, bullets, ellipses, alphabetic words, stop words.

    The symbol-to-word rule is kept as Gopher states it, one ratio per symbol: "#" and ellipses.
    `stop_words` is recorded only for languages with a Gopher stop-word list (English, or unknown
    language), so the rule never judges other languages.
    """

    name = "gopher_quality"
    # Rae et al. 2021, Appendix A.1
    DEFAULT_RULES = {
        "word_count": Bounds(min=50, max=100_000),
        "mean_word_length": Bounds(min=3, max=10),
        "hash_word_ratio": Bounds(max=0.1),
        "ellipsis_word_ratio": Bounds(max=0.1),
        "bullet_lines_ratio": Bounds(max=0.9),
        "ellipsis_lines_ratio": Bounds(max=0.3),
        "alpha_words_ratio": Bounds(min=0.8),
        "stop_words": Bounds(min=2),
    }
    SIGNALS = tuple(DEFAULT_RULES)

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        words, lines, text = view.words, view.lines, view.text
        n_words = len(words)
        signals = {
            "word_count": n_words,
            "mean_word_length": _ratio(sum(map(len, words)), n_words),
            "hash_word_ratio": _ratio(text.count("#"), n_words),
            "ellipsis_word_ratio": _ratio(sum(text.count(e) for e in ELLIPSES), n_words),
            "bullet_lines_ratio": _ratio(sum(line.startswith(BULLETS) for line in lines), len(lines)),
            "ellipsis_lines_ratio": _ratio(sum(line.endswith(ELLIPSES) for line in lines), len(lines)),
            # a regex word has a letter unless it is all digits (underscores aside)
            "alpha_words_ratio": _ratio(n_words - sum(map(str.isdigit, words)), n_words),
        }
        stop_words = GOPHER_STOP_WORDS.get(doc.lang or "en")
        if stop_words is not None:
            signals["stop_words"] = count_listed(words, stop_words)
        return signals


def duplicate_stats(items: Sequence[str]) -> tuple[float, float]:
    """Share of items that repeat an earlier one, by count and by characters (Gopher's definition)."""
    counts = Counter(items)
    dup_items = dup_chars = 0
    for item, count in counts.items():
        if count > 1:
            dup_items += count - 1
            dup_chars += len(item) * (count - 1)
    return _ratio(dup_items, len(items)), _ratio(dup_chars, sum(map(len, items)))


# Odd 64-bit multiplier of the rolling n-gram hash (uint64 arithmetic wraps around).
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)


class _Groups:
    """Equal values of an array, found with one stable sort (cheaper than np.unique on short arrays)."""

    def __init__(self, values: np.ndarray):
        self.order = values.argsort(kind="stable")
        ordered = values[self.order]
        self.first = np.ones(len(values), dtype=bool)  # first of its group, in sorted order
        np.not_equal(ordered[1:], ordered[:-1], out=self.first[1:])
        self.group = np.cumsum(self.first) - 1
        self.counts = np.bincount(self.group)

    def _at_positions(self, sorted_mask: np.ndarray) -> np.ndarray:
        mask = np.empty(len(sorted_mask), dtype=bool)
        mask[self.order] = sorted_mask
        return mask

    def duplicated_starts(self) -> np.ndarray:
        """Positions whose value occurs more than once."""
        return self._at_positions(self.counts[self.group] > 1)

    def top_starts(self) -> np.ndarray:
        """Positions of the most frequent value (ties: the one seen first), if it occurs twice or more."""
        best = self.counts.max(initial=0)
        if best < 2:
            return np.zeros(len(self.order), dtype=bool)
        tied = np.flatnonzero(self.counts == best)
        # a stable sort puts each group's earliest position first
        top = tied[0] if len(tied) == 1 else tied[np.argmin(self.order[self.first][tied])]
        return self._at_positions(self.group == top)


def _coverage(starts: np.ndarray, n: int, lengths: np.ndarray) -> int:
    """Characters of the words covered by the n-grams starting where `starts` is set, each word once."""
    covered = np.zeros(len(lengths), dtype=bool)
    for k in range(n):
        covered[k : k + len(starts)] |= starts
    return int(lengths[covered].sum())


class GopherRepetition(TextFilter):
    """Gopher's repetition rules: duplicate lines and paragraphs, top n-gram and duplicated n-gram coverage.

    Character shares are over the characters of the words (whitespace excluded). Top and duplicated
    n-gram coverage count each word once even when occurrences overlap ("a a a"), as in the paper.
    """

    name = "gopher_repetition"
    # Rae et al. 2021, Appendix A, Table A1
    DEFAULT_RULES = {
        "dup_line_ratio": Bounds(max=0.30),
        "dup_para_ratio": Bounds(max=0.30),
        "dup_line_char_ratio": Bounds(max=0.20),
        "dup_para_char_ratio": Bounds(max=0.20),
        "top_2gram_char_ratio": Bounds(max=0.20),
        "top_3gram_char_ratio": Bounds(max=0.18),
        "top_4gram_char_ratio": Bounds(max=0.16),
        "dup_5gram_char_ratio": Bounds(max=0.15),
        "dup_6gram_char_ratio": Bounds(max=0.14),
        "dup_7gram_char_ratio": Bounds(max=0.13),
        "dup_8gram_char_ratio": Bounds(max=0.12),
        "dup_9gram_char_ratio": Bounds(max=0.11),
        "dup_10gram_char_ratio": Bounds(max=0.10),
    }
    SIGNALS = tuple(DEFAULT_RULES)

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        paragraphs = [p for p in (raw.strip() for raw in PARAGRAPH_RE.split(view.text)) if p]
        signals: dict[str, float] = {}
        signals["dup_line_ratio"], signals["dup_line_char_ratio"] = duplicate_stats(view.lines)
        signals["dup_para_ratio"], signals["dup_para_char_ratio"] = duplicate_stats(paragraphs)
        words = view.words
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        total = int(lengths.sum())
        # n-grams compared by a rolling hash of the words' hashes: 64-bit collisions are negligible
        hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words)).view(np.uint64)
        grams = hashes
        found_duplicate = True
        for n in range(2, 11):
            grams = grams[: max(0, len(words) - n + 1)] * _HASH_BASE + hashes[n - 1 :]
            if n >= 5 and not found_duplicate:  # a duplicated n-gram starts with a duplicated (n-1)-gram
                signals[f"dup_{n}gram_char_ratio"] = 0.0
                continue
            groups = _Groups(grams)
            starts = groups.top_starts() if n <= 4 else groups.duplicated_starts()
            found_duplicate = bool(starts.any())
            kind = "top" if n <= 4 else "dup"
            signals[f"{kind}_{n}gram_char_ratio"] = _ratio(_coverage(starts, n, lengths), total)
        return signals
