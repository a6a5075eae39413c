"""Every error is an OperationOutcome with a fitting status; JSON only; body limits."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def _outcome(response_json: dict[str, object]) -> dict[str, object]:
    assert response_json["resourceType"] == "OperationOutcome"
    issues = response_json["issue"]
    assert isinstance(issues, list) and issues
    first = issues[0]
    assert isinstance(first, dict)
    assert first["severity"] in ("fatal", "error", "warning", "information")
    assert first["code"]
    assert first["diagnostics"]
    return first


def test_unknown_resource_type_is_404(client: TestClient) -> None:
    response = client.get("/fhir/Vaccination/1")
    assert response.status_code == 404
    _outcome(response.json())


def test_unknown_path_is_404_outcome(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    _outcome(response.json())


def test_unsupported_method_is_405(client: TestClient) -> None:
    response = client.post("/fhir/Patient/p1", json=patient(), headers=JSON)
    assert response.status_code == 405
    _outcome(response.json())


@pytest.mark.parametrize("content_type", ["application/fhir+xml", "application/xml", "text/plain"])
def test_non_json_bodies_are_415(client: TestClient, content_type: str) -> None:
    response = client.post("/fhir/Patient", content=b"<Patient/>", headers={"Content-Type": content_type})
    assert response.status_code == 415
    _outcome(response.json())


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"_format": "xml"}, {}), ({}, {"Accept": "application/fhir+xml"})],
)
def test_xml_responses_are_406(client: TestClient, params: dict[str, str], headers: dict[str, str]) -> None:
    response = client.get("/fhir/metadata", params=params, headers=headers)
    assert response.status_code == 406
    _outcome(response.json())


def test_format_and_pretty(client: TestClient) -> None:
    response = client.get("/fhir/metadata", params={"_format": "json", "_pretty": "true"})
    assert response.status_code == 200
    assert b"\n  " in response.content


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post("/fhir/Patient", content=b'{"resourceType": "Patient",', headers=JSON)
    assert response.status_code == 400
    _outcome(response.json())


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    big = patient(text={"status": "generated", "div": "<div>" + "x" * 300_000 + "</div>"})
    response = client.post("/fhir/Patient", json=big, headers=JSON)
    assert response.status_code == 413
    _outcome(response.json())


def test_vietnamese_and_english_texts(client: TestClient) -> None:
    issue = _outcome(client.get("/fhir/Patient/nobody").json())
    assert "not known" in str(issue["diagnostics"])
    assert "Không tìm thấy" in str(issue["details"]["text"])  # type: ignore[index]


def test_metadata_is_a_capability_statement(client: TestClient) -> None:
    statement = client.get("/fhir/metadata").json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "Immunization", "AdverseEvent", "Observation"} <= types
    immunization = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Immunization")
    assert {"read", "vread", "update", "patch", "delete", "create"} <= {
        i["code"] for i in immunization["interaction"]
    }
    rest = statement["rest"][0]
    assert {"history-system", "search-system"} <= {i["code"] for i in rest["interaction"]}
    assert "http://hl7.org/fhir/CompartmentDefinition/patient" in rest["compartment"]


def test_health_reports_the_store(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["store"]["backend"] == "sqlite"
