"""Keys of de-duplication: keeper priority, URL / text / line normalization, and their hashes.

The Beam transforms in pipeline/beam/dedup.py are a thin layer over these functions. Every hash is
`schemas.hashing.stable_hash`, so keys agree on every worker and runner.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.delimited import line_blocks
from schemas.config import UrlDedupConfig
from schemas.document import Document
from schemas.hashing import stable_hash

Rank = tuple[int, float, int, float, str]


def fetch_epoch(fetched_at: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (naive times are UTC); None when absent or unreadable."""
    if not fetched_at:
        return None
    try:
        moment = datetime.fromisoformat(fetched_at.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def priority(doc: Document, quality_signal: str | None) -> Rank:
    """Sort key whose minimum is the keeper: newest fetch, then highest quality, then smallest id."""
    epoch = fetch_epoch(doc.fetched_at)
    quality = doc.signals.get(quality_signal) if quality_signal else None
    return (
        int(epoch is None), -(epoch or 0.0),
        int(quality is None), -(quality or 0.0),
        doc.id,
    )


def _is_tracking(name: str, patterns: list[str]) -> bool:
    lowered = name.lower()
    return any(lowered.startswith(p[:-1]) if p.endswith("*") else lowered == p for p in patterns)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str, settings: UrlDedupConfig) -> str | None:
    """The URL's identity: case-folded scheme and host, no default port, fragment or tracking parameter.

    Returns None for strings without a host, which are never grouped with anything.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    scheme = parts.scheme.lower()
    if settings.strip_www and host.startswith("www."):
        host = host[4:]
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if settings.drop_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k, settings.tracking_params)
    ]
    if settings.sort_query:
        query.sort()
    return urlunsplit(("" if settings.ignore_scheme else scheme, host, path, urlencode(query), ""))


_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)
_PUNCT_NOT_NEWLINE = re.compile(r"[^\w\n]+|_+", re.UNICODE)
_DIGITS = re.compile(r"\d")


def _without_marks(text: str) -> str:
    """`text` without combining characters (accents, dakuten, vowel signs...). Only the marks the text holds
    go into the pattern: a class of every Unicode mark costs ~150 ns a character, this a tenth of it."""
    marks = "".join(sorted(c for c in set(text) if unicodedata.combining(c)))
    return re.sub(f"[{marks}]+", "", text) if marks else text


def fold(text: str) -> str:
    """Lower case, accents removed, digits as 0: the character folding every normalization shares."""
    folded = text.lower()
    if not folded.isascii():  # most web text is ASCII: skip decomposition there
        folded = _without_marks(unicodedata.normalize("NFKD", folded))
    return _DIGITS.sub("0", folded)


def normalize_text(text: str) -> str:
    """Lower-case words without accents, punctuation or digit values, as FineWeb and ccNet compare text.

    Two pages that differ only in case, punctuation, spacing, accents or numbers normalize alike.
    """
    return _PUNCT_OR_SPACE.sub(" ", fold(text)).strip()


def normalized_lines(text: str) -> list[str]:
    """`normalize_text` of each line of `text` (split on "\n"), folding the whole text in one pass."""
    return [line.strip() for line in _PUNCT_NOT_NEWLINE.sub(" ", fold(text)).split("\n")]


def key63(value: str | bytes) -> int:
    """A 63-bit key: Beam's integer coder moves it cheaply. Two different values share one with probability
    2^-63 per pair: about one pair in a corpus of 3 billion documents."""
    return stable_hash(value) >> 1


def url_key(url: str, settings: UrlDedupConfig) -> int | None:
    """Key of the URL's identity (`normalize_url`); None for strings without a host."""
    normal = normalize_url(url, settings)
    return None if normal is None else key63(normal)


def text_key(text: str, lines: list[str] | None = None) -> int:
    """Exact-duplicate key: the normalized text's hash (from its `normalized_lines` when given)."""
    normal = " ".join(line for line in lines if line) if lines is not None else normalize_text(text)
    return key63(normal)


def line_key(bucket: int, line_hash: int) -> int:
    """A line's key within its bucket of documents (ccNet counts lines per bucket)."""
    return (line_hash + bucket * 0x9E3779B97F4A7C15) % 2**63


def line_hashes(text: str, lines: list[str] | None = None) -> list[int | None]:
    """Per line of `text` (split on "\\n"), the 63-bit hash (`key63`) of its ccNet normalization; None for
    blank lines. 63 bits, not 64: Beam's coder writes an int64 in a few bytes and pickles a larger one."""
    return [key63(normal) if normal else None for normal in lines or normalized_lines(text)]


def _protected_blocks(lines: list[str], protect: Callable[[str], bool]) -> list[bool]:
    """Per line: whether its block (lines between blank ones) holds a line `protect` accepts."""
    guarded = [False] * len(lines)
    for start, end in line_blocks(lines):
        if any(protect(line.strip()) for line in lines[start:end]):
            guarded[start:end] = [True] * (end - start)
    return guarded


@dataclass(frozen=True)
class LineRemoval:
    text: str
    lines_removed: int
    chars_removed: int
    removed_share: float


def remove_lines(
    text: str,
    frequent: frozenset[int],
    protect: Callable[[str], bool] | None = None,
    hashes: list[int | None] | None = None,
) -> LineRemoval:
    """`text` without the lines whose normalized hash is in `frequent`, except in blocks (runs of lines
    between blank lines) holding a line that `protect` accepts (given stripped): a code listing stays
    whole, its output lines ("True", "0") with it. Counts include the removed lines' newlines. `hashes`
    are the text's `line_hashes` when already known."""
    if not frequent:
        return LineRemoval(text, 0, 0, 0.0)
    lines = text.split("\n")
    drop = [h is not None and h in frequent for h in (line_hashes(text) if hashes is None else hashes)]
    if protect is not None and any(drop):  # most pages lose no line: no block is looked at
        drop = [d and not guard for d, guard in zip(drop, _protected_blocks(lines, protect), strict=True)]
    kept = [line for line, d in zip(lines, drop, strict=True) if not d]
    new_text = "\n".join(kept)
    removed_chars = len(text) - len(new_text)
    return LineRemoval(
        text=new_text,
        lines_removed=len(lines) - len(kept),
        chars_removed=removed_chars,
        removed_share=removed_chars / len(text) if text else 0.0,
    )
