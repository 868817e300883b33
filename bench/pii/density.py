"""PII density on real web pages: the distribution that the optional `pii.density` rule cuts.

    PYTHONPATH=. .venv/bin/python -m bench.pii.density [--webpages /work/shared/webpages-dev]

Runs the PII stage (default policy, language from the language-id stage) over the main content of every
webpages-dev page, prints the quantiles of identifiers per 1,000 words, the share of pages a rule
{density: {max: T}} would reject for several T, and the densest pages with their identifiers, to read by
eye whether they are contact lists. Never passes or fails.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from classifiers.langid import LangId
from pipeline.pii.stage import PiiStage
from schemas.document import Document

THRESHOLDS = (5, 10, 20, 30, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webpages", type=Path, default=Path("/work/shared/webpages-dev"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.webpages / "ground-truth.jsonl").open(encoding="utf-8")]
    langid = LangId()
    docs = [
        Document(
            id=r["id"],
            source="webpages-dev",
            text=r["main_content"],
            url=r["url"],
            lang=langid.predict(r["main_content"])[0],
        )
        for r in rows
        if r["main_content"].strip()
    ]
    types = {r["id"]: r["page_type"] for r in rows}
    PiiStage().process_batch(docs)
    densities = sorted(d.signals["pii.density"] for d in docs)
    quantiles = {p: densities[int(p * (len(densities) - 1))] for p in (0.5, 0.9, 0.95, 0.99, 1.0)}
    print(
        f"{len(docs)} pages; pii.density (identifiers per 1,000 words): "
        + ", ".join(f"p{int(p * 100)} {v:.1f}" for p, v in quantiles.items())
    )
    print("pages with any identifier:", sum(v > 0 for v in densities))
    for threshold in THRESHOLDS:
        over = [d for d in docs if d.signals["pii.density"] > threshold]
        print(
            f"  rule max {threshold:>3}: rejects {len(over):>3} pages ({len(over) / len(docs):.1%}), "
            f"types {dict(Counter(types[d.id] for d in over))}"
        )
    print("densest pages:")
    for doc in sorted(docs, key=lambda d: -d.signals["pii.density"])[:12]:
        print(f"  {doc.signals['pii.density']:6.1f}  {types[doc.id]:13} {doc.url[:60]:60} {doc.pii}")


if __name__ == "__main__":
    main()
