"""Benchmark corpus: paragraph documents cut from Debian's HTML manuals, plus planted near-duplicates.

Install the sources with `apt-get install -y debian-reference-en developers-reference python3-doc git-doc`.
Every choice is seeded, so the same packages give the same corpus.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.document import Document

DOC_ROOTS = (
    "/usr/share/doc/debian-reference-en",
    "/usr/share/doc/developers-reference",
    "/usr/share/doc/python3/html",
    "/usr/share/doc/git-doc",
)
# Word substitution rates of planted copies: a rate p leaves about (1 - p)^5 of the 5-grams, so these
# straddle Jaccard 0.8 (0.005 -> ~0.95, 0.02 -> ~0.82, 0.03 -> ~0.75, 0.1 -> ~0.45).
EDIT_RATES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1)

_DROP = re.compile(r"<(script|style|head|nav)\b.*?</\1>", re.S | re.I)
_BLOCK_END = re.compile(r"</(p|div|pre|li|h[1-6]|dd|dt|tr|table|section|blockquote)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def html_paragraphs(page: str) -> list[str]:
    """Paragraphs of an HTML page: tags stripped, one paragraph per block element."""
    text = _TAG.sub(" ", _BLOCK_END.sub("\n\n", _DROP.sub(" ", page)))
    paragraphs = (_SPACE.sub(" ", html.unescape(p)).strip() for p in text.split("\n\n"))
    return [p for p in paragraphs if len(p.split()) >= 5]


def html_files(roots: tuple[str, ...] = DOC_ROOTS) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        base = Path(root)
        if base.exists():
            files += sorted(p for p in base.rglob("*.html") if p.is_file())
    return files


def paragraph_docs(min_words: int = 80, max_words: int = 400) -> Iterator[str]:
    """Runs of consecutive paragraphs of one page, each between `min_words` and `max_words` words."""
    for path in html_files():
        buffer: list[str] = []
        words = 0
        for para in html_paragraphs(path.read_text(errors="replace")):
            buffer.append(para)
            words += len(para.split())
            if words >= min_words:
                yield "\n".join(buffer)[: max_words * 12]
                buffer, words = [], 0


def mutate(text: str, rate: float, rng: random.Random, vocabulary: list[str]) -> str:
    """Replaces each word with probability `rate` by a vocabulary word, keeping line structure."""
    if rate == 0:
        return text
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        lines.append(" ".join(rng.choice(vocabulary) if rng.random() < rate else w for w in words))
    return "\n".join(lines)


@dataclass(frozen=True)
class Corpus:
    docs: list[Document]
    planted: dict[str, tuple[str, float]]  # copy id -> (original id, edit rate)


def build_corpus(originals: int, copies: int, seed: int = 0, remix: bool = False) -> Corpus:
    """`originals` real paragraph documents and `copies` planted near-duplicates of random originals.

    With `remix`, originals beyond the real supply are made by shuffling the paragraphs of real ones
    (used for the large scaling runs).
    """
    rng = random.Random(seed)
    texts = list(paragraph_docs())
    if not texts:
        raise SystemExit("no Debian HTML documentation found; install the packages named in the docstring")
    if len(texts) < originals:
        if not remix:
            raise SystemExit(f"only {len(texts)} real documents; pass --remix for larger corpora")
        paragraphs = [p for t in texts for p in t.split("\n")]
        while len(texts) < originals:
            texts.append("\n".join(rng.sample(paragraphs, rng.randint(2, 6))))
    texts = texts[:originals]
    vocabulary = sorted({w for t in texts[:2000] for w in t.split()})
    docs = [_doc(f"orig-{i:07d}", t, i) for i, t in enumerate(texts)]
    planted: dict[str, tuple[str, float]] = {}
    for j in range(copies):
        source = rng.randrange(originals)
        rate = EDIT_RATES[j % len(EDIT_RATES)]
        copy_id = f"copy-{j:07d}"
        docs.append(_doc(copy_id, mutate(texts[source], rate, rng, vocabulary), originals + j))
        planted[copy_id] = (docs[source].id, rate)
    return Corpus(docs=docs, planted=planted)


def _doc(doc_id: str, text: str, n: int) -> Document:
    day = 1 + n % 28
    return Document(
        id=doc_id, source=f"bench:{doc_id}", text=text, url=f"https://docs.example.org/{doc_id}",
        fetched_at=f"2024-03-{day:02d}T00:00:00Z",
    )
