"""The national SearchParameters over HTTP: served read-only, named by their canonical in the
CapabilityStatement, and answered (strictly) with chains through them."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from fhir_server.definitions.loader import SEARCH_PARAMETERS
from tests.api.conftest import FHIR_JSON, patient

STRICT = {"Prefer": "handling=strict"}
FHIR = {"content-type": FHIR_JSON}
FUNDING = "https://fhir.vn/CodeSystem/vn-funding-source"


def national() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(SEARCH_PARAMETERS.glob("*.json"))]


def test_served_read_only_by_id_and_by_url(client: TestClient) -> None:
    for resource in national():
        assert client.get(f"/fhir/SearchParameter/{resource['id']}").json() == resource
        found = client.get("/fhir/SearchParameter", params={"url": resource["url"]}, headers=STRICT).json()
        assert [e["resource"]["id"] for e in found["entry"]] == [resource["id"]]
        by_code = client.get("/fhir/SearchParameter", params={"code": resource["code"]}, headers=STRICT)
        assert resource["id"] in {e["resource"]["id"] for e in by_code.json()["entry"]}
        refused = client.put(f"/fhir/SearchParameter/{resource['id']}", json=resource, headers=FHIR)
        assert refused.status_code == 405
        assert refused.json()["resourceType"] == "OperationOutcome"
    guide = client.get("/fhir/ImplementationGuide/vn-immunization").json()
    listed = {r["reference"]["reference"] for r in guide["definition"]["resource"]}
    assert {f"SearchParameter/{r['id']}" for r in national()} <= listed


def test_the_capability_statement_lists_each_base_with_the_definition(client: TestClient) -> None:
    rest = client.get("/fhir/metadata").json()["rest"][0]
    by_type = {r["type"]: {p["name"]: p for p in r["searchParam"]} for r in rest["resource"]}
    for resource in national():
        for base in resource["base"]:
            listed = by_type[base][resource["code"]]
            wanted = {"name": resource["code"], "definition": resource["url"], "type": resource["type"]}
            assert listed == wanted, base
    assert {p["name"] for p in rest_of(rest, "SearchParameter")} >= {"url", "code"}


def rest_of(rest: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    entry = next(r for r in rest["resource"] if r["type"] == resource_type)
    params: list[dict[str, Any]] = entry["searchParam"]
    return params


def test_a_nurse_finds_the_children_of_her_commune_and_their_doses(client: TestClient) -> None:
    coded = [
        {
            "url": "https://fhir.vn/StructureDefinition/vn-province",
            "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": "79"},
        },
        {
            "url": "https://fhir.vn/StructureDefinition/vn-commune",
            "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-commune", "code": "26740"},
        },
    ]
    home = {"use": "home", "city": "Phường Sài Gòn", "state": "Thành phố Hồ Chí Minh", "extension": coded}
    for body in (patient("here", address=[home]), patient("elsewhere")):
        assert client.put(f"/fhir/Patient/{body['id']}", json=body, headers=FHIR).status_code == 201, body
    dose = {
        "resourceType": "Immunization",
        "id": "d1",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": "Patient/here"},
        "occurrenceDateTime": "2026-01-16",
        "primarySource": False,
        "fundingSource": {"coding": [{"system": FUNDING, "code": "EPI"}]},
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
    }
    response = client.put("/fhir/Immunization/d1", json=dose, headers=FHIR)
    assert response.status_code == 201, response.text
    checks = [
        ("Patient", {"commune": "26740"}, ["here"]),
        ("Patient", {"province": "https://fhir.vn/CodeSystem/vn-province|79"}, ["here"]),
        ("Patient", {"commune:missing": "true"}, ["elsewhere"]),
        ("Patient", {"commune:not": "26740"}, ["elsewhere"]),
        ("Immunization", {"patient.commune": "26740"}, ["d1"]),
        ("Immunization", {"patient.commune": "00004"}, []),
        ("Immunization", {"funding-source": "EPI"}, ["d1"]),
        ("Immunization", {"funding-source": "service"}, []),
    ]
    for resource_type, params, expected in checks:
        response = client.get(f"/fhir/{resource_type}", params=params, headers=STRICT)
        assert response.status_code == 200, (params, response.text)
        assert sorted(e["resource"]["id"] for e in response.json().get("entry", ())) == expected, params
