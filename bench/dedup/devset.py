"""A near-duplicate dev set from real text the project did not generate.

Bodies: runs of paragraphs from Debian's HTML documentation in eight languages (debian-reference-*,
maint-guide-*, developers-reference-*, python3-doc) and the annotated main contents of the real 2026 web
pages of webpages-dev. Near-duplicates come from the operations that make them on the web, each applied
to a random body:

- wrap: the same body inside another site's chrome (real boilerplate sentences of webpages-dev pages);
- reorder: the body's paragraphs in another order;
- edit: words replaced at 0.5 to 4 % (a typo fix, a date, a product name changed);
- truncate: the first 65 to 97 % of the body (a teaser, a cut-off crawl);
- siblings: pages of one template (a long shared block) with different short bodies.

The truth is exact: every pair with Jaccard >= t on the pipeline's own shingles, by an exact
set-similarity join (bench/dedup/truth.py), whatever operation (or natural duplication) made it.
Install the sources with `apt-get install -y debian-reference-{en,de,fr,es,it,ja,zh-cn,pt} maint-guide
maint-guide-{de,fr,es,it,ja,zh-cn} developers-reference developers-reference-{de,fr,ja} python3-doc`.
"""

from __future__ import annotations

import glob
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.dedup.corpus import html_paragraphs
from schemas.document import Document

DOC_GLOBS = (
    "/usr/share/debian-reference/*.html",
    "/usr/share/doc/maint-guide*/html/*.html",
    "/usr/share/doc/developers-reference*/**/*.html",
    "/usr/share/doc/python3/html/library/*.html",
    "/usr/share/doc/python3/html/howto/*.html",
)
OPERATIONS = ("wrap", "reorder", "edit", "truncate", "siblings")
_LANG = re.compile(r"\.([a-z]{2}(?:-[a-z]{2})?)\.html$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def _length(text: str) -> int:
    """Words, counting each CJK character as one (the shingler does)."""
    return len(text.split()) + len(_CJK.findall(text))


def doc_bodies(min_words: int = 80, max_words: int = 700) -> list[tuple[str, str]]:
    """(language, body) runs of consecutive paragraphs of the Debian and Python manuals."""
    bodies = []
    for pattern in DOC_GLOBS:
        for path in map(Path, sorted(glob.glob(pattern, recursive=True))):
            lang = (_LANG.search(path.name) or [None, "en"])[1]
            buffer: list[str] = []
            for para in html_paragraphs(path.read_text(errors="replace")):
                buffer.append(para)
                if _length("\n".join(buffer)) >= min_words:
                    body = "\n".join(buffer)
                    if _length(body) <= max_words:
                        bodies.append((lang, body))
                    buffer = []
    return bodies


def web_bodies(webpages: Path, min_words: int = 80) -> tuple[list[tuple[str, str]], list[str]]:
    """(language, main content) of the real web pages, and their boilerplate sentences (`without`)."""
    bodies, chrome = [], []
    for line in (webpages / "ground-truth.jsonl").open():
        page = json.loads(line)
        chrome += [s for s in page.get("without") or [] if len(s.split()) >= 3]
        if _length(page["main_content"]) >= min_words:
            bodies.append(("web", page["main_content"]))
    return bodies, chrome


@dataclass(frozen=True)
class DevSet:
    docs: list[Document]
    made: dict[str, tuple[str, str]]  # derived id -> (operation, id of the body it was made from)
    languages: Counter


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def _edit(text: str, rate: float, rng: random.Random, vocabulary: list[str]) -> str:
    lines = []
    for line in text.split("\n"):
        lines.append(" ".join(rng.choice(vocabulary) if rng.random() < rate else w for w in line.split(" ")))
    return "\n".join(lines)


def _truncate(text: str, share: float) -> str:
    words = text.split(" ")
    return " ".join(words[: max(1, int(len(words) * share))])


def build_devset(originals: int, derived: int, webpages: Path | None, seed: int = 0) -> DevSet:
    """`originals` real bodies and `derived` near-duplicates made by the operations above."""
    rng = random.Random(seed)
    bodies = doc_bodies()
    chrome: list[str] = []
    if webpages is not None and (webpages / "ground-truth.jsonl").exists():
        web, chrome = web_bodies(webpages)
        bodies += web
    if not bodies:
        raise SystemExit("no source text found; install the packages named in bench/dedup/devset.py")
    rng.shuffle(bodies)
    bodies = bodies[:originals]
    vocabulary = sorted({w for _, t in bodies[:3000] for w in t.split() if w.isalpha()})
    chrome = chrome or ["Home", "Contact us", "Subscribe to our newsletter", "All rights reserved"]
    docs = [_doc(f"orig-{i:06d}", t, i) for i, (_, t) in enumerate(bodies)]
    made: dict[str, tuple[str, str]] = {}
    for j in range(derived):
        operation = OPERATIONS[j % len(OPERATIONS)]
        index = rng.randrange(len(bodies))
        text = bodies[index][1]
        if operation == "wrap":
            header = rng.sample(chrome, k=min(len(chrome), rng.randint(2, 6)))
            footer = rng.sample(chrome, k=min(len(chrome), rng.randint(2, 6)))
            text = "\n".join([*header, text, *footer])
        elif operation == "reorder":
            paragraphs = _paragraphs(text)
            rng.shuffle(paragraphs)
            text = "\n".join(paragraphs)
        elif operation == "edit":
            text = _edit(text, rng.choice((0.005, 0.01, 0.02, 0.03, 0.04)), rng, vocabulary)
        elif operation == "truncate":
            text = _truncate(text, rng.uniform(0.65, 0.97))
        else:  # siblings: a long shared template and a short body of each page's own
            short = bodies[rng.randrange(len(bodies))][1]
            text = text + "\n" + _truncate(short, rng.uniform(0.05, 0.3))
        doc_id = f"{operation}-{j:06d}"
        docs.append(_doc(doc_id, text, originals + j))
        made[doc_id] = (operation, docs[index].id)
    return DevSet(docs, made, Counter(lang for lang, _ in bodies))


def _doc(doc_id: str, text: str, n: int) -> Document:
    day = 1 + n % 28
    return Document(
        id=doc_id,
        source=f"bench:{doc_id}",
        text=text,
        url=f"https://dev.example.org/{doc_id}",
        fetched_at=f"2024-03-{day:02d}T00:00:00Z",
    )
