"""`_summary=true|text` and `_elements` keeping mandatory elements, on search and on read."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def _tags(resource: dict[str, Any]) -> list[str]:
    return [tag["code"] for tag in resource["meta"].get("tag", [])]


def _first(client: TestClient, path: str, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    resource: dict[str, Any] = response.json()["entry"][0]["resource"]
    return resource


def _put_immunization(client: TestClient) -> None:
    body = immunization(id="imm-1", text=NARRATIVE, note=[{"text": "ok"}])
    assert client.put("/fhir/Immunization/imm-1", json=body, headers=JSON).status_code in (200, 201)


def test_summary_true_keeps_the_summary_elements_only(client: TestClient) -> None:
    client.put(
        "/fhir/Patient/p1", json=patient("p1", text=NARRATIVE, maritalStatus={"text": "x"}), headers=JSON
    )
    resource = _first(client, "/fhir/Patient", _summary="true")
    assert set(resource) == {"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate"}
    assert _tags(resource) == ["SUBSETTED"]


def test_summary_true_expands_choice_elements(client: TestClient) -> None:
    _put_immunization(client)
    resource = _first(client, "/fhir/Immunization", _summary="true")
    assert "occurrenceDateTime" in resource  # occurrence[x] is a summary element
    assert "note" in resource and "primarySource" in resource
    assert "lotNumber" not in resource and "text" not in resource


def test_summary_text_keeps_narrative_and_mandatory_elements(client: TestClient) -> None:
    _put_immunization(client)
    resource = _first(client, "/fhir/Immunization", _summary="text")
    assert set(resource) == {
        "resourceType",
        "id",
        "meta",
        "text",
        "status",
        "vaccineCode",
        "patient",
        "occurrenceDateTime",
    }
    assert _tags(resource) == ["SUBSETTED"]


def test_elements_keeps_mandatory_elements(client: TestClient) -> None:
    _put_immunization(client)
    resource = _first(client, "/fhir/Immunization", _elements="lotNumber")
    assert set(resource) == {
        "resourceType",
        "id",
        "meta",
        "lotNumber",
        "status",
        "vaccineCode",
        "patient",
        "occurrenceDateTime",
    }


def test_summary_applies_to_included_resources(client: TestClient) -> None:
    client.put("/fhir/Patient/pat-1", json=patient("pat-1", text=NARRATIVE), headers=JSON)
    _put_immunization(client)
    bundle = client.get(
        "/fhir/Immunization", params={"_include": "Immunization:patient", "_summary": "text"}
    ).json()
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [r["resourceType"] for r in included] == ["Patient"]
    assert set(included[0]) == {"resourceType", "id", "meta", "text"}  # Patient has no mandatory element


def test_summary_on_read(client: TestClient) -> None:
    _put_immunization(client)
    summary = client.get("/fhir/Immunization/imm-1", params={"_summary": "true"}).json()
    assert "lotNumber" not in summary and "status" in summary
    assert _tags(summary) == ["SUBSETTED"]
    data = client.get("/fhir/Immunization/imm-1", params={"_summary": "data"}).json()
    assert "text" not in data and "lotNumber" in data
    elements = client.get("/fhir/Immunization/imm-1", params={"_elements": "lotNumber"}).json()
    assert "lotNumber" in elements and "status" in elements and "note" not in elements
    full = client.get("/fhir/Immunization/imm-1").json()
    assert "text" in full and "SUBSETTED" not in _tags(full)


def test_summary_count_on_read_is_400(client: TestClient) -> None:
    _put_immunization(client)
    response = client.get("/fhir/Immunization/imm-1", params={"_summary": "count"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_summary"]
