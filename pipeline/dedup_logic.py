"""Plain-Python de-duplication logic: settings, keeper priority, URL / text / line normalization, hashes.

The Beam transforms in pipeline/dedup.py are a thin layer over these functions. Every hash here is a
keyed-free cryptographic or CRC digest, never Python's `hash()`, so keys agree on every worker and runner.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from schemas.document import Document

# Query parameters that only track the visitor: the utm_* family and the click ids of the big ad networks.
TRACKING_PARAMS = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
    "igshid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
)


@dataclass(frozen=True)
class UrlDedupSettings:
    enabled: bool = True
    ignore_scheme: bool = True  # http:// and https:// of one page are one page
    strip_www: bool = False  # www.example.com and example.com may serve different sites
    drop_trailing_slash: bool = True
    sort_query: bool = True
    tracking_params: tuple[str, ...] = TRACKING_PARAMS  # exact names, or prefixes ending in "*"


@dataclass(frozen=True)
class ExactDedupSettings:
    enabled: bool = True


@dataclass(frozen=True)
class LineDedupSettings:
    enabled: bool = True
    max_occurrences: int = 6  # Llama 3 section 3.1.1: lines seen more than 6 times per bucket are removed
    bucket_docs: int = 30_000_000  # Llama 3: buckets of 30M documents
    max_removed_share: float = 0.5  # project choice (no published value): mostly-boilerplate pages go


@dataclass(frozen=True)
class MinHashDedupSettings:
    enabled: bool = True
    ngram: int = 5  # FineWeb: word 5-grams
    # FineWeb's LSH layout (14 bands x 8 rows) on the first 112 values; the longer signature is for
    # verification, whose estimate of Jaccard 0.8 has a standard deviation of 0.025 instead of 0.038.
    num_perm: int = 256
    bands: int | None = 14  # None (with rows None): derived from `threshold` by datasketch
    rows: int | None = 8
    threshold: float = 0.8  # target Jaccard; also the verification bound when `verify` is on
    verify: bool = True  # drop candidate edges whose signatures agree on less than `threshold`
    seed: int = 1  # datasketch's default seed; fixed so signatures agree on every worker
    max_rounds: int = 12  # large-star/small-star rounds unrolled in the graph


@dataclass(frozen=True)
class DedupSettings:
    """All dedup stages; `quality_signal` (when a document has it) breaks ties after the fetch time."""

    quality_signal: str | None = "quality.score"
    url: UrlDedupSettings = field(default_factory=UrlDedupSettings)
    exact: ExactDedupSettings = field(default_factory=ExactDedupSettings)
    line: LineDedupSettings = field(default_factory=LineDedupSettings)
    minhash: MinHashDedupSettings = field(default_factory=MinHashDedupSettings)


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


def stable_hash(data: str | bytes, bits: int = 64) -> int:
    """An unsigned hash that is the same on every machine and process (unlike `hash()`)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return int.from_bytes(hashlib.blake2b(raw, digest_size=bits // 8).digest(), "big")


def _is_tracking(name: str, patterns: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(lowered.startswith(p[:-1]) if p.endswith("*") else lowered == p for p in patterns)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str, settings: UrlDedupSettings) -> str | None:
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
_DIGITS = re.compile(r"\d")


def normalize_text(text: str) -> str:
    """Lower-case words without accents, punctuation or digit values, as FineWeb and ccNet compare text.

    Two pages that differ only in case, punctuation, spacing, accents or numbers normalize alike.
    """
    stripped = text.lower()
    if not stripped.isascii():  # most web text is ASCII: skip the per-character pass there
        decomposed = unicodedata.normalize("NFKD", stripped)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCT_OR_SPACE.sub(" ", _DIGITS.sub("0", stripped)).strip()


def text_digest(text: str) -> str:
    """Exact-duplicate key: sha1 of the normalized text."""
    return hashlib.sha1(normalize_text(text).encode("utf-8", "surrogatepass")).hexdigest()


def line_hashes(text: str) -> list[int | None]:
    """Per line of `text` (split on "\\n"), the hash of its ccNet normalization; None for blank lines."""
    hashes: list[int | None] = []
    for line in text.split("\n"):
        normal = normalize_text(line)
        hashes.append(stable_hash(normal) if normal else None)
    return hashes


@dataclass(frozen=True)
class LineRemoval:
    text: str
    lines_removed: int
    chars_removed: int
    removed_share: float


def remove_lines(text: str, frequent: frozenset[int]) -> LineRemoval:
    """`text` without the lines whose normalized hash is in `frequent`; counts include their newlines."""
    lines = text.split("\n")
    kept = [line for line, h in zip(lines, line_hashes(text), strict=True) if h is None or h not in frequent]
    new_text = "\n".join(kept)
    removed_chars = len(text) - len(new_text)
    return LineRemoval(
        text=new_text,
        lines_removed=len(lines) - len(kept),
        chars_removed=removed_chars,
        removed_share=removed_chars / len(text) if text else 0.0,
    )
