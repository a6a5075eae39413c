"""`$low-coverage`: the sub-units of an area (the communes of a province) ranked by coverage of one dose
and by a dropout rate, flagged below the coverage threshold (default 90 %) or above the dropout threshold
(default 10 %), with the counts behind each figure. As FHIR Parameters or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from fhir_server.model.outcome import FhirError
from fhir_server.operations import coverage_table
from fhir_server.operations.coverage import CoverageQuery
from fhir_server.operations.coverage_data import CoverageData, Unit
from fhir_server.operations.indicators import BY_CODE, DROPOUTS, Counts, by_unit


@dataclass(frozen=True, slots=True)
class Thresholds:
    indicator: str = "PENTA3"
    dropout: str = "DROPOUT-PENTA1-PENTA3"
    coverage_min: float = 0.90
    dropout_max: float = 0.10


@dataclass(frozen=True, slots=True)
class UnitRank:
    rank: int
    unit: Unit
    coverage: Counts
    dropout: Counts
    low_coverage: bool  # below the threshold (a unit without eligible children is not flagged)
    high_dropout: bool


def _fraction(params: Mapping[str, str], name: str, default: float) -> float:
    raw = params.get(name)
    if not raw:
        return default / 100
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise FhirError.of(
            400, "invalid", f"'{name}' is a percentage between 0 and 100",
            f"'{name}' là tỷ lệ phần trăm từ 0 đến 100", name,
        )  # fmt: skip
    return value / 100


def parse_thresholds(params: Mapping[str, str]) -> Thresholds:
    indicator = params.get("indicator") or "PENTA3"
    dropout = params.get("dropout") or "DROPOUT-PENTA1-PENTA3"
    if indicator not in BY_CODE:
        raise FhirError.of(
            400, "invalid", f"Unknown indicator {indicator!r}; one of {', '.join(BY_CODE)}",
            f"Chỉ số {indicator!r} không có; dùng một trong {', '.join(BY_CODE)}", "indicator",
        )  # fmt: skip
    if dropout not in {code for code, *_ in DROPOUTS}:
        raise FhirError.of(
            400, "invalid", f"Unknown dropout rate {dropout!r}",
            f"Tỷ lệ bỏ mũi {dropout!r} không có", "dropout",
        )  # fmt: skip
    return Thresholds(
        indicator, dropout, _fraction(params, "threshold", 90.0), _fraction(params, "dropout-threshold", 10.0)
    )


def rank(data: CoverageData, query: CoverageQuery, thresholds: Thresholds) -> tuple[Unit, list[UnitRank]]:
    area = data.area(query.area)
    table = data.table(area, query.born_from, query.born_before)
    if table is not None:
        per_unit = coverage_table.by_unit(table, query.on)
    else:
        per_unit = by_unit(data.children(area, query.born_from, query.born_before), query.on)
    rows: list[tuple[Unit, Counts, Counts]] = []
    for unit in area.units:
        found = {i.code: i.total for i in per_unit.get(unit.id, [])}
        coverage = found.get(thresholds.indicator, Counts())
        rows.append((unit, coverage, found.get(thresholds.dropout, Counts())))

    def order(row: tuple[Unit, Counts, Counts]) -> tuple[float, float, str]:
        coverage, dropout = row[1].score, row[2].score
        return (2.0 if coverage is None else coverage, -(dropout or 0.0), row[0].name)

    ranked: list[UnitRank] = []
    for n, (unit, coverage, dropout) in enumerate(sorted(rows, key=order), start=1):
        low = coverage.score is not None and coverage.score < thresholds.coverage_min
        high = dropout.score is not None and dropout.score > thresholds.dropout_max
        ranked.append(UnitRank(n, unit, coverage, dropout, low, high))
    return area.unit, ranked


def _counts_parts(prefix: str, counts: Counts) -> list[dict[str, object]]:
    parts: list[dict[str, object]] = [
        {"name": f"{prefix}-denominator", "valueInteger": counts.denominator},
        {"name": f"{prefix}-numerator", "valueInteger": counts.numerator},
    ]
    if counts.score is not None:
        parts.append({"name": prefix, "valueDecimal": round(counts.score, 4)})
    return parts


def to_parameters(area: Unit, ranked: list[UnitRank], thresholds: Thresholds) -> dict[str, object]:
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "area", "valueReference": {"reference": f"Location/{area.id}", "display": area.name}},
            {"name": "indicator", "valueCode": thresholds.indicator},
            {"name": "dropout", "valueCode": thresholds.dropout},
            {"name": "threshold", "valueDecimal": round(thresholds.coverage_min * 100, 2)},
            {"name": "dropout-threshold", "valueDecimal": round(thresholds.dropout_max * 100, 2)},
            *(
                {
                    "name": "unit",
                    "part": [
                        {"name": "rank", "valueInteger": r.rank},
                        {"name": "area", "valueReference": {"reference": f"Location/{r.unit.id}",
                                                             "display": r.unit.name}},
                        *_counts_parts("coverage", r.coverage),
                        *_counts_parts("dropout", r.dropout),
                        {"name": "low-coverage", "valueBoolean": r.low_coverage},
                        {"name": "high-dropout", "valueBoolean": r.high_dropout},
                    ],
                }
                for r in ranked
            ),
        ],
    }  # fmt: skip


def to_csv(ranked: list[UnitRank]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["rank", "location", "code", "name", "coverage_denominator", "coverage_numerator",
                     "coverage_percent", "dropout_denominator", "dropout_numerator", "dropout_percent",
                     "low_coverage", "high_dropout"])  # fmt: skip
    for r in ranked:
        c, d = r.coverage, r.dropout
        writer.writerow([
            r.rank, r.unit.id, r.unit.code, r.unit.name, c.denominator, c.numerator,
            "" if c.score is None else f"{100 * c.score:.1f}", d.denominator, d.numerator,
            "" if d.score is None else f"{100 * d.score:.1f}", int(r.low_coverage), int(r.high_dropout),
        ])  # fmt: skip
    return out.getvalue()
