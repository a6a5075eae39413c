"""Compartment search `GET [base]/Patient/123/Immunization?...` (CompartmentDefinition patient, R4)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _observation(id: str, **references: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
    }
    if "subject" in references:
        resource["subject"] = {"reference": references["subject"]}
    if "performer" in references:
        resource["performer"] = [{"reference": references["performer"]}]
    return resource


def _load_immunizations(client: TestClient) -> None:
    for owner in ("a", "b"):
        client.put(f"/fhir/Patient/{owner}", json=patient(owner), headers=JSON)
    for id, owner, lot in [("i1", "a", "L1"), ("i2", "b", "L1"), ("i3", "a", "L2"), ("i4", "a", "L1")]:
        body = immunization(id=id, patient={"reference": f"Patient/{owner}"}, lotNumber=lot)
        assert client.put(f"/fhir/Immunization/{id}", json=body, headers=JSON).status_code == 201


def test_compartment_returns_only_the_patients_resources(client: TestClient) -> None:
    _load_immunizations(client)
    bundle = client.get("/fhir/Patient/a/Immunization", params={"_total": "accurate"}).json()
    assert bundle["total"] == 3
    assert _ids(bundle) == ["i1", "i3", "i4"]
    assert _ids(client.get("/fhir/Patient/b/Immunization").json()) == ["i2"]
    assert client.get("/fhir/Patient/nobody/Immunization", params={"_total": "accurate"}).json()["total"] == 0


def test_compartment_criteria_are_anded_and_paging_links_stay_in_the_compartment(client: TestClient) -> None:
    _load_immunizations(client)
    first = client.get(
        "/fhir/Patient/a/Immunization", params={"lot-number": "L1", "_count": "1", "_total": "accurate"}
    ).json()
    assert first["total"] == 2
    assert _ids(first) == ["i1"]
    next_url = _links(first)["next"]
    assert next_url.startswith("http://testserver/fhir/Patient/a/Immunization?")
    second = client.get(next_url).json()
    assert _ids(second) == ["i4"]
    assert "next" not in _links(second)


def test_any_compartment_parameter_puts_a_resource_in_the_compartment(client: TestClient) -> None:
    # Observation is in the Patient compartment through `subject` OR `performer`.
    for id, refs in [
        ("o1", {"subject": "Patient/a"}),
        ("o2", {"subject": "Patient/b", "performer": "Patient/a"}),
        ("o3", {"subject": "Patient/b"}),
        ("o4", {"performer": "Patient/a", "subject": "Patient/a"}),
    ]:
        assert (
            client.put(f"/fhir/Observation/{id}", json=_observation(id, **refs), headers=JSON).status_code
            == 201
        )
    bundle = client.get("/fhir/Patient/a/Observation", params={"_total": "accurate"}).json()
    assert bundle["total"] == 3
    assert _ids(bundle) == ["o1", "o2", "o4"]
    descending = client.get("/fhir/Patient/a/Observation", params={"_sort": "-_id", "_count": "2"}).json()
    assert _ids(descending) == ["o4", "o2"]
    assert _ids(client.get(_links(descending)["next"]).json()) == ["o1"]
    assert client.get("/fhir/Patient/c/Observation", params={"_total": "accurate"}).json()["total"] == 0


def test_type_outside_the_compartment_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Patient/a/Organization")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "not in the Patient compartment" in response.text


def test_unknown_compartment_or_type_is_404(client: TestClient) -> None:
    for url in ("/fhir/Organization/1/Immunization", "/fhir/Nope/1/Immunization", "/fhir/Patient/1/Nope"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["resourceType"] == "OperationOutcome"


def test_history_is_not_taken_for_a_compartment(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    bundle = client.get("/fhir/Patient/a/_history").json()
    assert bundle["type"] == "history"
