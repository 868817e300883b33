"""C4's page rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", section 2.2).

C4 edits pages line by line (it drops lines without terminal punctuation, with fewer than 3 words or
mentioning Javascript) and then judges the page. Filters here never edit text, so the line rules are
recorded as signals (the share of lines C4 would keep, of Javascript and policy lines) and the page
rules (sentences in the kept lines, "lorem ipsum", curly brackets) are the decisions.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pipeline.stage import Bounds, RuleMap, RuleOverrides, SignalFilter, StageSettings
from schemas.document import Document

# C4's terminal punctuation: period, exclamation mark, question mark, end quotation mark.
TERMINAL_PUNCTUATION = (".", "!", "?", '"', "”", "'", "’", "…", "。", "！", "？")
# The cookie and policy boilerplate C4 removed (the list in the C4 code, as in datatrove).
POLICY_PHRASES = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
POLICY_RE = re.compile("|".join(map(re.escape, POLICY_PHRASES)))
MIN_WORDS_PER_LINE = 3  # C4: "only retained lines that contained at least 3 words"
MAX_WORD_CHARS = 1000  # C4 drops lines with a word longer than this
# A sentence ends at terminal punctuation followed by whitespace or the end of the line: an
# approximation of the NLTK sentence splitter C4 used, which needs no model.
SENTENCE_END_RE = re.compile(r"[.!?。！？]+[\"'”’)]*(?=\s|$)")


class C4(SignalFilter):
    """C4's page rules on the lines C4 keeps; line shares recorded for analysis."""

    name = "c4"
    order = 30

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = (
            "sentence_count", "lorem_ipsum", "curly_bracket", "kept_line_ratio", "javascript_line_ratio",
            "policy_line_ratio",
        )
        rules: RuleMap = {  # Raffel et al. 2020, section 2.2
            "sentence_count": Bounds(min=5),  # "discarded any page with fewer than 5 sentences"
            "lorem_ipsum": Bounds(max=0),  # "removed any page where the phrase 'lorem ipsum' appeared"
            "curly_bracket": Bounds(max=0),  # "removed any pages that contained a curly bracket"
        }
        overrides: RuleOverrides = RuleOverrides(
            domain={  # code and LaTeX are made of braces; formulas and code lines are not sentences
                "code": {"curly_bracket": None, "sentence_count": None},
                "math": {"curly_bracket": None, "sentence_count": None},
            },
            lang={"zh": {"sentence_count": None}, "ja": {"sentence_count": None}},
        )

    def compute(self, doc: Document) -> dict[str, float]:
        view = self.views.of(doc)
        lowered = view.lower
        # most pages mention neither: skip the per-line checks then
        any_js = "javascript" in lowered
        any_policy = POLICY_RE.search(lowered) is not None
        kept: list[str] = []
        javascript = policy = 0
        for line in view.lines:
            if any_js or any_policy:
                low = line.lower()
                has_js = any_js and "javascript" in low
                has_policy = any_policy and POLICY_RE.search(low) is not None
                javascript += has_js
                policy += has_policy
                if has_js or has_policy:
                    continue
            if not line.endswith(TERMINAL_PUNCTUATION):
                continue
            words = line.split()  # C4 counts whitespace-separated words
            if len(words) >= MIN_WORDS_PER_LINE and max(map(len, words)) <= MAX_WORD_CHARS:
                kept.append(line)
        n_lines = len(view.lines) or 1
        return {
            "sentence_count": len(SENTENCE_END_RE.findall("\n".join(kept))),
            "lorem_ipsum": lowered.count("lorem ipsum"),
            "curly_bracket": view.text.count("{"),
            "kept_line_ratio": len(kept) / n_lines,
            "javascript_line_ratio": javascript / n_lines,
            "policy_line_ratio": policy / n_lines,
        }
