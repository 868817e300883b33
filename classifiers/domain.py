"""Domain routing (general | math | code), the first classifier: math and code pages are then judged by
rules made for them (each filter's per-domain overrides, language id's included) and land in their own
shards.

A rule-based stand-in for Llama 3's domain classifiers (Dubey et al. 2024, section 3.1.1): a document
with several formulas is math; one with a share of code lines or of code-shaped tokens is code. The
counts come from the extraction (formulas and code blocks it lifted) and from the text itself
(`classifiers.prose`), so WET records and text dumps are routed too. An optional fastText model
(`model`, labels `__label__general|math|code`, trained by `curate train-quality --label-field domain`)
decides instead of the rules when it is confident.

Thresholds measured on real pages (bench/classify.py routing): code-token shares are 0.002 at the median
of 197 real web pages (webpages-dev) and 0.07-0.20 at the median of Debian's code and math manuals. The
share of prose text marked up as code (<code>, <tt>, <kbd>... inside paragraphs, an extraction signal) is
0 at the 75th percentile of 487 real web pages and 0.05 at the median of the manuals; the 33 web pages at
0.02 or more are all programming documentation and technical forum threads.
"""

from __future__ import annotations

import re
from itertools import filterfalse
from typing import ClassVar

from pydantic import Field

from classifiers.fasttext_model import FastTextModel
from classifiers.prose import parts_of, without_formulas
from pipeline.stage import SignalFilter, StageSettings
from schemas.document import Document

# A token of code: an identifier with "_" (snake_case), a call "f(", a method call "a.b(", a dotted
# path of three parts (a.b.c), "=" and brackets. camelCase is left out: brand names (iPhone, YouTube)
# and words glued by extraction ("ColemanSkydome") are camel-cased on real product pages.
_CODE_TOKEN = re.compile(r"[_=\[\]{}<>]|\w\(|\w\.\w+\(|^\W*\w+\.\w+\.\w")
ROUTED = ("general", "math", "code")
# A line of machine output: an ISO 8601 or syslog timestamp, an access-log client address, a kernel clock.
_LOG_LINE = re.compile(
    r"^\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|"
    r"\d{1,3}(?:\.\d{1,3}){3} - |\[ *\d+\.\d+\])"
)


def code_token_share(text: str) -> float:
    """Share of the whitespace-separated tokens of `text` that look like code."""
    tokens = text.split()
    if not tokens:
        return 0.0
    # Every code token holds a character that is not a letter or digit: the C-level isalnum filter
    # spares the regex most words of prose (2.3x faster on the real set, same counts).
    return len(list(filter(_CODE_TOKEN.search, filterfalse(str.isalnum, tokens)))) / len(tokens)


def log_line_share(text: str) -> float:
    """Share of the non-empty lines of `text` that start with a timestamp or a client address (logs)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return sum(1 for line in lines if _LOG_LINE.match(line.lstrip())) / len(lines) if lines else 0.0


class DomainRouter(SignalFilter):
    """Sets `doc.domain`; records formula count, code line, code token and log line shares. Never rejects.

    Machine output (logs) sits in <pre> blocks like code but is not code: a page mostly made of log lines
    stays general, where the prose rules judge it.

    Runs before language id, so a domain set here is final; a domain set upstream (a text dump that
    carries one) is kept.
    """

    name = "domain"
    section = "classifiers"

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = (
            "formula_count", "code_line_share", "code_token_share", "inline_code_share", "log_line_share",
            "model_math", "model_code",
        )
        math_min_formulas: int = Field(3, ge=1)  # documents with at least this many formulas are math
        code_min_line_share: float = Field(0.1, ge=0, le=1)  # ...this share of code lines...
        code_min_lines: int = Field(3, ge=1)  # ...and at least this many of them: code
        code_min_token_share: float = Field(0.03, ge=0, le=1)  # ...or this share of code tokens: code
        code_min_inline_share: float = Field(0.02, ge=0, le=1)  # ...or of text marked as code in prose: code
        log_min_share: float = Field(0.5, ge=0, le=1)  # ...unless this share of lines is log output
        model: str | None = None  # optional fastText domain model (labels general, math, code)
        model_min_prob: float = Field(0.8, ge=0, le=1)  # the model decides when this sure, else the rules

    def __init__(self, settings: Settings | None = None, views=None):
        super().__init__(settings, views)
        self._model = FastTextModel(self.settings.model) if self.settings.model else None

    def setup(self) -> None:
        if self._model is not None:
            self._model.load()

    def compute(self, doc: Document) -> dict[str, float]:
        if doc.domain:
            return {}
        parts = parts_of(doc)
        settings = self.settings
        formulas = max(doc.signals.get("extract.formula_count", 0.0), float(parts.formulas))
        code_lines = max(doc.signals.get("extract.code_lines", 0.0), float(parts.code_lines))
        line_share = min(code_lines / max(parts.lines, 1), 1.0)
        # a formula's tokens (x_i, =, {) are math, not code
        token_share = code_token_share(without_formulas(doc.text) if parts.formulas else doc.text)
        inline_share = min(doc.signals.get("extract.inline_code_chars", 0.0) / max(len(doc.text), 1), 1.0)
        logs = log_line_share(doc.text)
        signals = {"formula_count": formulas, "code_line_share": line_share, "code_token_share": token_share,
                   "inline_code_share": inline_share, "log_line_share": logs}
        if logs >= settings.log_min_share:
            doc.domain = "general"
        elif formulas >= settings.math_min_formulas:
            doc.domain = "math"
        elif (line_share >= settings.code_min_line_share and code_lines >= settings.code_min_lines) or (
            token_share >= settings.code_min_token_share or inline_share >= settings.code_min_inline_share
        ):
            doc.domain = "code"
        else:
            doc.domain = "general"
        if self._model is not None:
            probs = self._model.probabilities(doc.text)
            signals["model_math"], signals["model_code"] = probs.get("math", 0.0), probs.get("code", 0.0)
            label, prob = max(probs.items(), key=lambda kv: (kv[1], kv[0]))
            if label in ROUTED and prob >= settings.model_min_prob:
                doc.domain = label
        return signals
