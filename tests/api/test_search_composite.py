"""Composite parameters end to end: index on write, `a$b` in the query, one element for every part."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def blood_pressure(id: str, systolic: int, diastolic: int) -> dict[str, Any]:
    def component(code: str, value: int) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": "Patient/p1"},
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


def _ids(client: TestClient, **params: str) -> list[str]:
    response = client.get("/fhir/Observation", params=params, headers={"Prefer": "handling=strict"})
    assert response.status_code == 200, response.text
    return [entry["resource"]["id"] for entry in response.json().get("entry", ())]


def test_component_code_value_quantity(client: TestClient) -> None:
    for id, systolic, diastolic in (("high", 150, 70), ("odd", 115, 95)):
        response = client.put(
            f"/fhir/Observation/{id}",
            json=blood_pressure(id, systolic, diastolic),
            headers={"Content-Type": FHIR_JSON},
        )
        assert response.status_code == 201, response.text
    param = "component-code-value-quantity"
    assert _ids(client, **{param: f"{LOINC}|8480-6$gt140"}) == ["high"]
    assert _ids(client, **{param: f"8480-6$lt80|{UCUM}|mm[Hg]"}) == []  # 70 is the diastolic
    assert _ids(client, **{param: "8462-4$ge90,8480-6$ge150"}) == ["high", "odd"]
    assert _ids(client, **{"combo-code-value-quantity": "8462-4$ge90"}) == ["odd"]


def test_malformed_composite_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Observation", params={"component-code-value-quantity": "8480-6"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["component-code-value-quantity"]
