"""Phone, IP and street redactions on the Debian Administrator's Handbook in its 26 languages: real clean
text (Croatian, Indonesian, Polish, Romanian, Turkish, Vietnamese, ...) where every redaction is a false
alarm to read, except the FSF's postal address in the GPL notice.

    apt-get install debian-handbook
    PYTHONPATH=. .venv/bin/python -m bench.pii.handbook [--list]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import lxml.html

from pipeline.pii import PiiRedactor
from schemas.config import PiiConfig

HANDBOOK = Path("/usr/share/doc/debian-handbook/html")
TYPES = ("PHONE_NUMBER", "IP_ADDRESS", "STREET_ADDRESS")


def page_text(path: Path) -> str:
    """The page's text, one line per text node, without scripts and styles; listings (<pre>) fenced as
    code, as bench/pii/corpus.py cuts the Debian manuals (the pipeline keeps code byte-exact)."""
    root = lxml.html.fromstring(path.read_bytes())
    for hidden in root.xpath("//script|//style"):
        hidden.drop_tree()
    for listing in root.iter("pre"):
        code = listing.text_content()
        for child in list(listing):
            listing.remove(child)
        listing.text = f"```\n{code}\n```"
    return "\n".join(part.strip() for part in root.itertext() if part.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handbook", type=Path, default=HANDBOOK)
    parser.add_argument("--list", action="store_true", help="print every redaction with its context")
    args = parser.parse_args()
    if not args.handbook.is_dir():
        raise SystemExit(f"{args.handbook} is missing: apt-get install debian-handbook")
    redactor = PiiRedactor(PiiConfig(person="none"))
    counts: Counter = Counter()
    pages = 0
    for language in sorted(p for p in args.handbook.iterdir() if p.is_dir()):
        lang = language.name.split("-")[0]
        paths = sorted(language.rglob("*.html"))
        texts = [page_text(path) for path in paths]
        pages += len(texts)
        found = redactor.find_batch(texts, [lang] * len(texts))
        for path, text, hits in zip(paths, texts, found, strict=True):
            for start, end, entity, _ in hits:
                if entity not in TYPES:
                    continue
                counts[entity] += 1
                if args.list:
                    context = f"{text[max(0, start - 40) : start]}[[{text[start:end]}]]{text[end : end + 30]}"
                    print(f"  {entity:15} {lang:3} {path.name[:32]:32} {context!r}")
    print(f"{pages} pages of {args.handbook}, 26 languages")
    print("redactions: " + ", ".join(f"{entity} {counts[entity]}" for entity in TYPES))


if __name__ == "__main__":
    main()
