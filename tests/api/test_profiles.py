"""National profiles over HTTP: enforced writes (422 naming the elements), $validate (200 with every
issue), the terminology operations and the read-only artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings

FHIR = {"content-type": "application/fhir+json"}
CCCD = "https://fhir.vn/sid/cccd"


@pytest.fixture
def enforced(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", profiles_enforced="Patient,Immunization"
    )
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


def patient(cccd: str = "001204012345") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CCCD, "value": cccd}],
        "name": [{"use": "official", "family": "Nguyễn", "given": ["Văn", "An"]}],
        "gender": "male",
        "birthDate": "2004-05-01",
    }


def expressions(body: dict[str, Any]) -> set[str]:
    return {e for issue in body["issue"] for e in issue.get("expression", ())}


def test_enforced_types_refuse_a_write_that_breaks_the_profile(enforced: TestClient) -> None:
    response = enforced.post(
        "/fhir/Patient", json={"resourceType": "Patient", "gender": "male"}, headers=FHIR
    )
    assert response.status_code == 422
    assert expressions(response.json()) == {"Patient.identifier", "Patient.name", "Patient.birthDate"}
    assert all(issue["details"]["text"] for issue in response.json()["issue"])
    assert enforced.post("/fhir/Patient", json=patient(), headers=FHIR).status_code == 201
    wrong_sex = enforced.put("/fhir/Patient/p2", json={**patient("001304012345"), "id": "p2"}, headers=FHIR)
    assert wrong_sex.status_code == 422 and expressions(wrong_sex.json()) == {"Patient.identifier"}


def test_types_not_enforced_are_accepted(enforced: TestClient) -> None:
    org = {"resourceType": "Organization", "name": "Trạm Y tế"}
    assert enforced.post("/fhir/Organization", json=org, headers=FHIR).status_code == 201


def test_an_unknown_enforced_type_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Observation"):
        create_app(Settings(database_url="memory://", profiles_enforced="Patient,Observation"))


def test_validate_returns_every_issue_with_200(client: TestClient) -> None:
    body = {
        "resourceType": "Immunization",
        "status": "completed",
        "primarySource": True,
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "999"}]},
        "patient": {"reference": "Patient/1"},
        "occurrenceDateTime": "2026-01-02",
    }
    response = client.post("/fhir/Immunization/$validate", json=body, headers=FHIR)
    assert response.status_code == 200
    assert response.json()["resourceType"] == "OperationOutcome"
    assert {"Immunization.vaccineCode", "Immunization.lotNumber", "Immunization.location"} <= expressions(
        response.json()
    )
    ok = client.post("/fhir/Patient/$validate", json=patient(), headers=FHIR).json()
    assert [i["severity"] for i in ok["issue"]] == ["information"]
    schema = client.post(
        "/fhir/Patient/$validate", json={"resourceType": "Patient", "gender": 1}, headers=FHIR
    )
    assert schema.status_code == 200 and expressions(schema.json()) == {"Patient.gender"}


def test_validate_with_parameters_profile_and_mode(client: TestClient) -> None:
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": {**patient(), "id": "a"}},
            {"name": "mode", "valueCode": "update"},
            {"name": "profile", "valueUri": "https://fhir.vn/StructureDefinition/vn-patient"},
        ],
    }
    response = client.post("/fhir/Patient/b/$validate", json=params, headers=FHIR)
    assert response.status_code == 200 and expressions(response.json()) == {"Patient.id"}
    unknown = client.post("/fhir/Patient/$validate?profile=https://x/none", json=patient(), headers=FHIR)
    assert unknown.status_code == 404
    mode = client.post("/fhir/Patient/$validate?mode=merge", json=patient(), headers=FHIR)
    assert mode.status_code == 400


def test_instance_validate_checks_the_stored_resource(client: TestClient) -> None:
    # written while Patient is not enforced (tests run with FHIR_PROFILES_ENFORCED=none)
    client.put(
        "/fhir/Patient/old", json={"resourceType": "Patient", "id": "old", "gender": "male"}, headers=FHIR
    )
    response = client.get("/fhir/Patient/old/$validate")
    assert response.status_code == 200 and "Patient.birthDate" in expressions(response.json())
    assert client.get("/fhir/Patient/missing/$validate").status_code == 404
    deleting = client.post("/fhir/Patient/old/$validate?mode=delete", json=patient(), headers=FHIR)
    assert deleting.status_code == 200


def test_expand_filters_accent_insensitively(client: TestClient) -> None:
    url = "https://fhir.vn/ValueSet/vn-province-any"
    response = client.get("/fhir/ValueSet/$expand", params={"url": url, "filter": "dak"})
    codes = {c["display"] for c in response.json()["expansion"]["contains"]}
    assert codes == {"Đắk Lắk", "Đắk Nông"}
    full = client.get("/fhir/ValueSet/$expand", params={"url": url, "count": "10", "offset": "90"}).json()
    assert full["expansion"]["total"] == 97 and len(full["expansion"]["contains"]) == 7
    post = client.post(
        "/fhir/ValueSet/$expand",
        headers=FHIR,
        json={
            "resourceType": "Parameters",
            "parameter": [
                {"name": "url", "valueUri": "https://fhir.vn/ValueSet/vn-vaccine"},
                {"name": "filter", "valueString": "viêm gan"},
            ],
        },
    )
    assert {c["code"] for c in post.json()["expansion"]["contains"]} >= {"VN-GENE-HBVAX"}
    assert client.get("/fhir/ValueSet/$expand", params={"url": "https://x/none"}).status_code == 404


def test_commune_type_ahead_is_accent_insensitive_over_the_3321_communes(client: TestClient) -> None:
    url = "https://fhir.vn/ValueSet/vn-commune"
    full = client.get("/fhir/ValueSet/$expand", params={"url": url, "count": "5"}).json()["expansion"]
    assert full["total"] == 3321 and len(full["contains"]) == 5
    for typed in ("sai gon", "Sài Gòn", "SAI GON", "phuong sai g"):
        found = client.get("/fhir/ValueSet/$expand", params={"url": url, "filter": typed}).json()["expansion"]
        assert {
            "system": "https://fhir.vn/CodeSystem/vn-commune",
            "code": "26740",
            "display": "Phường Sài Gòn",
        } in (found["contains"]), typed
        assert all("sai" in c["display"].lower().replace("à", "a") for c in found["contains"])
    by_code = client.get("/fhir/ValueSet/$expand", params={"url": url, "filter": "00004"}).json()
    assert [c["display"] for c in by_code["expansion"]["contains"]] == ["Phường Ba Đình"]
    lookup = client.get(
        "/fhir/CodeSystem/$lookup",
        params={"system": "https://fhir.vn/CodeSystem/vn-commune", "code": "26740"},
    ).json()
    assert {
        "name": "property",
        "part": [{"name": "code", "valueCode": "province"}, {"name": "value", "valueString": "79"}],
    } in lookup["parameter"]


def test_lookup_and_validate_code(client: TestClient) -> None:
    lookup = client.get(
        "/fhir/CodeSystem/$lookup",
        params={"system": "https://fhir.vn/CodeSystem/vn-province-2004", "code": "74"},
    ).json()
    assert {"name": "display", "valueString": "Bình Dương"} in lookup["parameter"]
    assert (
        client.get(
            "/fhir/CodeSystem/$lookup",
            params={"system": "https://fhir.vn/CodeSystem/vn-province", "code": "74"},
        ).status_code
        == 404
    )
    vs = "https://fhir.vn/ValueSet/vn-funding-source"
    system = "https://fhir.vn/CodeSystem/vn-funding-source"
    yes = client.get(
        "/fhir/ValueSet/$validate-code", params={"url": vs, "system": system, "code": "EPI"}
    ).json()
    no = client.get(
        "/fhir/ValueSet/$validate-code", params={"url": vs, "system": system, "code": "free"}
    ).json()
    assert yes["parameter"][0] == {"name": "result", "valueBoolean": True}
    assert no["parameter"][0] == {"name": "result", "valueBoolean": False}


def test_artifacts_are_served_read_only(client: TestClient) -> None:
    sd = client.get("/fhir/StructureDefinition/vn-immunization")
    assert sd.status_code == 200 and sd.json()["type"] == "Immunization"
    found = client.get("/fhir/ValueSet", params={"url": "https://fhir.vn/ValueSet/vn-vaccine"}).json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == "vn-vaccine"
    assert found["entry"][0]["fullUrl"] == "http://testserver/fhir/ValueSet/vn-vaccine"
    guide = client.get("/fhir/ImplementationGuide/vn-immunization").json()
    assert any(
        r["reference"]["reference"] == "CodeSystem/vn-province" for r in guide["definition"]["resource"]
    )
    assert client.get("/fhir/OperationDefinition").status_code == 200
    assert client.get("/fhir/CodeSystem/nothing").status_code == 404
    for method, path in (
        ("POST", "/fhir/ValueSet"),
        ("PUT", "/fhir/StructureDefinition/vn-patient"),
        ("DELETE", "/fhir/CodeSystem/vn-province"),
        ("PATCH", "/fhir/ValueSet/vn-vaccine"),
    ):
        response = client.request(method, path, json={"resourceType": "ValueSet"}, headers=FHIR)
        assert response.status_code == 405, (method, path)
        assert response.json()["resourceType"] == "OperationOutcome"


def test_bundles_cannot_write_artifact_types_either(client: TestClient) -> None:
    vs = {"resourceType": "ValueSet", "status": "draft", "url": "https://fhir.vn/ValueSet/mine"}
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:8c3f1e2a-0000-4000-8000-000000000001",
                "resource": vs,
                "request": {"method": "POST", "url": "ValueSet"},
            }
        ],
    }
    response = client.post("/fhir", json=transaction, headers=FHIR)
    assert response.status_code == 405, response.text
    batch = {
        **transaction,
        "type": "batch",
        "entry": [
            {"request": {"method": "DELETE", "url": "CodeSystem/vn-province"}},
            {"resource": {**vs, "id": "x"}, "request": {"method": "PUT", "url": "ValueSet/x"}},
        ],
    }
    answer = client.post("/fhir", json=batch, headers=FHIR)
    assert answer.status_code == 200
    assert [e["response"]["status"][:3] for e in answer.json()["entry"]] == ["405", "405"]
    assert client.get("/fhir/ValueSet", params={"url": "https://fhir.vn/ValueSet/mine"}).json()["total"] == 0
