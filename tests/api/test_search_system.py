"""System-level search `GET [base]?_type=...` with the parameters common to all resources."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}


def _keys(bundle: dict[str, Any]) -> list[str]:
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])]


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _load(client: TestClient) -> None:
    for id in ("p2", "p1", "p3"):
        client.put(f"/fhir/Patient/{id}", json=patient(id), headers=JSON)
    for id in ("i2", "i1"):
        client.put(f"/fhir/Immunization/{id}", json=immunization(id=id), headers=JSON)
    client.put("/fhir/Organization/o1", json={"resourceType": "Organization", "id": "o1"}, headers=JSON)


def test_results_come_by_type_then_creation(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir", params={"_type": "Patient,Immunization", "_total": "accurate"}).json()
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 5
    assert _keys(bundle) == ["Immunization/i2", "Immunization/i1", "Patient/p2", "Patient/p1", "Patient/p3"]
    assert all(e["search"]["mode"] == "match" for e in bundle["entry"])
    assert bundle["entry"][0]["fullUrl"] == "http://testserver/fhir/Immunization/i2"


def test_paging_across_types_visits_each_match_once(client: TestClient) -> None:
    _load(client)
    url: str | None = "/fhir/?_type=Patient&_type=Immunization,Organization&_count=2&_total=accurate"
    seen: list[str] = []
    while url is not None:
        bundle = client.get(url).json()
        assert bundle["total"] == 6
        seen += _keys(bundle)
        url = _links(bundle).get("next")
    assert seen == [
        "Immunization/i2",
        "Immunization/i1",
        "Organization/o1",
        "Patient/p2",
        "Patient/p1",
        "Patient/p3",
    ]
    last = client.get("/fhir", params={"_type": "Patient,Organization", "_count": "2", "_offset": "2"}).json()
    assert "_offset=0" in _links(last)["previous"]


def test_common_parameters_filter_every_type(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir", params={"_type": "Patient,Immunization", "_id": "p1,i1"}).json()
    assert _keys(bundle) == ["Immunization/i1", "Patient/p1"]
    future = client.get(
        "/fhir",
        params={"_type": "Patient,Immunization", "_lastUpdated": "ge2999-01-01", "_total": "accurate"},
    ).json()
    assert future["total"] == 0
    past = client.get(
        "/fhir", params={"_type": "Patient", "_lastUpdated": "ge2000-01-01", "_total": "accurate"}
    ).json()
    assert past["total"] == 3


def test_without_type_is_400_too_costly(client: TestClient) -> None:
    for url in ("/fhir", "/fhir/", "/fhir?_id=p1"):
        response = client.get(url)
        assert response.status_code == 400, url
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "too-costly"
        assert "_type" in outcome["issue"][0]["diagnostics"] or "_type" in response.text


def test_unknown_type_is_400(client: TestClient) -> None:
    response = client.get("/fhir", params={"_type": "Patient,Nope"})
    assert response.status_code == 400
    assert "Nope" in response.text


def test_type_specific_parameter_is_refused_when_strict_and_ignored_otherwise(client: TestClient) -> None:
    _load(client)
    params = {"_type": "Patient", "gender": "male"}
    strict = client.get("/fhir", params=params, headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400
    assert "gender" in strict.text
    lenient = client.get("/fhir", params={**params, "_total": "accurate"}).json()
    assert lenient["total"] == 3
    assert "gender" not in _links(lenient)["self"]
    assert "_type=Patient" in _links(lenient)["self"]


def test_total_none_leaves_the_total_out(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir", params={"_type": "Patient", "_total": "none"}).json()
    assert "total" not in bundle
    assert len(bundle["entry"]) == 3
