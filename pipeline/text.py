"""Tokenize once per document and share the result with every filter that needs words, lines or tokens.

Words (for the Gopher/C4/FineWeb statistics and dirty words) always come from a fast regex; tokens (for
the KL filter and `doc.tokens`) come from the configured tokenizer: the same regex words by default, or
any tokenizer.json through the `tokenizers` library. Views are cached on the document as a transient
attribute and recomputed when `doc.text` is replaced (line dedup, PII redaction). The token stage counts
`doc.tokens` from the same views.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cached_property
from typing import Protocol

from pipeline.files import read_bytes, require
from schemas.document import Document

# A word is a run of letters/digits, with inner apostrophes ("don't"): the unit of Gopher's statistics.
WORD_RE = re.compile(r"\w++(?:['’]\w++)*+")  # possessive: the same words, ~25% faster
_CACHE_ATTR = "_filters_text_view"


class Tokenizer(Protocol):
    id: str  # names the tokenizer in saved references, so a mismatch is caught

    def tokenize(self, text: str) -> list[str]: ...


class RegexTokenizer:
    """Words as tokens (`WORD_RE`): no model, about a microsecond per word."""

    id = "regex"

    def tokenize(self, text: str) -> list[str]:
        return WORD_RE.findall(text)


class HFTokenizer:
    """Any tokenizer.json (BPE, WordPiece, Unigram) through the `tokenizers` library, no special tokens."""

    def __init__(self, path: str):
        from tokenizers import Tokenizer as _Tokenizer

        self.path = path
        data = read_bytes(path)
        self._tokenizer = _Tokenizer.from_str(data.decode("utf-8"))
        self.id = "tokenizer.json:sha1:" + hashlib.sha1(data).hexdigest()

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer.encode(text, add_special_tokens=False).tokens

    def __reduce__(self):  # the Rust object does not pickle; Beam ships the path and reloads it
        return (HFTokenizer, (self.path,))


def make_tokenizer(spec: str | None) -> Tokenizer:
    """ "regex" (or None) for the regex word tokenizer, otherwise a path to a tokenizer.json."""
    if spec in (None, "", "regex"):
        return RegexTokenizer()
    require(spec, "tokens.tokenizer")
    return HFTokenizer(spec)


class TextView:
    """Derived views of one text, each computed on first use."""

    def __init__(self, text: str, tokenizer: Tokenizer):
        self.text = text
        self._tokenizer = tokenizer

    @cached_property
    def words(self) -> list[str]:
        return WORD_RE.findall(self.text)

    @cached_property
    def lines(self) -> list[str]:
        """Non-empty lines, stripped."""
        return [line for line in (raw.strip() for raw in self.text.split("\n")) if line]

    @cached_property
    def lower(self) -> str:
        return self.text.lower()

    @cached_property
    def tokens(self) -> list[str]:
        if isinstance(self._tokenizer, RegexTokenizer):
            return self.words
        return self._tokenizer.tokenize(self.text)


def case_variants(words: Iterable[str]) -> frozenset[str]:
    """Lowercase words with their Capitalized and UPPER forms, for `count_listed`."""
    return frozenset(v for w in words for v in (w, w.capitalize(), w.upper()))


def count_listed(words: list[str], variants: frozenset[str]) -> int:
    """Occurrences of listed words, matching the case variants of `case_variants` (no per-word lower())."""
    return sum(map(variants.__contains__, words))


class TextViews:
    """Hands every filter the same `TextView` of a document (one tokenizer for the whole run)."""

    def __init__(self, tokenizer: Tokenizer | None = None):
        self.tokenizer = tokenizer or RegexTokenizer()

    @property
    def tokenizer_id(self) -> str:
        return self.tokenizer.id

    def of(self, doc: Document) -> TextView:
        view = doc.__dict__.get(_CACHE_ATTR)
        # The text by identity: a stage that rewrites it gets fresh views at no comparison cost. The tokenizer
        # by id: every stage holds its own unpickled copy of it, and they must share one view.
        if view is None or view.text is not doc.text or view._tokenizer.id != self.tokenizer.id:
            view = TextView(doc.text, self.tokenizer)
            doc.__dict__[_CACHE_ATTR] = view
        return view

    def count_tokens(self, doc: Document) -> int:
        """Token count under the configured tokenizer (what the pipeline records as `doc.tokens`)."""
        return len(self.of(doc).tokens)


def release(doc: Document) -> None:
    """Drop the cached views (call before a document is serialized between workers or written)."""
    doc.__dict__.pop(_CACHE_ATTR, None)
