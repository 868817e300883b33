"""`curate audit OUT --reason <stage.rule> --sample 20 [--seed N]`: a deterministic sample of the documents
a rule rejected (in an annotate run: flagged), each with its URL, reasons, the rule's signal and bound,
its stage's signals and an excerpt with the offending part marked when the rule knows where it is:
repeated lines, paragraphs and n-grams, dirty words, PII placeholders, braces, "lorem ipsum", unpunctuated
lines; a duplicate names its keeper, the keeper's URL and the similarity.

The sample is the documents with the smallest hash of (seed, id): the same for the same output, and a
larger sample only adds documents.
"""

from __future__ import annotations

import argparse
import heapq
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from filters.dirty_words import DirtyWords
from filters.fineweb import LINE_END_PUNCTUATION
from filters.gopher_repetition import PARAGRAPH_RE
from pipeline.rules import split_reason
from pipeline.stored import StoredRun, read_documents
from pipeline.text import WORD_RE
from schemas.config import Config
from schemas.document import Document
from schemas.hashing import stable_hash

Span = tuple[int, int]
EXCERPT_CHARS = 700
MARK_OPEN, MARK_CLOSE = "»", "«"
_PII_PLACEHOLDER = re.compile(r"<[A-Z_]+(?::[0-9a-f]{12})?>")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT", help="the output directory of a run")
    parser.add_argument("--reason", required=True, metavar="STAGE.RULE", help="e.g. c4.sentence_count")
    parser.add_argument("--sample", type=int, default=20, metavar="N")
    parser.add_argument("--seed", type=int, default=0)


def run(args, _beam_flags: list[str]) -> int:
    audit = Audit(StoredRun(args.output))
    found = audit.sample(args.reason, args.sample, args.seed)
    print(render(args.reason, found, audit.total(args.reason)))
    return 0


# ------------------------------------------------------------------------------------ offending parts


def _repeated(items: list[tuple[int, int, str]]) -> list[Span]:
    """Spans of the items (start, end, key) whose key occurs more than once."""
    counts = Counter(key for _, _, key in items)
    return [(start, end) for start, end, key in items if counts[key] > 1]


def _lines(text: str) -> list[tuple[int, int, str]]:
    out, start = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = start + line.index(stripped[0])
            out.append((lead, lead + len(stripped), stripped))
        start += len(line) + 1
    return out


def repeated_lines(doc: Document, _cfg: Config) -> list[Span]:
    return _repeated(_lines(doc.text))


def repeated_paragraphs(doc: Document, _cfg: Config) -> list[Span]:
    spans, start = [], 0
    for match in PARAGRAPH_RE.finditer(doc.text + "\n\n"):
        raw = doc.text[start : match.start()]
        stripped = raw.strip()
        if stripped:
            lead = start + raw.index(stripped[0])
            spans.append((lead, lead + len(stripped), stripped))
        start = match.end()
    return _repeated(spans)


def _ngram_spans(doc: Document, n: int, top_only: bool) -> list[Span]:
    """Occurrences of the most frequent word n-gram (top_only) or of every repeated one."""
    words = [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(doc.text)]
    grams = Counter(tuple(w for _, _, w in words[i : i + n]) for i in range(len(words) - n + 1))
    repeated = {g for g, c in grams.items() if c > 1}
    if top_only and repeated:
        best = max(grams.values())
        repeated = {min(g for g, c in grams.items() if c == best)}
    spans = []
    for i in range(len(words) - n + 1):
        if tuple(w for _, _, w in words[i : i + n]) in repeated:
            spans.append((words[i][0], words[i + n - 1][1]))
    return spans


def dirty_words(doc: Document, cfg: Config) -> list[Span]:
    listed = DirtyWords(cfg.filters["dirty_words"]).word_list(doc.lang or "en")
    if listed is None:
        return []
    spans = [(m.start(), m.end()) for m in WORD_RE.finditer(doc.text) if m.group() in listed.words]
    if listed.phrases is not None:
        spans += [(m.start(), m.end()) for m in listed.phrases.finditer(doc.text.lower())]
    return spans


def unpunctuated_lines(doc: Document, _cfg: Config) -> list[Span]:
    return [(s, e) for s, e, line in _lines(doc.text) if not line.endswith(LINE_END_PUNCTUATION)]


def _literal(pattern: str) -> Callable[[Document, Config], list[Span]]:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda doc, _cfg: [(m.start(), m.end()) for m in compiled.finditer(doc.text)]


# reason (or reason prefix ending in ".") -> where the offending part is
MARKERS: dict[str, Callable[[Document, Config], list[Span]]] = {
    "gopher_repetition.dup_line_ratio": repeated_lines,
    "gopher_repetition.dup_line_char_ratio": repeated_lines,
    "fineweb.dup_line_char_ratio": repeated_lines,
    "gopher_repetition.dup_para_ratio": repeated_paragraphs,
    "gopher_repetition.dup_para_char_ratio": repeated_paragraphs,
    **{
        f"gopher_repetition.top_{n}gram_char_ratio": (lambda d, c, n=n: _ngram_spans(d, n, True))
        for n in (2, 3, 4)
    },
    **{
        f"gopher_repetition.dup_{n}gram_char_ratio": (lambda d, c, n=n: _ngram_spans(d, n, False))
        for n in range(5, 11)
    },
    "dirty_words.": dirty_words,
    "pii.": _literal(_PII_PLACEHOLDER.pattern),
    "c4.curly_bracket": _literal(r"[{}]"),
    "c4.lorem_ipsum": _literal(r"lorem ipsum"),
    "fineweb.line_punct_ratio": unpunctuated_lines,
    "gopher_quality.end_ellipsis_ratio": _literal(r"(?:\.\.\.|…)\s*$"),
    "gopher_quality.bullet_lines_ratio": _literal(r"^\s*[•\-*‣●▪]"),
}


def offending(reason: str, doc: Document, cfg: Config) -> list[Span]:
    """The spans of `doc.text` that made it fail `reason`, when the rule knows them (else empty)."""
    marker = MARKERS.get(reason) or MARKERS.get(split_reason(reason)[0] + ".")
    return _merge(marker(doc, cfg)) if marker else []


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def excerpt(text: str, spans: list[Span], limit: int = EXCERPT_CHARS) -> tuple[str, list[Span]]:
    """A window of `text` of about `limit` characters around the first spans, and the spans within it
    relative to the window (a caller marks them as it likes; `marked` does it for a terminal)."""
    start = max(0, spans[0][0] - limit // 4) if spans else 0
    end = min(len(text), start + limit)
    window = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    return text[start:end], window


def marked(text: str, spans: list[Span]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], MARK_OPEN, text[start:end], MARK_CLOSE]
        last = end
    out.append(text[last:])
    return "".join(out)


# ------------------------------------------------------------------------------------------ the sample


@dataclass
class Finding:
    doc: Document
    reason: str
    value: float | None
    bound: tuple[float | None, float | None] | None
    spans: list[Span]
    keeper: Document | None = None


class Audit:
    """Samples the documents of a reason from a run's output; `max_files` bounds the files read per
    request (the report's samples), None reads them all."""

    def __init__(self, run: StoredRun, max_files: int | None = None):
        self.run, self.max_files = run, max_files
        self.cfg = run.config()

    def _documents(self, *kinds: str, group: str | None = None) -> Iterator[Document]:
        for path in self.run.files(*kinds, group=group)[: self.max_files]:
            yield from read_documents(path)

    def candidates(self, reason: str) -> Iterator[Document]:
        """Documents that fail `reason`: in a filter run the rule's stage directory holds them (a document
        only meets a stage it reached; PII rules also mark documents rejected before); in an annotate run
        the shards do."""
        stage = split_reason(reason)[0]
        if self.run.mode == "annotate":
            docs = self._documents("shards", "rejected")
        elif stage == "pii":
            docs = self._documents("rejected")
        else:
            docs = self._documents("rejected", group=stage)
        return (doc for doc in docs if reason in doc.rejected_by and doc.copy_of is None)

    def total(self, reason: str) -> int:
        return self.run.manifest["reasons"].get(reason, {}).get("all", 0)

    def sample(self, reason: str, n: int, seed: int = 0) -> list[Finding]:
        ranked = ((stable_hash(f"{seed}\x00{doc.id}"), doc.id, doc) for doc in self.candidates(reason))
        chosen = [doc for _, _, doc in heapq.nsmallest(n, ranked, key=lambda r: (r[0], r[1]))]
        keepers = self._keepers({doc.dup_cluster for doc in chosen if doc.dup_cluster})
        return [self.finding(reason, doc, keepers.get(doc.dup_cluster)) for doc in chosen]

    def finding(self, reason: str, doc: Document, keeper: Document | None = None) -> Finding:
        stage, rule = split_reason(reason)
        key = rule if f"{stage}.{rule}" not in doc.signals and rule in doc.signals else f"{stage}.{rule}"
        return Finding(
            doc,
            reason,
            doc.signals.get(key),
            doc.bounds.get(reason),
            offending(reason, doc, self.cfg),
            keeper,
        )

    def _keepers(self, ids: set[str]) -> dict[str, Document]:
        """The documents named as keepers, looked up in the shards and rejected files (one pass)."""
        found: dict[str, Document] = {}
        if ids:
            for doc in self._documents("shards", "rejected"):
                if doc.id in ids and doc.copy_of is None:
                    found[doc.id] = doc
                    if len(found) == len(ids):
                        break
        return found


def _bound_text(bound) -> str:
    if not bound:
        return "no threshold (a verdict)"
    low, high = bound
    parts = [f"min {low:g}" if low is not None else "", f"max {high:g}" if high is not None else ""]
    return ", ".join(p for p in parts if p)


def render(reason: str, findings: list[Finding], total: int) -> str:
    lines = [f"{reason}: {total:,} documents fail it; {len(findings)} sampled"]
    for i, f in enumerate(findings, 1):
        doc = f.doc
        lines.append(f"\n[{i}/{len(findings)}] {doc.id}  {doc.url or doc.source}")
        lines.append(
            f"  reasons: {', '.join(doc.rejected_by)}   domain {doc.domain}, lang {doc.lang}, "
            f"{doc.tokens:,} tokens"
        )
        value = "n/a" if f.value is None else f"{f.value:g}"
        lines.append(f"  {reason} = {value}   bound: {_bound_text(f.bound)}")
        stage = split_reason(reason)[0]
        own = {k: v for k, v in sorted(doc.signals.items()) if k.startswith(stage + ".")}
        if own:
            lines.append("  signals: " + ", ".join(f"{k.split('.', 1)[1]}={v:.4g}" for k, v in own.items()))
        if doc.dup_cluster:
            keeper = f.keeper
            where = f"{keeper.url or keeper.source}" if keeper else "not in this output"
            lines.append(f"  duplicate of {doc.dup_cluster} ({where})")
        if stage == "pii" and doc.pii:
            lines.append("  PII redacted: " + ", ".join(f"{k} {n}" for k, n in sorted(doc.pii.items())))
        text, spans = excerpt(doc.text, f.spans)
        note = f" ({len(f.spans)} marked part{'s' if len(f.spans) != 1 else ''})" if f.spans else ""
        lines.append(f"  excerpt{note}:")
        lines += ["    " + line for line in marked(text, spans).splitlines()[:30]]
    return "\n".join(lines)
