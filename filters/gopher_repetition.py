"""Gopher repetition rules (Rae et al. 2021, Appendix A, Table A1), which are also Llama 3's "duplicated
n-gram coverage ratio" heuristic (Dubey et al. 2024, section 3.1.1) against logs and error messages."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import count
from typing import ClassVar

import numpy as np

from filters.gopher_quality import ratio
from pipeline.stage import Bounds, RuleMap, RuleOverrides, SignalFilter, StageSettings
from schemas.document import Document

PARAGRAPH_RE = re.compile(r"\n\s*\n")


def duplicate_stats(items: Sequence[str]) -> tuple[float, float]:
    """Share of items that repeat an earlier one, by count and by characters (Gopher's definition)."""
    counts = Counter(items)
    dup_items = dup_chars = 0
    for item, n in counts.items():
        if n > 1:
            dup_items += n - 1
            dup_chars += len(item) * (n - 1)
    return ratio(dup_items, len(items)), ratio(dup_chars, sum(map(len, items)))


# Odd 64-bit multiplier of the rolling n-gram hash (uint64 arithmetic wraps around).
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)


def word_ids(words: Sequence[str]) -> np.ndarray:
    """Per word, the position of its first occurrence, spread over 64 bits: equal words, equal ids, the
    same on every machine (Python's `hash()` of a string is salted per process)."""
    first: dict[str, int] = {}
    ids = np.fromiter(map(first.setdefault, words, count()), dtype=np.uint64, count=len(words))
    return (ids + np.uint64(1)) * _HASH_BASE


_CODE_MATH: dict[str, Bounds | None] = {
    "dup_line_ratio": None, "dup_para_ratio": None, "dup_line_char_ratio": None,
    **{f"dup_{n}gram_char_ratio": None for n in range(5, 11)},
}


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

    def duplicated(self) -> np.ndarray:
        """Where the value occurs more than once."""
        return self._at_positions(self.counts[self.group] > 1)

    def top(self) -> np.ndarray:
        """Where the most frequent value is (ties: the one seen first), if it occurs twice or more."""
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


class GopherRepetition(SignalFilter):
    """Duplicate lines and paragraphs, top n-gram and duplicated n-gram coverage.

    Character shares are over the characters of the words (whitespace excluded). Top and duplicated
    n-gram coverage count each word once even when occurrences overlap ("a a a"), as in the paper.
    """

    name = "gopher_repetition"
    order = 20

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = (
            "dup_line_ratio", "dup_para_ratio", "dup_line_char_ratio", "dup_para_char_ratio",
            *(f"top_{n}gram_char_ratio" for n in (2, 3, 4)),
            *(f"dup_{n}gram_char_ratio" for n in range(5, 11)),
        )
        rules: RuleMap = {  # Rae et al. 2021, Appendix A, Table A1
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
        # Gopher's duplicated n-gram and short-item counts measure prose. Code and math pages repeat by
        # construction (identifiers, signatures, "Parameters"/"Examples" headings, import and prompt
        # lines, braces): on Debian's code and math manuals the 5-gram share is 0.16-0.23 at the median
        # and up to 0.78 (bench/classify.py routing). The top n-gram rules and the character share of
        # duplicated paragraphs still catch pages made of one repeated block.
        overrides: RuleOverrides = RuleOverrides(
            domain={"code": _CODE_MATH, "math": _CODE_MATH},
        )

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        paragraphs = [p for p in (raw.strip() for raw in PARAGRAPH_RE.split(view.text)) if p]
        signals: dict[str, float] = {}
        signals["dup_line_ratio"], signals["dup_line_char_ratio"] = duplicate_stats(view.lines)
        signals["dup_para_ratio"], signals["dup_para_char_ratio"] = duplicate_stats(paragraphs)
        words = view.words
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        total = int(lengths.sum())
        # n-grams compared by a rolling hash of the word ids: 64-bit collisions are negligible
        hashes = word_ids(words)
        grams = hashes
        # An n-gram that occurs twice starts where an (n-1)-gram occurs twice (its prefix), so each n
        # groups only those positions: one sort of every 2-gram, then ever fewer (the same figures; on the
        # real set the sorts cost a quarter of what sorting every n-gram array did).
        candidates = np.arange(len(words))
        for n in range(2, 11):
            size = max(0, len(words) - n + 1)
            grams = grams[:size] * _HASH_BASE + hashes[n - 1 :]
            candidates = candidates[: np.searchsorted(candidates, size)]
            groups = _Groups(grams[candidates])
            duplicated = groups.duplicated()
            starts = np.zeros(size, dtype=bool)
            starts[candidates[groups.top() if n <= 4 else duplicated]] = True
            kind = "top" if n <= 4 else "dup"
            signals[f"{kind}_{n}gram_char_ratio"] = ratio(_coverage(starts, n, lengths), total)
            candidates = candidates[duplicated]
        return signals
