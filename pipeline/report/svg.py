"""Small inline SVG charts for the report: horizontal bars (the funnel), grouped bars (the mixture) and
histograms with threshold lines. Plain strings, no script: the page draws offline in any browser."""

from __future__ import annotations

from html import escape

import numpy as np

KEPT, REJECTED, THRESHOLD, REQUESTED, ACHIEVED = "#3b6fb6", "#e08a2c", "#c0392b", "#9aa9bd", "#3b6fb6"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _number(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def funnel(rows: list[dict], key_in: str, key_rejected: str, title: str) -> str:
    """One bar per stage: what reaches it, split into what it rejects (orange) and passes on (blue)."""
    width, label_w, bar_h, gap = 640, 150, 16, 5
    top = max((row[key_in] for row in rows), default=0) or 1
    height = 24 + len(rows) * (bar_h + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" {FONT}>',
        f'<text x="0" y="12" font-weight="bold">{escape(title)}</text>',
    ]
    scale = (width - label_w - 110) / top  # room for "281k (-156k)" after the longest bar
    for i, row in enumerate(rows):
        y = 22 + i * (bar_h + gap)
        passed = max(row[key_in] - row[key_rejected], 0)
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(row["stage"])}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{passed * scale:.1f}" height="{bar_h}" fill="{KEPT}"/>'
        )
        parts.append(
            f'<rect x="{label_w + passed * scale:.1f}" y="{y}" width="{row[key_rejected] * scale:.1f}" '
            f'height="{bar_h}" fill="{REJECTED}"/>'
        )
        label = _number(row[key_in]) + (f" (-{_number(row[key_rejected])})" if row[key_rejected] else "")
        parts.append(f'<text x="{label_w + row[key_in] * scale + 4:.1f}" y="{y + 12}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def mixture(buckets: dict[str, dict]) -> str:
    """Requested (grey) and achieved (blue) token weight per bucket."""
    width, height, left, bottom = 420, 200, 36, 30
    names = list(buckets)
    top = max([0.01, *(max(b["requested"], b["achieved"]) for b in buckets.values())])
    plot_h = height - bottom - 20
    slot = (width - left) / max(len(names), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" {FONT}>']
    for tick in (0, top / 2, top):
        y = 10 + plot_h * (1 - tick / top)
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for i, name in enumerate(names):
        b = buckets[name]
        x = left + i * slot + slot * 0.15
        bar = slot * 0.33
        for j, (value, color) in enumerate(((b["requested"], REQUESTED), (b["achieved"], ACHIEVED))):
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{10 + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{value:.3f}</title></rect>'
            )
        parts.append(f'<text x="{x + bar:.1f}" y="{height - 12}" text-anchor="middle">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    kept: np.ndarray,
    rejected: np.ndarray,
    bounds: list[tuple[float | None, float | None]],
    title: str,
    bins: int = 30,
) -> str:
    """Stacked histogram of a signal (kept blue, rejected orange) with the rule's thresholds in red."""
    width, height, left, bottom = 320, 150, 34, 28
    values = np.concatenate([kept, rejected])
    cuts = [v for pair in bounds for v in pair if v is not None]
    if len(values):
        low, high = np.percentile(values, [0.5, 99.5])
        low, high = min([low, *cuts]), max([high, *cuts])
    else:
        low, high = (min(cuts), max(cuts)) if cuts else (0.0, 1.0)
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    k = np.histogram(np.clip(kept, low, high), edges)[0]
    r = np.histogram(np.clip(rejected, low, high), edges)[0]
    top = max(int((k + r).max(initial=0)), 1)
    plot_w, plot_h = width - left - 6, height - bottom - 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" {FONT}>',
        f'<text x="{left}" y="11" font-weight="bold">{escape(title)}</text>',
    ]
    step = plot_w / bins
    for i in range(bins):
        x = left + i * step
        hk, hr = plot_h * k[i] / top, plot_h * r[i] / top
        base = 16 + plot_h
        parts.append(
            f'<rect x="{x:.1f}" y="{base - hk:.1f}" width="{step - 0.5:.1f}" height="{hk:.1f}" '
            f'fill="{KEPT}"/>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{base - hk - hr:.1f}" width="{step - 0.5:.1f}" height="{hr:.1f}" '
            f'fill="{REJECTED}"/>'
        )
    for cut in cuts:
        x = left + plot_w * (cut - low) / (high - low)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="14" y2="{16 + plot_h}" stroke="{THRESHOLD}" '
            f'stroke-width="2" stroke-dasharray="4 2"/>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{16 + plot_h}" y2="{16 + plot_h}" stroke="#888"/>'
    )
    parts.append(f'<text x="{left}" y="{height - 6}">{_number(low)}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{height - 6}" text-anchor="end">{_number(high)}</text>')
    parts.append(f'<text x="{left - 4}" y="22" text-anchor="end">{top}</text>')
    parts.append("</svg>")
    return "".join(parts)
