"""`Patient?identifier:of-type=[type system]|[type code]|[value]` through the whole app on SQLite."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def _ids(client: TestClient, query: str, **headers: str) -> list[str]:
    response = client.get(f"/fhir/Patient?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(entry["resource"]["id"] for entry in response.json().get("entry", []))


def test_identifier_of_type(client: TestClient) -> None:
    records = {
        "mr": [{"type": {"coding": [{"system": V2, "code": "MR"}]}, "system": "urn:h", "value": "12345"}],
        "passport": [
            {"type": {"coding": [{"system": V2, "code": "PPN"}]}, "system": "urn:p", "value": "12345"}
        ],
        "untyped": [{"system": "urn:h", "value": "12345"}],
    }
    for id, identifiers in records.items():
        response = client.put(
            f"/fhir/Patient/{id}",
            json=patient(id, identifier=identifiers),
            headers={"Content-Type": FHIR_JSON},
        )
        assert response.status_code == 201, response.text
    assert _ids(client, f"identifier:of-type={V2}|MR|12345") == ["mr"]
    assert _ids(client, f"identifier:of-type={V2}|PPN|12345,{V2}|MR|12345") == ["mr", "passport"]
    assert _ids(client, f"identifier:of-type={V2}|MR|999") == []
    assert _ids(client, "identifier=12345") == ["mr", "passport", "untyped"]
    strict = client.get(
        f"/fhir/Patient?identifier:of-type={V2}|MR|12345&_total=accurate",
        headers={"Prefer": "handling=strict"},
    )
    assert strict.status_code == 200 and strict.json()["total"] == 1
    self_link = next(link["url"] for link in strict.json()["link"] if link["relation"] == "self")
    assert "of-type" in self_link


def test_malformed_of_type_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Patient?identifier:of-type=MR|12345")
    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "invalid"
