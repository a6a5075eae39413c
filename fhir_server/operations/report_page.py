"""The coverage report as one HTML page (`/reports/coverage?area=…`): no script, no framework, readable on
a phone (fluid SVG charts, a table that scrolls sideways), labels in Vietnamese with English."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fhir_server.operations.coverage import CoverageResult
from fhir_server.operations.indicators import Counts
from fhir_server.operations.low_coverage import Thresholds, UnitRank

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;padding:12px;max-width:960px;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
.en{color:#555;font-size:.9em}
figure{margin:0}figure img,figure svg{width:100%;height:auto}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}
.low{color:#b71c1c;font-weight:bold}
"""


def _pct(counts: Counts) -> str:
    return "—" if counts.score is None else f"{100 * counts.score:.1f}%"


def render(
    result: CoverageResult, ranked: list[UnitRank], thresholds: Thresholds, query: dict[str, str], base: str
) -> str:
    q = result.query
    title = f"Tỷ lệ tiêm chủng — {result.area.unit.name}"
    params = urlencode(query)
    rows = "".join(
        f"<tr><td>{escape(i.vi)}<br><span class=en>{escape(i.en)}</span></td>"
        f"<td>{i.total.denominator}</td><td>{i.total.numerator}</td><td>{_pct(i.total)}</td></tr>"
        for i in result.indicators
    )
    unit_rows = "".join(
        f"<tr><td>{r.rank}. {escape(r.unit.name)}</td>"
        f"<td>{r.coverage.numerator}/{r.coverage.denominator}</td>"
        f"<td{' class=low' if r.low_coverage else ''}>{_pct(r.coverage)}</td>"
        f"<td>{r.dropout.numerator}/{r.dropout.denominator}</td>"
        f"<td{' class=low' if r.high_dropout else ''}>{_pct(r.dropout)}</td></tr>"
        for r in ranked
    )
    charts = "".join(
        f'<figure><img src="{base}/reports/coverage.svg?{escape(urlencode({**query, "chart": chart}))}"'
        f' alt="{escape(alt)}"></figure>'
        for chart, alt in (("coverage", "Coverage by commune"), ("dropout", "Dropout by commune"))
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{escape(title)}<br><span class=en>Immunization coverage — {escape(result.area.unit.name)}</span></h1>
<p>Nhóm trẻ / Children: {escape(q.label)} · Ngày đánh giá / Assessed on {q.on.isoformat()}</p>
<h2>Theo xã/phường <span class=en>By commune ({escape(thresholds.indicator)},
ngưỡng / threshold {100 * thresholds.coverage_min:.0f}%,
bỏ mũi / dropout {100 * thresholds.dropout_max:.0f}%)</span></h2>
{charts}
<div class=scroll><table><thead><tr><th>Xã/phường <span class=en>Commune</span></th>
<th>Đã tiêm <span class=en>Vaccinated</span></th><th>%</th>
<th>Bỏ mũi <span class=en>Dropout</span></th><th>%</th></tr></thead><tbody>{unit_rows}</tbody></table></div>
<h2>Chỉ số <span class=en>Indicators</span></h2>
<div class=scroll><table><thead><tr><th>Chỉ số <span class=en>Indicator</span></th>
<th>Mẫu số <span class=en>Denominator</span></th><th>Tử số <span class=en>Numerator</span></th><th>%</th></tr>
</thead><tbody>{rows}</tbody></table></div>
<p><a href="{base}/$coverage?{escape(params)}">MeasureReport (FHIR)</a> ·
<a href="{base}/$coverage?{escape(urlencode({**query, "_format": "csv"}))}">CSV</a> ·
<a href="{base}/$low-coverage?{escape(params)}">$low-coverage</a></p>
</body></html>
"""
