"""Public figures stay: person-name redactions on pages that name people who are not private contacts.

    PYTHONPATH=. .venv/bin/python -m bench.pii.public_figures [--webpages /work/shared/webpages-dev]

Pages: Python's "What's New" (python3-doc: release notes crediting hundreds of contributors by name) and the
article pages of webpages-dev (real 2026 news and blogs, `main_content`). Each page's language is set by
the language-id stage, then the PII stage runs with the default policy (`person: contact`) and with
`person: all`. Prints the PERSON counts of both, and every name the default policy redacted, with its
context, to read by eye. Never passes or fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter
from pathlib import Path

from bench.pii.corpus import page_blocks
from bench.pii.evaluate import context
from classifiers.langid import LangId
from pipeline.pii import PiiRedactor
from schemas.config import PiiConfig

WHATSNEW = Path("/usr/share/doc/python3-doc/html/whatsnew")


def whatsnew_pages() -> list[tuple[str, str]]:
    pages = sorted(p for p in WHATSNEW.glob("*.html") if p.name != "index.html")
    if not pages:
        raise SystemExit(f"no pages under {WHATSNEW}: apt-get install python3-doc")
    return [
        (p.name, "\n\n".join(b.text if not b.code else f"```\n{b.text}\n```" for b in page_blocks(p)))
        for p in pages
    ]


def article_pages(root: Path) -> list[tuple[str, str]]:
    truth = root / "ground-truth.jsonl"
    if not truth.is_file():
        raise SystemExit(f"{truth} not found: pass --webpages")
    opener = gzip.open if truth.suffix == ".gz" else open
    with opener(truth, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [(row["url"], row["main_content"]) for row in rows if row.get("page_type") == "article"]


def measure(name: str, pages: list[tuple[str, str]], langid: LangId) -> None:
    langs = [langid.predict(text)[0] for _, text in pages]
    print(f"\n== {name}: {len(pages)} pages, languages {dict(Counter(langs).most_common(6))} ==")
    texts = [text for _, text in pages]
    for person in ("contact", "all"):
        hits = PiiRedactor(PiiConfig(person=person)).find_batch(texts, langs)
        names = Counter(
            texts[i][s:e] for i, found in enumerate(hits) for s, e, t, _ in found if t == "PERSON"
        )
        pages_with = sum(any(t == "PERSON" for *_, t, _ in found) for found in hits)
        print(
            f"person={person}: {sum(names.values())} PERSON redactions ({len(names)} distinct names) "
            f"on {pages_with} of {len(pages)} pages"
        )
        if person == "all":
            print("  most redacted:", ", ".join(f"{n} ({c})" for n, c in names.most_common(12)))
        else:
            for i, found in enumerate(hits):
                for s, e, t, _ in found:
                    if t == "PERSON":
                        print(f"  {pages[i][0][:40]:40} {context(texts[i], s, e, 45)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webpages", type=Path, default=Path("/work/shared/webpages-dev"))
    args = parser.parse_args()
    langid = LangId()
    measure("Python What's New (python3-doc)", whatsnew_pages(), langid)
    measure("webpages-dev articles (news, blogs)", article_pages(args.webpages), langid)


if __name__ == "__main__":
    main()
