"""Domain routing (general | math | code) from extraction signals, so that math and code pages are judged
by rules made for them and land in their own shards.

A rule-based stand-in for Llama 3's domain classifiers: documents with several formulas are math,
documents that are mostly code lines are code. Language id may have set "multilingual" before; that
decision is kept.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from pipeline.stage import SignalFilter, StageSettings
from schemas.document import Document

# Math left as TeX in the text ($..$ by pandoc's rule, $$..$$, \(..\), \[..\]): pages whose MathJax
# config the extractor did not see, and text dumps, carry their formulas this way.
_TEX_MATH = re.compile(
    r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]|(?<![\w$])\$[^\s$](?:[^$\n]*[^\s$])?\$(?![\w$])", re.S
)


class DomainRouter(SignalFilter):
    """Sets `doc.domain`; records the formula count and the share of code lines. Never rejects."""

    name = "domain"
    section = "classifiers"

    class Settings(StageSettings):
        signals: ClassVar[tuple[str, ...]] = ("formula_count", "code_line_share")
        math_min_formulas: int = Field(3, ge=1)  # documents with at least this many formulas are math
        code_min_line_share: float = Field(0.25, ge=0, le=1)  # ...this share of code lines: code

    def compute(self, doc: Document) -> dict[str, float]:
        if doc.domain:
            return {}
        lines = max(doc.text.count("\n") + 1, 1)
        formulas = max(doc.signals.get("extract.formula_count", 0.0), len(_TEX_MATH.findall(doc.text)))
        code_share = doc.signals.get("extract.code_lines", 0.0) / lines
        if formulas >= self.settings.math_min_formulas:
            doc.domain = "math"
        elif code_share >= self.settings.code_min_line_share:
            doc.domain = "code"
        else:
            doc.domain = "general"
        return {"formula_count": float(formulas), "code_line_share": code_share}
