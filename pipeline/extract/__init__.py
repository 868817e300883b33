"""HTML to text that keeps math (as LaTeX) and code (exact lines), with main-content extraction.

Public API: `html_to_text` (one page to text), `extract` (text, title and signals, with any extractor
settings), `Extraction`, `ExtractionError`. The native extractor is `native.NativeExtractor`;
trafilatura and resiliparse run behind the same interface for comparison (`backends`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.extract.backends import ResiliparseExtractor, TrafilaturaExtractor
from pipeline.extract.decode import Deadline, ExtractionError, check_payload, check_text, decode, decode_html
from pipeline.extract.native import NativeExtractor
from schemas.config import ExtractConfig

__all__ = ["EXTRACTORS", "Extraction", "ExtractionError", "decode_html", "extract", "html_to_text"]

EXTRACTORS = {
    "native": NativeExtractor,
    "trafilatura": TrafilaturaExtractor,
    "resiliparse": ResiliparseExtractor,
}


@dataclass
class Extraction:
    """Extracted text and title, and signals (html_bytes, text_chars, text_html_ratio, formula_count,
    code_lines, inline_code_chars, link_density, seconds)."""

    text: str
    title: str
    signals: dict[str, float]


def extract(
    html: bytes,
    headers: Mapping[str, str] | None = None,
    settings: ExtractConfig | None = None,
    **changes: Any,
) -> Extraction:
    """Extract the main text of a page, with its title and signals.

    `settings` defaults to the config's `extract` section; keyword `changes` replace some of its values
    (`fmt="markdown"`, `extractor="trafilatura"`...). Raises ExtractionError for pages too large, binary
    or undecodable content, a page over the work budget, and a hung one (time budget).
    """
    settings = settings or ExtractConfig()
    if changes:
        settings = ExtractConfig(**{**settings.model_dump(), **changes})
    deadline = Deadline(settings.time_budget_s, settings.work_budget)
    check_payload(html, settings.max_html_bytes)
    text, codec = decode(html, headers)
    check_text(text)
    # UTF-8 pages go to the parser as they came: no second encoding pass.
    raw = html if codec == "utf-8" else None
    out, title, signals = EXTRACTORS[settings.extractor](settings).run(text, deadline, raw)
    seconds = deadline.elapsed()
    signals.update(
        html_bytes=float(len(html)),
        text_chars=float(len(out)),
        text_html_ratio=len(out) / len(html) if html else 0.0,
        seconds=seconds,
    )
    return Extraction(out, title, signals)


def html_to_text(html: bytes, fmt: str = "plain") -> str:
    """The main text of a page with math as LaTeX and code blocks intact ("plain" or "markdown")."""
    return extract(html, fmt=fmt).text


def extract_files(paths: list[str], fmt: str = "plain") -> str:
    """Text of local HTML files for `curate extract`: one section per file, errors reported inline."""
    sections: list[str] = []
    for path in paths:
        try:
            body = extract(Path(path).read_bytes(), fmt=fmt).text
        except ExtractionError as err:
            body = f"[extraction error: {err.reason}]\n"
        sections.append(body if len(paths) == 1 else f"==> {path} <==\n{body}")
    return "\n".join(sections)
