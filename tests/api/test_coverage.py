"""`$coverage`, `$low-coverage`, the report page and its charts over a hand-built area."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.coverage_world import load

SVG = "{http://www.w3.org/2000/svg}"
ASSESSED = {"cohort": "2025", "date": "2026-11-01"}


@pytest.fixture
def world(client: TestClient) -> TestClient:
    load(client)
    return client


def _group(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(g for g in report["group"] if g["code"]["coding"][0]["code"] == code)


def _counts(group: dict[str, Any]) -> tuple[int, int, int]:
    found = {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]}
    return found["initial-population"], found["denominator"], found["numerator"]


@pytest.mark.parametrize(
    ("area", "penta1", "penta3", "dropout"),
    [
        ("79", (5, 5, 4), (5, 5, 3), (5, 4, 1)),
        ("area-79", (5, 5, 4), (5, 5, 3), (5, 4, 1)),
        ("Location/area-79001", (3, 3, 3), (3, 3, 2), (3, 3, 1)),
        ("79002", (2, 2, 1), (2, 2, 1), (2, 1, 0)),
        ("VN", (5, 5, 4), (5, 5, 3), (5, 4, 1)),
    ],
)
def test_measure_report_counts(
    world: TestClient, area: str, penta1: tuple[int, ...], penta3: tuple[int, ...], dropout: tuple[int, ...]
) -> None:
    response = world.get("/fhir/$coverage", params={"area": area, **ASSESSED})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["resourceType"], report["type"], report["status"]) == (
        "MeasureReport",
        "summary",
        "complete",
    )
    assert report["period"] == {"start": "2025-01-01", "end": "2026-11-01"}
    assert _counts(_group(report, "PENTA1")) == penta1
    assert _counts(_group(report, "PENTA3")) == penta3
    assert _counts(_group(report, "DROPOUT-PENTA1-PENTA3")) == dropout


def test_measure_score_and_strata(world: TestClient) -> None:
    report = world.get("/fhir/$coverage", params={"area": "79", **ASSESSED}).json()
    penta3 = _group(report, "PENTA3")
    assert penta3["measureScore"]["value"] == 0.6
    sex, program = penta3["stratifier"]
    by_sex = {s["value"]["text"]: _counts(s) for s in sex["stratum"]}
    assert by_sex == {"female": (3, 3, 2), "male": (2, 2, 1)}
    assert [(s["value"]["text"], s["population"][0]["count"]) for s in program["stratum"]] == [("EPI", 3)]
    assert "measureScore" not in _group(report, "JE3")  # nobody is 25 months old yet


def test_measure_report_is_valid_fhir(world: TestClient) -> None:
    report = world.get("/fhir/$coverage", params={"area": "79", **ASSESSED}).json()
    report["id"] = "r1"
    response = world.put(
        "/fhir/MeasureReport/r1", json=report, headers={"content-type": "application/fhir+json"}
    )
    assert response.status_code == 201, response.text


def test_csv(world: TestClient) -> None:
    for extra, headers in (({"_format": "csv"}, {}), ({}, {"accept": "text/csv"})):
        response = world.get("/fhir/$coverage", params={"area": "79", **ASSESSED, **extra}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        penta3 = next(r for r in rows if r["indicator"] == "PENTA3" and not r["stratifier"])
        assert (penta3["denominator"], penta3["numerator"], penta3["percent"]) == ("5", "3", "60.0")
        assert penta3["label_vi"] == "5 trong 1 mũi 3"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "area"),
        ({"area": "nowhere"}, "area"),
        ({"area": "79", "cohort": "last"}, "cohort"),
        ({"area": "79", "cohort": "2025", "age": "12-23"}, "cohort"),
        ({"area": "79", "age": "23-12"}, "age"),
        ({"area": "79", "date": "2026-13-01"}, "date"),
    ],
)
def test_bad_parameters(world: TestClient, params: dict[str, str], message: str) -> None:
    response = world.get("/fhir/$coverage", params=params)
    assert response.status_code in (400, 404)
    issue = response.json()["issue"][0]
    assert issue["expression"] == [message]


def test_age_band(world: TestClient) -> None:
    # on 2026-11-01 the 2025-01-10 births are 21 completed months old; the 2024-06-01 birth is 29
    report = world.get("/fhir/$coverage", params={"area": "79", "age": "12-23", "date": "2026-11-01"}).json()
    assert _counts(_group(report, "PENTA1"))[0] == 5
    report = world.get("/fhir/$coverage", params={"area": "79", "age": "24-35", "date": "2026-11-01"}).json()
    assert _counts(_group(report, "PENTA1")) == (1, 1, 1)


def _units(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in parameters["parameter"]:
        if p["name"] == "unit":
            out.append(
                {
                    part["name"]: next(v for k, v in part.items() if k.startswith("value"))
                    for part in p["part"]
                }
            )
    return out


def test_low_coverage_ranks_communes_and_flags_them(world: TestClient) -> None:
    response = world.get("/fhir/$low-coverage", params={"area": "79", **ASSESSED})
    assert response.status_code == 200, response.text
    units = _units(response.json())
    assert [(u["rank"], u["area"]["reference"]) for u in units] == [
        (1, "Location/area-79002"),
        (2, "Location/area-79001"),
    ]
    second = units[1]
    assert (second["coverage-denominator"], second["coverage-numerator"], second["coverage"]) == (
        3,
        2,
        0.6667,
    )
    assert (second["dropout-denominator"], second["dropout-numerator"]) == (3, 1)
    assert second["low-coverage"] is True and second["high-dropout"] is True
    strict_less = {"area": "79", "threshold": "50", "dropout-threshold": "40", **ASSESSED}
    lenient = world.get("/fhir/$low-coverage", params=strict_less)
    assert [(u["low-coverage"], u["high-dropout"]) for u in _units(lenient.json())] == [(False, False)] * 2


def test_low_coverage_csv_and_bad_threshold(world: TestClient) -> None:
    response = world.get("/fhir/$low-coverage", params={"area": "79", "_format": "csv", **ASSESSED})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["code"], r["coverage_percent"], r["low_coverage"]) for r in rows] == [
        ("79002", "50.0", "1"),
        ("79001", "66.7", "1"),
    ]
    bad = world.get("/fhir/$low-coverage", params={"area": "79", "threshold": "120"})
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == ["threshold"]


@pytest.mark.parametrize(("chart", "threshold_label"), [("coverage", "90%"), ("dropout", "10%")])
def test_charts_are_svg_with_a_threshold_line(world: TestClient, chart: str, threshold_label: str) -> None:
    response = world.get("/fhir/reports/coverage.svg", params={"area": "79", "chart": chart, **ASSESSED})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    lines = [e for e in root.iter(f"{SVG}line") if e.get("class") == "threshold"]
    assert len(lines) == 1
    texts = [e.text for e in root.iter(f"{SVG}text")]
    assert threshold_label in texts and "Phường An Bình" in texts
    assert len([e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]) == 2


def test_report_page(world: TestClient) -> None:
    response = world.get("/fhir/reports/coverage", params={"area": "79", **ASSESSED})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page
    assert "Tỷ lệ tiêm chủng" in page and "Immunization coverage" in page
    assert "/fhir/reports/coverage.svg?area=79&amp;cohort=2025&amp;date=2026-11-01&amp;chart=coverage" in page
    assert "Xã Tân Phú" in page and "5 trong 1 mũi 3" in page


def test_unknown_parameter_is_refused(world: TestClient) -> None:
    response = world.get("/fhir/$coverage", params={"area": "79", "colour": "blue"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["colour"]
