"""The report page: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched) built from a
run's manifest and its stored rows: the funnel in documents and tokens, first and all reasons, the mixture
requested against achieved, a histogram per rule's signal with its thresholds, and sample kept and
rejected documents per reason with the offending part marked."""

from __future__ import annotations

import heapq
from html import escape

import numpy as np

from pipeline.audit import Audit, Finding, excerpt
from pipeline.mixture import REASON
from pipeline.report import svg
from pipeline.rules import RuleBook
from pipeline.stored import StoredRun, read_columns, read_documents
from schemas.hashing import stable_hash

MAX_ROWS = 200_000  # rows read for the histograms: a sample of the files beyond this
MAX_REASONS = 12  # reasons shown with samples, by first-reason count
MAX_SAMPLE_FILES = 16  # files read per reason for its sample documents

CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #eee;
text-align:right}td:first-child,th:first-child,td.text,th.text{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:12px}
.doc{border:1px solid #ddd;border-radius:4px;padding:8px;margin:8px 0;font-size:12px}
.doc pre{white-space:pre-wrap;background:#fafafa;padding:6px;max-height:220px;overflow:auto}
mark{background:#ffd27a}.muted{color:#777}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
"""


def _rows_for_histograms(run: StoredRun) -> list[str]:
    """The files read for histograms: every file, or every k-th when the output holds more than MAX_ROWS."""
    files = [(s["path"], s["rows"]) for s in run.manifest["shards"] if s["kind"] in ("shards", "rejected")]
    total = sum(rows for _, rows in files)
    step = max(1, -(-total // MAX_ROWS))
    return [f"{run.output}/{path}" for path, _ in sorted(files)[::step]]


def _table(headers: list[str], rows: list[list]) -> str:
    text = [bool(rows) and not _numeric(cell) for cell in (rows[0] if rows else headers)]
    head = "".join(
        f"<th{' class=text' if t else ''}>{escape(h)}</th>" for h, t in zip(headers, text, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{'' if _numeric(c) else ' class=text'}>{escape(str(c))}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _numeric(cell) -> bool:
    return str(cell).replace(",", "").replace(".", "").replace("-", "").isdigit()


def _fmt(value) -> str:
    return (
        f"{value:,}" if isinstance(value, int) else f"{value:.3f}" if isinstance(value, float) else str(value)
    )


def _excerpt_html(text: str, spans) -> str:
    window, inside = excerpt(text, spans, 900)
    out, last = [], 0
    for start, end in inside:
        out += [escape(window[last:start]), "<mark>", escape(window[start:end]), "</mark>"]
        last = end
    out.append(escape(window[last:]))
    return "".join(out)


def _finding_html(f: Finding) -> str:
    doc = f.doc
    value = "" if f.value is None else f" = {f.value:.4g}"
    bound = ""
    if f.bound:
        low, high = f.bound
        bound = (
            " (bound "
            + ", ".join(
                p
                for p in (
                    f"min {low:g}" if low is not None else "",
                    f"max {high:g}" if high is not None else "",
                )
                if p
            )
            + ")"
        )
    keeper = (
        f"<div>duplicate of <code>{escape(doc.dup_cluster)}</code>"
        + (f" ({escape(f.keeper.url or f.keeper.source)})" if f.keeper else "")
        + "</div>"
        if doc.dup_cluster
        else ""
    )
    return (
        f'<div class="doc"><div><b>{escape(doc.url or doc.source)}</b> <span class="muted">'
        f"{escape(doc.id)} · {escape(str(doc.domain))} · {escape(str(doc.lang))} · {doc.tokens:,} tokens"
        f"</span></div><div>{escape(f.reason)}{escape(value)}{escape(bound)} · all reasons: "
        f"{escape(', '.join(doc.rejected_by))}</div>{keeper}"
        f"<pre>{_excerpt_html(doc.text, f.spans)}</pre></div>"
    )


def _kept_sample(run: StoredRun, n: int) -> list:
    docs = (d for path in run.files("shards")[:MAX_SAMPLE_FILES] for d in read_documents(path))
    ranked = ((stable_hash(d.id), d.id, d) for d in docs if not d.rejected_by and d.copy_of is None)
    return [d for _, _, d in heapq.nsmallest(n, ranked, key=lambda r: (r[0], r[1]))]


def histograms(run: StoredRun, book: RuleBook) -> list[str]:
    """One histogram per rule signal that the stored rows hold, kept against rejected, thresholds drawn."""
    rules: dict[str, list[tuple]] = {}
    keys: dict[str, str] = {}
    for name, stage in book.stages.items():
        settings = stage.settings
        tables = [
            settings.rules_for(None, None),
            *(settings.rules_for(d, None) for d in settings.overrides.domain),
            *(settings.rules_for(None, g) for g in settings.overrides.lang),
        ]
        for table in tables:
            for rule, bounds in table.items():
                reason = f"{name}.{rule}"
                keys[reason] = stage.signal_key(rule)
                if (bounds.min, bounds.max) not in rules.setdefault(reason, []):
                    rules[reason].append((bounds.min, bounds.max))
    cols = read_columns(_rows_for_histograms(run), keys=set(keys.values()))
    rejected = np.zeros(len(cols), dtype=bool)  # by a rule: the mixture's sampled-out documents are not
    by_rule = [i for i, name in enumerate(cols.reason_names) if name != REASON]
    rejected[cols.reason_rows[np.isin(cols.reason_codes, by_rule)]] = True
    original = np.array([c is None for c in cols.copy_of], dtype=bool)  # a repeated document counts once
    charts = []
    for reason in sorted(rules):
        values = cols.signals.get(keys[reason])
        if values is None:
            continue
        present = ~np.isnan(values) & original
        title = (
            reason if len(rules[reason]) == 1 else f"{reason} ({len(rules[reason])} bounds by domain/lang)"
        )
        charts.append(
            svg.histogram(values[present & ~rejected], values[present & rejected], rules[reason], title)
        )
    return charts


def build(run: StoredRun, samples: int = 3) -> str:
    """The whole page as one string."""
    m = run.manifest
    cfg = run.config()
    counts = m["counts"]
    annotate = run.mode == "annotate"
    book = RuleBook(cfg, run.stage_names)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>curate report: {escape(run.output)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>curate report <span class='muted'>{escape(run.output)}</span></h1>",
        f"<p>{escape(m['created_at'])} · mode {escape(run.mode)} · config "
        f"{escape(m['config_sha256'][:12])}</p>",
    ]
    dropped = "flagged" if annotate else "rejected"
    totals = {  # header -> manifest count
        "input": "input",
        "kept": "kept",
        dropped: dropped,
        "errors": "errors",
        "rows": "rows",
        "repeats": "copies",
        "kept tokens": "kept_tokens",
    }
    parts.append(_table(list(totals), [[_fmt(counts[key]) for key in totals.values()]]))
    legend = (
        "<p class='legend'><span style='background:#3b6fb6'></span>passed on"
        "<span style='background:#e08a2c'></span>" + ("would reject" if annotate else "rejected") + "</p>"
    )
    parts.append("<h2>Funnel</h2>" + legend + "<div class='grid'>")
    parts.append(svg.funnel(m["funnel"], "in", "rejected", "documents per stage"))
    parts.append(svg.funnel(m["funnel"], "in_tokens", "rejected_tokens", "tokens per stage"))
    parts.append("</div>")
    parts.append(
        _table(
            ["stage", "in", "tokens in", "rejected", "tokens rejected", "errors", "out", "tokens out"],
            [
                [
                    r["stage"],
                    *(
                        _fmt(r[k])
                        for k in (
                            "in",
                            "in_tokens",
                            "rejected",
                            "rejected_tokens",
                            "errors",
                            "out",
                            "out_tokens",
                        )
                    ),
                ]
                for r in m["funnel"]
            ],
        )
    )
    reasons = sorted(m["reasons"].items(), key=lambda kv: (-kv[1]["first"], kv[0]))
    parts.append(
        "<h2>Reasons</h2><p class='muted'>first: documents whose first failed rule it is (they add up to "
        "the rejected documents); all: documents failing it at all.</p>"
    )
    parts.append(
        _table(
            ["reason", "first", "first tokens", "all"],
            [[r, _fmt(v["first"]), _fmt(v["first_tokens"]), _fmt(v["all"])] for r, v in reasons],
        )
    )
    mix = m["mixture"]
    parts.append(
        "<h2>Mixture</h2><p class='legend'><span style='background:#9aa9bd'></span>requested"
        "<span style='background:#3b6fb6'></span>achieved"
        + (
            ""
            if mix["applied"]
            else " (annotate mode or mixture disabled: the kept documents' shares; the plan is not applied)"
        )
        + "</p>"
    )
    parts.append(svg.mixture(mix["buckets"]))
    columns = ("requested", "planned", "achieved", "epochs", "documents", "tokens", "output_tokens")
    parts.append(
        _table(
            ["bucket", *(c.replace("_", " ") for c in columns), "why"],
            [[n, *(_fmt(b[c]) for c in columns), b["note"]] for n, b in mix["buckets"].items()],
        )
    )
    parts += [f"<p class='muted'>{escape(note)}</p>" for note in mix["notes"]]
    parts.append(
        "<h2>Signals</h2><p class='legend'><span style='background:#3b6fb6'></span>kept"
        "<span style='background:#e08a2c'></span>rejected or flagged"
        "<span style='background:#c0392b'></span>threshold</p><div class='grid'>"
    )
    parts += histograms(run, book)
    parts.append("</div>")
    audit = Audit(run, MAX_SAMPLE_FILES)
    parts.append("<h2>Samples</h2>")
    for reason, counted in reasons[:MAX_REASONS]:
        if not counted["all"]:
            continue
        parts.append(f"<h3>{escape(reason)} <span class='muted'>({counted['all']:,} documents)</span></h3>")
        parts += [_finding_html(f) for f in audit.sample(reason, samples)]
    parts.append("<h3>kept</h3>")
    for doc in _kept_sample(run, samples):
        parts.append(
            f"<div class='doc'><div><b>{escape(doc.url or doc.source)}</b> <span class='muted'>"
            f"{escape(doc.id)} · {escape(str(doc.domain))} · {doc.tokens:,} tokens</span></div>"
            f"<pre>{_excerpt_html(doc.text, [])}</pre></div>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
