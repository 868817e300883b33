"""Page bytes to text: encoding sniffing, refusal of binary and oversized payloads, a time budget."""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Mapping

from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5


class ExtractionError(Exception):
    """A page that cannot be extracted; `reason` becomes the error record's reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x00\x00\x01\x00",
)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# Control bytes no text encoding uses outside UTF-16/32 (ESC stays: ISO-2022-JP needs it).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
# Characters of undecodable text: controls (as UTF-8 bytes: no multi-byte sequence holds one) and
# the replacement character. Counted by bytes.translate and str.count, not a regex, in C.
_GARBAGE_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)])
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


def _python_codec(label: str | None) -> str | None:
    """A WHATWG label (latin1 means windows-1252 on the web) as a Python codec name, or None."""
    if not label:
        return None
    name = map_encoding_to_html5(label.strip().lower()) or label
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value or ""
    return ""


def decode_html(html: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode a page: BOM, then the HTTP Content-Type charset, then <meta charset>, UTF-8, detection.

    The BOM wins over the header as in the WHATWG encoding-sniffing algorithm. A declared encoding
    that fails to decode is skipped (pages often lie); the last resort decodes with replacement
    characters, so this never raises.
    """
    return decode(html, headers)[0]


def decode(html: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """`decode_html`, with the codec it used ("utf-8" means `html` itself is valid UTF-8 text)."""
    candidates: list[str | None] = []
    for bom, name in _BOMS:
        if html.startswith(bom):
            candidates.append(name)
            html = html[len(bom) :]
            break
    header = _HEADER_CHARSET.search(_header(headers, "content-type"))
    candidates.append(_python_codec(header[1]) if header else None)
    meta = _META_CHARSET.search(html[:4096])
    candidates.append(_python_codec(meta[1].decode("ascii", "ignore")) if meta else None)
    # Strict UTF-8 before detection: text that decodes as UTF-8 almost never is anything else, while
    # detectors guess single-byte codepages (which decode anything) on short pages. Detection reads
    # the whole page, so it runs only when everything before it failed.
    candidates.append("utf-8")
    for name in dict.fromkeys(c for c in candidates if c):
        try:
            return html.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    detected = _python_codec(detect_encoding(html))
    if detected:
        try:
            return html.decode(detected), detected
        except (UnicodeDecodeError, LookupError):
            pass
    return html.decode("utf-8", errors="replace"), "utf-8-replace"


def check_payload(html: bytes, max_html_bytes: int) -> None:
    if len(html) > max_html_bytes:
        raise ExtractionError(f"page too large: {len(html)} bytes > {max_html_bytes}")
    head = html[:8192]
    if head.startswith(_BINARY_MAGIC) or (
        not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        and len(head) - len(head.translate(None, _CONTROL_BYTES)) > len(head) // 50
    ):
        raise ExtractionError("binary content")


def check_text(text: str) -> None:
    sample = text[:20000]
    encoded = sample.encode("utf-8", "surrogatepass")
    garbage = len(encoded) - len(encoded.translate(None, _GARBAGE_BYTES)) + sample.count("\ufffd")
    if sample and garbage > len(sample) // 10:
        raise ExtractionError("undecodable content")


class Deadline:
    """Per-page budget. `tick()` counts work units (an element visited by one walk); a page that needs
    more than `work_budget` of them fails the same way on every machine, so outputs never depend on
    load. The wall clock is only a hang guard (checked every 256 ticks) for a machine gone wrong.

    A walk may charge its units in one call before it starts (`tick(len(elements))`): the budget is
    checked whenever the count passes a multiple of 256 and is exceeded when the last multiple passed
    is above it, so charging units one at a time or together fails exactly the same pages."""

    def __init__(self, budget_s: float, work_budget: int | None = None):
        self.start = time.perf_counter()
        self.end = self.start + budget_s
        self.budget_s = budget_s
        self.work_budget = work_budget
        self.count = 0

    def tick(self, units: int = 1) -> None:
        before = self.count
        self.count = count = before + units
        if count >> 8 != before >> 8:
            if self.work_budget is not None and count & ~255 > self.work_budget:
                raise ExtractionError(f"work budget exceeded ({self.work_budget} units)")
            if time.perf_counter() > self.end:
                raise ExtractionError(f"time budget exceeded ({self.budget_s:g} s)")

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
