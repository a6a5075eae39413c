"""The CapabilityStatement is true: every search parameter it lists for the registry's own resource types is
answered under `Prefer: handling=strict` (which refuses what the server does not understand) and finds what
it should; every operation it lists answers; every profile and definition it names can be read."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.definitions.registry import Definitions, ParamType

FHIR = {"content-type": "application/fhir+json"}
STRICT = {"Prefer": "handling=strict"}
TYPES = ("Patient", "Immunization", "ImmunizationRecommendation", "AdverseEvent", "Location", "Organization")
SAMPLE: dict[ParamType, str] = {
    "string": "nguyen",
    "token": "http://example.org|x",
    "date": "ge2025-01-01",
    "number": "1",
    "quantity": "5||mg",
    "uri": "http://example.org/x",
}


def sample(definitions: Definitions, resource_type: str, name: str, kind: str) -> str:
    if name == "_id":
        return "x"
    if name == "_lastUpdated":
        return "ge2025-01-01"
    definition = definitions.search_params.get(resource_type, name)
    assert definition is not None, name
    if kind == "reference":
        return f"{definition.targets[0]}/x" if definition.targets else "Patient/x"
    if kind == "composite":
        return "$".join(SAMPLE[t] if t != "token" else "x" for t in definition.component_types)
    return SAMPLE[kind]  # type: ignore[index]


def statement(client: TestClient) -> dict[str, Any]:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    return {r["type"]: r for r in response.json()["rest"][0]["resource"]}


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_listed_search_parameter_is_answered(
    client: TestClient, definitions: Definitions, resource_type: str
) -> None:
    entry = statement(client)[resource_type]
    params = entry["searchParam"]
    assert len(params) >= 5
    for param in params:
        value = sample(definitions, resource_type, param["name"], param["type"])
        response = client.get(f"/fhir/{resource_type}", params={param["name"]: value}, headers=STRICT)
        assert response.status_code == 200, (param, response.text)
        assert response.json()["type"] == "searchset"
    for include in entry.get("searchInclude", ()):
        response = client.get(f"/fhir/{resource_type}", params={"_include": include}, headers=STRICT)
        assert response.status_code == 200, (include, response.text)
    for revinclude in entry.get("searchRevInclude", ())[:40]:
        response = client.get(f"/fhir/{resource_type}", params={"_revinclude": revinclude}, headers=STRICT)
        assert response.status_code == 200, (revinclude, response.text)


def test_listed_parameters_find_what_they_should(client: TestClient) -> None:
    """A few per type, end to end: listed, then a stored resource is found by it and another is not."""
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "female",
        "birthDate": "2025-02-03",
        "name": [{"family": "Nguyễn", "given": ["Thảo"]}],
        "identifier": [{"system": "https://fhir.vn/sid/cccd", "value": "001325000001"}],
    }
    imm = {
        "resourceType": "Immunization",
        "id": "i1",
        "status": "completed",
        "primarySource": False,
        "vaccineCode": {"coding": [{"system": "https://fhir.vn/CodeSystem/vn-vaccine", "code": "VN-BCG"}]},
        "patient": {"reference": "Patient/p1"},
        "occurrenceDateTime": "2025-02-04",
        "lotNumber": "L1",
    }
    for body in (patient, imm):
        assert (
            client.put(f"/fhir/{body['resourceType']}/{body['id']}", json=body, headers=FHIR).status_code
            == 201
        )
    listed = statement(client)
    checks = [
        ("Patient", "name", "nguyen", "tran"),
        ("Patient", "identifier", "https://fhir.vn/sid/cccd|001325000001", "https://fhir.vn/sid/cccd|1"),
        ("Patient", "birthdate", "2025-02", "2024"),
        ("Patient", "gender", "female", "male"),
        ("Immunization", "vaccine-code", "https://fhir.vn/CodeSystem/vn-vaccine|VN-BCG", "x|VN-BCG"),
        ("Immunization", "patient", "Patient/p1", "Patient/p2"),
        ("Immunization", "date", "2025-02-04", "2025-02-05"),
        ("Immunization", "lot-number", "L1", "L2"),
    ]
    for rt, name, hit, miss in checks:
        assert name in {p["name"] for p in listed[rt]["searchParam"]}
        found = client.get(f"/fhir/{rt}", params={name: hit}, headers=STRICT).json()
        assert [e["resource"]["id"] for e in found.get("entry", ())] == [
            patient["id"] if rt == "Patient" else "i1"
        ]
        assert "entry" not in client.get(f"/fhir/{rt}", params={name: miss}, headers=STRICT).json()


def test_every_operation_definition_the_statement_references_is_served(client: TestClient) -> None:
    """System and type level alike: each `definition` canonical is found by `?url=` and read by its id."""
    rest = client.get("/fhir/metadata").json()["rest"][0]
    listed = [("", op) for op in rest["operation"]]
    listed += [(r["type"], op) for r in rest["resource"] for op in r.get("operation", ())]
    served = client.get("/fhir/OperationDefinition", params={"_count": "100"}).json()
    assert {d for _, op in listed for d in [op["definition"]]} == {
        e["resource"]["url"] for e in served["entry"]
    }  # every definition the server holds is referenced, and every reference is held
    for level, op in listed:
        found = client.get("/fhir/OperationDefinition", params={"url": op["definition"]}).json()
        assert found["total"] == 1, op
        definition = found["entry"][0]["resource"]
        assert definition["code"] == op["name"]
        assert client.get(f"/fhir/OperationDefinition/{definition['id']}").json() == definition
        if level:
            assert level in definition["resource"] or "Resource" in definition["resource"], (level, op)
            assert definition["type"] or definition["instance"]
        else:
            assert definition["system"], op
    assert {op["name"] for _, op in listed} >= {
        "validate", "lookup", "expand", "validate-code", "immds-forecast", "coverage", "low-coverage",
        "defaulters", "aefi-serious", "aefi-signal", "export", "find-slots", "check-in", "queue",
    }  # fmt: skip


def test_every_listed_system_and_type_operation_is_routed(client: TestClient) -> None:
    """Called without its parameters, each answers itself (200, 202 or a 400 naming what is missing), never
    the 404/405 of an unrouted path. Instance-level ones are called in their own suites (check-in, queue,
    Group export, Patient forecast)."""
    rest = client.get("/fhir/metadata").json()["rest"][0]
    paths = [f"/fhir/${op['name']}" for op in rest["operation"]]
    for resource in rest["resource"]:
        for op in resource.get("operation", ()):
            od_id = op["definition"].rsplit("/", 1)[-1]
            if client.get(f"/fhir/OperationDefinition/{od_id}").json()["type"]:
                paths.append(f"/fhir/{resource['type']}/${op['name']}")
    assert len(paths) > 150  # $validate on every type
    for path in paths:
        response = client.get(path, headers={"Prefer": "respond-async"})
        if response.status_code in (404, 405):  # a POST-only operation ($immds-forecast, $validate)
            response = client.post(path, json={"resourceType": "Parameters"}, headers=FHIR)
        assert response.status_code in (200, 202, 400, 422), (path, response.status_code, response.text[:200])


def test_every_listed_operation_answers(client: TestClient) -> None:
    resources = statement(client)
    ops = {(rt, op["name"], op["definition"]) for rt, r in resources.items() for op in r.get("operation", ())}
    assert {name for _, name, _ in ops} >= {"validate", "lookup", "expand", "validate-code"}
    assert ("Patient", "export", "https://fhir.vn/OperationDefinition/Patient-export") in ops
    kickoff = client.get("/fhir/Patient/$export", headers={"Prefer": "respond-async"})
    assert kickoff.status_code == 202, kickoff.text
    for rt in TYPES:
        assert (rt, "validate", "https://fhir.vn/OperationDefinition/Resource-validate") in ops
        response = client.post(f"/fhir/{rt}/$validate", json={"resourceType": rt}, headers=FHIR)
        assert response.status_code == 200 and response.json()["resourceType"] == "OperationOutcome"
    lookup = client.get(
        "/fhir/CodeSystem/$lookup", params={"system": "https://fhir.vn/CodeSystem/vn-province", "code": "79"}
    )
    expand = client.get("/fhir/ValueSet/$expand", params={"url": "https://fhir.vn/ValueSet/vn-province"})
    check = client.get(
        "/fhir/ValueSet/$validate-code", params={"url": "https://fhir.vn/ValueSet/vn-province", "code": "79"}
    )
    assert [r.status_code for r in (lookup, expand, check)] == [200, 200, 200]


def test_system_interactions_and_profiles_are_real(client: TestClient) -> None:
    rest = client.get("/fhir/metadata").json()["rest"][0]
    assert {"transaction", "batch"} <= {i["code"] for i in rest["interaction"]}
    batch = client.post(
        "/fhir",
        json={
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": "Patient?_count=1"}}],
        },
        headers=FHIR,
    )
    assert batch.status_code == 200 and batch.json()["type"] == "batch-response"
    for entry in rest["resource"]:
        for url in entry.get("supportedProfile", ()):
            sd_id = url.rsplit("/", 1)[-1]
            sd = client.get(f"/fhir/StructureDefinition/{sd_id}").json()
            assert sd["url"] == url and sd["type"] == entry["type"]
    typed = {e["type"] for e in rest["resource"] if e.get("supportedProfile")}
    assert set(TYPES) | {"RelatedPerson"} == typed


def test_artifact_types_answer_the_parameters_listed_for_them(client: TestClient) -> None:
    resources = statement(client)
    samples = {
        "_id": "vn-vaccine",
        "url": "https://fhir.vn/ValueSet/vn-vaccine",
        "name": "Vietnam",
        "status": "draft",
        "version": "0.1.0",
        "code": "expand",
    }
    for rt in ("ValueSet", "CodeSystem", "StructureDefinition", "OperationDefinition", "SearchParameter"):
        assert {i["code"] for i in resources[rt]["interaction"]} == {"read", "search-type"}
        for param in resources[rt]["searchParam"]:
            response = client.get(
                f"/fhir/{rt}", params={param["name"]: samples[param["name"]]}, headers=STRICT
            )
            assert response.status_code == 200, (rt, param)
    found = client.get("/fhir/OperationDefinition", params={"code": "expand"}, headers=STRICT).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["ValueSet-expand"]
