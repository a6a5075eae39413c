"""ConceptMap/$translate over HTTP: type and instance level, GET and POST, and its errors."""

from __future__ import annotations

from starlette.testclient import TestClient

FORMER = "https://fhir.vn/CodeSystem/vn-commune-2004"
FHIR = {"content-type": "application/fhir+json"}


def test_type_level_get_and_instance_level_post(client: TestClient) -> None:
    got = client.get("/fhir/ConceptMap/$translate", params={"system": FORMER, "code": "26734"})
    assert got.status_code == 200
    match = next(p for p in got.json()["parameter"] if p["name"] == "match")
    concept = next(part for part in match["part"] if part["name"] == "concept")["valueCoding"]
    assert concept == {"system": "https://fhir.vn/CodeSystem/vn-commune", "code": "26737",
                       "display": "Phường Tân Định"}  # fmt: skip
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "coding", "valueCoding": {"system": FORMER, "code": "26734"}}]}  # fmt: skip
    posted = client.post("/fhir/ConceptMap/vn-commune-2004-to-2025/$translate", json=body, headers=FHIR)
    assert posted.status_code == 200 and posted.json() == got.json()


def test_the_map_is_served_read_only(client: TestClient) -> None:
    found = client.get(
        "/fhir/ConceptMap", params={"url": "https://fhir.vn/ConceptMap/vn-commune-2004-to-2025"}
    )
    assert found.status_code == 200 and found.json()["total"] == 1


def test_errors_are_operation_outcomes(client: TestClient) -> None:
    missing = client.get("/fhir/ConceptMap/$translate", params={"system": FORMER})
    assert missing.status_code == 400 and missing.json()["resourceType"] == "OperationOutcome"
    unknown = client.get("/fhir/ConceptMap/nothing/$translate", params={"system": FORMER, "code": "1"})
    assert unknown.status_code == 404 and unknown.json()["issue"][0]["code"] == "not-found"
    coding = {"coding": [{"system": FORMER, "code": "1"}]}
    concept = {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": coding}],
    }
    refused = client.post("/fhir/ConceptMap/$translate", json=concept, headers=FHIR)
    assert refused.status_code == 400 and refused.json()["issue"][0]["code"] == "not-supported"
