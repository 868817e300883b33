"""Domain assignment (general | math | code | multilingual) from extraction signals.

A rule-based stand-in for Llama 3's domain classifier, good enough to route shards: documents
with several formulas are math, documents that are mostly code lines are code. Language id
sets "multilingual" earlier and that decision is kept.
"""

from __future__ import annotations

import re

from filters.base import Stage
from schemas.config import DomainConfig
from schemas.document import Document

# Math left as TeX in the text ($..$ by pandoc's rule, $$..$$, \(..\), \[..\]): pages whose MathJax
# config the extractor did not see, and text dumps, carry their formulas this way.
_TEX_MATH = re.compile(
    r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]|(?<![\w$])\$[^\s$](?:[^$\n]*[^\s$])?\$(?![\w$])", re.S
)


class DomainStage(Stage):
    name = "domain"

    def __init__(self, cfg: DomainConfig):
        self.cfg = cfg

    def process(self, doc: Document) -> list[str]:
        if doc.domain:
            return []
        lines = max(doc.text.count("\n") + 1, 1)
        formulas = max(doc.signals.get("extract.formula_count", 0.0), len(_TEX_MATH.findall(doc.text)))
        doc.signals["domain.formula_count"] = float(formulas)
        code_share = doc.signals.get("extract.code_lines", 0.0) / lines
        doc.signals["domain.code_line_share"] = code_share
        if formulas >= self.cfg.math_min_formulas:
            doc.domain = "math"
        elif code_share >= self.cfg.code_min_line_share:
            doc.domain = "code"
        else:
            doc.domain = "general"
        return []
