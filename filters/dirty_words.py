"""Dirty-word counting, Llama 3's filter for adult websites that domain blocklists miss (Dubey et al. 2024,
section 3.1.1, after C4's "bad words" rule, Raffel et al. 2020).

Word lists are plain files, filters/data/dirty_words/<lang>.txt: one lowercase word or phrase per line,
"#" starts a comment. Single words are matched against the document's shared words (word boundaries by
construction) in lowercase, Capitalized or UPPER form; phrases by a regular expression on the lowercased
text, with word boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

from pipeline.files import read_text, require
from pipeline.stage import Bounds, RuleMap, SignalFilter, StageSettings
from pipeline.text import case_variants, count_listed
from schemas.document import Document


@dataclass(frozen=True)
class WordList:
    words: frozenset[str]  # lowercase, Capitalized and UPPER forms
    phrases: re.Pattern[str] | None
    phrase_starts: tuple[str, ...] = ()  # first words of the phrases: no phrase matches without one

    @classmethod
    def parse(cls, text: str) -> WordList:
        entries = {line.strip().lower() for line in text.splitlines()}
        entries = {e for e in entries if e and not e.startswith("#")}
        phrases = sorted(e for e in entries if " " in e)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b") if phrases else None
        starts = tuple(sorted({p.split()[0] for p in phrases}))
        return cls(case_variants(entries.difference(phrases)), pattern, starts)

    def count_phrases(self, lowered: str) -> int:
        """Phrase occurrences in lowercased text; substring checks skip the regex on most documents."""
        if self.phrases is None or not any(start in lowered for start in self.phrase_starts):
            return 0
        return len(self.phrases.findall(lowered))

    @classmethod
    def packaged(cls, lang: str) -> WordList | None:
        """The list shipped in filters/data/dirty_words, or None for a language without one."""
        path = resources.files("filters").joinpath("data", "dirty_words", f"{lang}.txt")
        return cls.parse(path.read_text(encoding="utf-8")) if path.is_file() else None


class DirtyWords(SignalFilter):
    """Counts listed words in the document's language (English when unknown); records count and ratio.

    C4 rejected a page with any listed word (count max 0), which also removes medical and educational
    pages (Dodge et al. 2021); the default here is a ratio so that only pages dense with such words go.
    """

    name = "dirty_words"
    order = 50

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("count", "ratio")
        # No published value: Llama 3 names the rule without a threshold. 1 listed word in 100 is ours.
        rules: RuleMap = {"ratio": Bounds(max=0.01)}
        lists: dict[str, str] = {}  # language -> word-list file replacing filters/data/dirty_words/<lang>.txt

    def __init__(self, settings=None, views=None):
        super().__init__(settings, views)
        self._lists: dict[str, WordList | None] = {}

    def check(self) -> None:
        for lang, path in self.settings.lists.items():
            require(path, f"filters.dirty_words.lists.{lang}")

    def word_list(self, lang: str) -> WordList | None:
        if lang not in self._lists:
            path = self.settings.lists.get(lang)
            self._lists[lang] = WordList.packaged(lang) if path is None else WordList.parse(read_text(path))
        return self._lists[lang]

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        listed = self.word_list(doc.lang or "en")
        count = 0
        if listed is not None:
            count = count_listed(view.words, listed.words) + listed.count_phrases(view.lower)
        return {"count": count, "ratio": count / (len(view.words) or 1)}
