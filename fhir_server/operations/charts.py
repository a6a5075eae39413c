"""Horizontal bar charts as hand-written SVG (no dependency): one bar per unit, its percentage at the
bar's end, and a dashed line at the threshold. Horizontal bars keep long commune names readable on a
phone; `viewBox` with no fixed width lets the page scale the chart to the screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

_LABEL_W = 170  # room for the unit names
_PLOT_W = 300
_VALUE_W = 60
_ROW_H = 26
_TOP = 40
_BOTTOM = 30


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    percent: float | None  # None: no eligible children
    flagged: bool  # below (coverage) or above (dropout) the threshold


def bar_chart(title: str, bars: Sequence[Bar], threshold: float, scale_max: float = 100.0) -> str:
    """`threshold` and the values are percentages on a 0..scale_max axis."""
    width = _LABEL_W + _PLOT_W + _VALUE_W
    height = _TOP + _ROW_H * max(len(bars), 1) + _BOTTOM

    def x(value: float) -> float:
        return _LABEL_W + _PLOT_W * min(max(value, 0.0), scale_max) / scale_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for n, bar in enumerate(bars):
        y = _TOP + n * _ROW_H
        out.append(f'<text x="{_LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(bar.label[:28])}</text>')
        if bar.percent is None:
            out.append(f'<text x="{_LABEL_W + 4}" y="{y + 16}" fill="#666">—</text>')
            continue
        colour = "#d9534f" if bar.flagged else "#2e7d32"
        out.append(
            f'<rect class="bar" x="{_LABEL_W}" y="{y + 4}" width="{x(bar.percent) - _LABEL_W:.1f}"'
            f' height="{_ROW_H - 8}" fill="{colour}"/>'
        )
        out.append(f'<text x="{x(bar.percent) + 4:.1f}" y="{y + 16}">{bar.percent:.1f}%</text>')
    bottom = _TOP + _ROW_H * max(len(bars), 1)
    tx = x(threshold)
    out.append(
        f'<line class="threshold" x1="{tx:.1f}" y1="{_TOP - 6}" x2="{tx:.1f}" y2="{bottom + 4}"'
        ' stroke="#1565c0" stroke-width="2" stroke-dasharray="5,3"/>'
    )
    out.append(
        f'<text x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle" fill="#1565c0">{threshold:.0f}%</text>'
    )
    out.append(f'<line x1="{_LABEL_W}" y1="{_TOP - 6}" x2="{_LABEL_W}" y2="{bottom}" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out)
