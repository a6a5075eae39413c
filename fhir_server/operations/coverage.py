"""`$coverage`: EPI coverage of an area's children as a FHIR MeasureReport (type summary) or CSV.

`GET [base]/$coverage?area=<Location id | admin code>&cohort=2025&date=2026-11-01` or `age=12-23`
(completed months at the assessment date) instead of `cohort`. Indicators: operations/indicators.py;
definitions and sources: docs/indicators.md; the OperationDefinition:
conformance/operations/OperationDefinition-coverage.json.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from fhir_server.model.outcome import FhirError
from fhir_server.operations import coverage_table
from fhir_server.operations.coverage_data import Area, CoverageData
from fhir_server.operations.indicators import Counts, Indicator, add_months, compute
from fhir_server.types import JsonResource

MEASURE = "https://fhir.vn/Measure/epi-coverage"
INDICATOR_SYSTEM = "https://fhir.vn/CodeSystem/epi-coverage-indicator"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
_AGE = re.compile(r"^(\d{1,3})-(\d{1,3})$")


@dataclass(frozen=True, slots=True)
class CoverageQuery:
    area: str
    born_from: date  # inclusive
    born_before: date  # exclusive
    on: date  # the assessment date
    label: str  # "cohort 2025" / "age 12-23 months"


def _bad(en: str, vi: str, expression: str) -> FhirError:
    return FhirError.of(400, "invalid", en, vi, expression)


def parse_query(params: Mapping[str, str], today: date) -> CoverageQuery:
    area = params.get("area", "").strip()
    if not area:
        raise _bad("The parameter 'area' is required", "Cần tham số 'area' (địa bàn)", "area")
    try:
        on = date.fromisoformat(params["date"]) if params.get("date") else today
    except ValueError:
        raise _bad("'date' must be a date (YYYY-MM-DD)", "'date' phải là ngày (YYYY-MM-DD)", "date") from None
    if params.get("cohort") and params.get("age"):
        raise _bad("Give 'cohort' or 'age', not both", "Chỉ dùng một trong 'cohort' hoặc 'age'", "cohort")
    if age := params.get("age"):
        match = _AGE.match(age)
        if not match or int(match[1]) > int(match[2]):
            raise _bad(
                "'age' is a band of completed months, e.g. 12-23",
                "'age' là khoảng tháng tuổi tròn, ví dụ 12-23", "age",
            )  # fmt: skip
        low, high = int(match[1]), int(match[2])
        # aged low..high completed months on `on`: born after on - (high + 1) months, on or before on - low
        return CoverageQuery(
            area, add_months(on, -(high + 1)), add_months(on, -low), on, f"age {low}-{high} months"
        )
    cohort = params.get("cohort") or str(on.year - 1)
    if not cohort.isdigit() or not 1900 < int(cohort) < 2200:
        raise _bad("'cohort' is a birth year, e.g. 2025", "'cohort' là năm sinh, ví dụ 2025", "cohort")
    year = int(cohort)
    return CoverageQuery(area, date(year, 1, 1), date(year + 1, 1, 1), on, f"cohort {year}")


@dataclass(frozen=True, slots=True)
class CoverageResult:
    query: CoverageQuery
    area: Area
    indicators: list[Indicator]


def run(data: CoverageData, query: CoverageQuery) -> CoverageResult:
    area = data.area(query.area)
    table = data.table(area, query.born_from, query.born_before)
    if table is not None:
        return CoverageResult(query, area, coverage_table.compute(table, query.on))
    children = data.children(area, query.born_from, query.born_before)
    return CoverageResult(query, area, compute(children, query.on))


def _population(code: str, count: int) -> JsonResource:
    return {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}, "count": count}


def _score(counts: Counts) -> JsonResource:
    score = counts.score
    return {} if score is None else {"measureScore": {"value": round(score, 4), "unit": "1"}}


def _populations(counts: Counts) -> list[JsonResource]:
    return [
        _population("initial-population", counts.initial),
        _population("denominator", counts.denominator),
        _population("numerator", counts.numerator),
    ]


def _group(indicator: Indicator) -> JsonResource:
    stratifiers: list[JsonResource] = [
        {
            "code": [{"text": "sex"}],
            "stratum": [
                {"value": {"text": sex}, "population": _populations(c), **_score(c)}
                for sex, c in sorted(indicator.by_sex.items())
            ],
        }
    ]
    if indicator.kind in ("coverage", "timely"):
        # Numerators by the programme of the dose counted, over the whole denominator.
        denominator = indicator.total.denominator
        stratifiers.append(
            {
                "code": [{"text": "program"}],
                "stratum": [
                    {
                        "value": {"text": program},
                        "population": [_population("numerator", c.numerator)],
                        **_score(Counts(indicator.total.initial, denominator, c.numerator)),
                    }
                    for program, c in sorted(indicator.by_program.items())
                ],
            }
        )
    stratifiers = [s for s in stratifiers if s["stratum"]]  # FHIR allows no empty arrays
    return {
        "id": indicator.code.lower(),
        "code": {
            "coding": [{"system": INDICATOR_SYSTEM, "code": indicator.code, "display": indicator.en}],
            "text": indicator.vi,
        },
        "population": _populations(indicator.total),
        **_score(indicator.total),
        **({"stratifier": stratifiers} if stratifiers else {}),
    }


def measure_report(result: CoverageResult, generated: str) -> JsonResource:
    q = result.query
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": MEASURE,
        "subject": {"reference": f"Location/{result.area.unit.id}", "display": result.area.unit.name},
        "date": generated,
        "period": {"start": q.born_from.isoformat(), "end": q.on.isoformat()},
        "group": [_group(i) for i in result.indicators],
    }


CSV_COLUMNS = (
    "indicator", "label_vi", "label_en", "stratifier", "stratum",
    "initial_population", "denominator", "numerator", "percent",
)  # fmt: skip


def _percent(counts: Counts) -> str:
    score = counts.score
    return "" if score is None else f"{100 * score:.1f}"


def to_csv(result: CoverageResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i in result.indicators:
        t = i.total
        writer.writerow([i.code, i.vi, i.en, "", "", t.initial, t.denominator, t.numerator, _percent(t)])
        for sex, c in sorted(i.by_sex.items()):
            row = [i.code, i.vi, i.en, "sex", sex, c.initial, c.denominator, c.numerator, _percent(c)]
            writer.writerow(row)
        if i.kind in ("coverage", "timely"):
            for program, c in sorted(i.by_program.items()):
                whole = Counts(t.initial, t.denominator, c.numerator)
                writer.writerow([i.code, i.vi, i.en, "program", program, "", t.denominator, c.numerator,
                                 _percent(whole)])  # fmt: skip
    return out.getvalue()
