"""Small server-rendered SVG charts (pure): no script, no CDN, nothing for the Content-Security-Policy to allow.

A chart is small multiples: one row of bars per series (a topic, a watch, a Kafka topic), on a shared scale, with
the series' name and total beside it and each bar's value in its <title> (the browser's tooltip). Colours are
presentation attributes, not inline styles, so the page's CSP (`style-src 'self'`) holds. Every name is escaped and
stripped of the characters XML 1.0 forbids.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from radar_shared.xml_chars import xml_safe

PALETTE = ("#1f6feb", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#0a7b83", "#6e7781")
ROW, LABEL, TOTAL, GAP = 26, 190, 56, 1


def _escape(value: str) -> Markup:
    """Text for the SVG: escaped, and without the characters XML 1.0 forbids (a watch named with U+FFFF or a
    lone surrogate would otherwise break the chart, and the page around it)."""
    return escape(xml_safe(value))


def day_labels(now: datetime, days: int) -> list[str]:
    """`YYYY-MM-DD` of the last `days` days, oldest first, today last (UTC)."""
    return [(now - timedelta(days=days - 1 - i)).strftime("%Y-%m-%d") for i in range(days)]


def hour_labels(now: datetime, hours: int) -> list[str]:
    """`MM-DD HH:00` of the last `hours` hours, oldest first, the current hour last (UTC)."""
    return [(now - timedelta(hours=hours - 1 - i)).strftime("%m-%d %H:00") for i in range(hours)]


def bars_svg(series: Mapping[str, Sequence[int]], labels: Sequence[str], title: str, width: int = 760) -> Markup:
    """An SVG of one bar row per series over `labels` (days or hours); an empty chart says so."""
    names = list(series)
    if not names:
        return Markup(f'<p class="muted">{_escape(title)}: nothing yet.</p>')
    peak = max((max(values, default=0) for values in series.values()), default=0) or 1
    plot = width - LABEL - TOTAL
    step = plot / max(len(labels), 1)
    height = ROW * len(names) + 18
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_escape(title)}">',
        f"<title>{_escape(title)}</title>",
    ]
    for row, name in enumerate(names):
        values = list(series[name])
        y = row * ROW
        colour = PALETTE[row % len(PALETTE)]
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" fill="#24292f">{_escape(name[:28])}</text>')
        parts.append(f'<line x1="{LABEL}" y1="{y + ROW - 3}" x2="{LABEL + plot:.1f}" y2="{y + ROW - 3}" stroke="#d0d7de" stroke-width="1"/>')
        for i, value in enumerate(values):
            if value <= 0:
                continue
            h = max(2.0, (ROW - 6) * value / peak)
            x = LABEL + i * step
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + ROW - 3 - h:.1f}" width="{max(step - GAP, 1):.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_escape(name)} · {_escape(labels[i])}: {value}</title></rect>"
            )
        parts.append(f'<text x="{width - TOTAL + 8}" y="{y + 16}" font-size="12" fill="#57606a">{sum(values)}</text>')
    axis_y = ROW * len(names) + 14
    parts.append(f'<text x="{LABEL}" y="{axis_y}" font-size="11" fill="#57606a">{_escape(labels[0])}</text>')
    parts.append(f'<text x="{LABEL + plot:.1f}" y="{axis_y}" font-size="11" fill="#57606a" text-anchor="end">{_escape(labels[-1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
