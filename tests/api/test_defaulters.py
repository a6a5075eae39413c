"""`$defaulters`: overdue children read from stored ImmunizationRecommendations, by commune."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.settings import Settings
from tests.api.coverage_world import JSON, child, load

STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
LOINC = "http://loinc.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the forecast upkeep, which would add a stored ImmunizationRecommendation per child."""
    return settings.model_copy(update={"forecast_upkeep": False})


def recommendation(id: str, patient: str, made: str, *items: tuple[str, str, int, str]) -> dict[str, Any]:
    """items: (vaccine text, forecast status, dose number, due date)."""
    return {
        "resourceType": "ImmunizationRecommendation", "id": id, "date": made,
        "patient": {"reference": f"Patient/{patient}"},
        "recommendation": [
            {
                "vaccineCode": [{"text": vaccine}],
                "forecastStatus": {"coding": [{"system": STATUS, "code": status}]},
                "doseNumberPositiveInt": dose,
                "dateCriterion": [{"code": {"coding": [{"system": LOINC, "code": "30980-7"}]}, "value": due}],
            }
            for vaccine, status, dose, due in items
        ],
    }  # fmt: skip


@pytest.fixture
def world(client: TestClient) -> TestClient:
    load(client)
    extra = [
        child("g", "org-2", "male", "2026-03-01"),
        # c (79001): overdue for MCV1; an older stored forecast said Penta 2 was overdue (superseded)
        recommendation("rec-c-old", "c", "2025-06-01", ("Penta", "overdue", 2, "2025-04-10")),
        recommendation(
            "rec-c",
            "c",
            "2026-10-01",
            ("Sởi", "overdue", 1, "2025-10-10"),
            ("Viêm não Nhật Bản", "due", 1, "2026-01-10"),
        ),
        # e (79002): two overdue doses
        recommendation(
            "rec-e",
            "e",
            "2026-10-01",
            ("Penta", "overdue", 1, "2025-03-10"),
            ("bOPV", "overdue", 1, "2025-03-10"),
        ),
        # a: nothing overdue; g (79002): overdue, eight months old
        recommendation("rec-a", "a", "2026-10-01", ("JE", "due", 3, "2027-01-10")),
        recommendation("rec-g", "g", "2026-10-01", ("BCG", "overdue", 1, "2026-03-01")),
    ]
    for resource in extra:
        response = client.put(
            f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource, headers=JSON
        )
        assert response.status_code in (200, 201), response.text
    return client


def _defaulters(parameters: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, int]]]]:
    out = []
    for p in parameters.get("parameter", []):
        parts = p["part"]
        patient = next(x["valueReference"]["reference"] for x in parts if x["name"] == "patient")
        area = next(x["valueReference"]["reference"] for x in parts if x["name"] == "area")
        doses = [
            ({y["name"]: y for y in x["part"]}["vaccine"]["valueString"],
             {y["name"]: y for y in x["part"]}["daysOverdue"]["valueInteger"])
            for x in parts if x["name"] == "overdue"
        ]  # fmt: skip
        out.append((patient, area, doses))
    return out


def test_defaulters_by_commune_with_days_overdue(world: TestClient) -> None:
    response = world.get("/fhir/$defaulters", params={"area": "79", "age-max": "36", "date": "2026-11-01"})
    assert response.status_code == 200, response.text
    assert _defaulters(response.json()) == [
        ("Patient/c", "Location/area-79001", [("Sởi", 387)]),
        ("Patient/e", "Location/area-79002", [("Penta", 601), ("bOPV", 601)]),
        ("Patient/g", "Location/area-79002", [("BCG", 245)]),
    ]


def test_age_limit_and_commune(world: TestClient) -> None:
    young = world.get("/fhir/$defaulters", params={"area": "79", "age-max": "12", "date": "2026-11-01"})
    assert [d[0] for d in _defaulters(young.json())] == ["Patient/g"]
    commune = world.get("/fhir/$defaulters", params={"area": "79001", "age-max": "36", "date": "2026-11-01"})
    assert [d[0] for d in _defaulters(commune.json())] == ["Patient/c"]


def test_recall_list_csv(world: TestClient) -> None:
    params = {"area": "79002", "age-max": "36", "date": "2026-11-01", "_format": "csv"}
    rows = list(csv.DictReader(io.StringIO(world.get("/fhir/$defaulters", params=params).text)))
    assert [(r["patient"], r["vaccine"], r["dose"], r["due_date"], r["days_overdue"]) for r in rows] == [
        ("e", "Penta", "1", "2025-03-10", "601"),
        ("e", "bOPV", "1", "2025-03-10", "601"),
        ("g", "BCG", "1", "2026-03-01", "245"),
    ]


def test_bad_age(world: TestClient) -> None:
    response = world.get("/fhir/$defaulters", params={"area": "79", "age-max": "old"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["age-max"]
