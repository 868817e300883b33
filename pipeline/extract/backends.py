"""Other extractors behind the same interface, for comparison on the same crawl: trafilatura and
resiliparse. Their signals are read off their text (they expose no DOM statistics)."""

from __future__ import annotations

import re

from pipeline.extract.decode import Deadline
from schemas.config import ExtractConfig

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TEXT_FORMULA = re.compile(r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S)


def text_signals(text: str) -> dict[str, float]:
    """Signals for the external extractors, read off their text (they expose no DOM statistics)."""
    formulas = float(len(_TEXT_FORMULA.findall(text)))
    return {"formula_count": formulas, "code_lines": 0.0, "inline_code_chars": 0.0, "link_density": 0.0}


class TrafilaturaExtractor:
    """trafilatura's extract(), for comparison on the same crawl."""

    def __init__(self, settings: ExtractConfig):
        self.settings = settings

    def run(
        self, text: str, deadline: Deadline, raw: bytes | None = None
    ) -> tuple[str, str, dict[str, float]]:
        import trafilatura

        markdown = self.settings.fmt == "markdown"
        out = (
            trafilatura.extract(
                text,
                output_format="markdown" if markdown else "txt",
                include_comments=self.settings.keep_comments,
                include_tables=True,
                include_formatting=markdown,
                with_metadata=False,
            )
            or ""
        )
        title = _TITLE.search(text[:100_000])
        return out, " ".join(title[1].split()) if title else "", text_signals(out)


class ResiliparseExtractor:
    """resiliparse's main-content plain-text extraction (its lexbor parser survives any nesting)."""

    def __init__(self, settings: ExtractConfig):
        self.settings = settings

    def run(
        self, text: str, deadline: Deadline, raw: bytes | None = None
    ) -> tuple[str, str, dict[str, float]]:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        tree = HTMLTree.parse(text)
        out = extract_plain_text(
            tree,
            preserve_formatting=True,
            main_content=True,
            alt_texts=True,
            comments=self.settings.keep_comments,
        )
        return out, " ".join((tree.title or "").split()), text_signals(out)


def visible_text(text: str) -> tuple[str, str, dict[str, float]]:
    """All visible text, for pages nested deeper than libxml2 builds (it drops what lies below 2048
    levels). lexbor keeps everything; resiliparse's main-content mode is quadratic in depth, so none."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(text)
    out = extract_plain_text(tree, preserve_formatting=True, main_content=False, alt_texts=False)
    return out, " ".join((tree.title or "").split()), text_signals(out)
