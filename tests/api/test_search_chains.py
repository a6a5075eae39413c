"""Chained parameters and `_has` over real resources, end to end."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}
CCCD = "https://fhir.vn/sid/cccd"
CVX = "http://hl7.org/fhir/sid/cvx"


def _load(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    other = patient(
        "b",
        identifier=[{"system": CCCD, "value": "001099000777"}],
        name=[{"family": "Trần", "given": ["Văn", "Bình"]}],
    )
    client.put("/fhir/Patient/b", json=other, headers=JSON)
    doses = {
        "ia": ("Patient/a", "08"),
        "ib": ("Patient/b", "08"),
        "ia2": ("Patient/a", "20"),
    }
    for id, (reference, code) in doses.items():
        dose = immunization(
            id=id,
            patient={"reference": reference},
            vaccineCode={"coding": [{"system": CVX, "code": code}]},
        )
        assert client.put(f"/fhir/Immunization/{id}", json=dose, headers=JSON).status_code in (200, 201)


def _ids(client: TestClient, resource_type: str, **params: str) -> list[str]:
    response = client.get(f"/fhir/{resource_type}", params=params)
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"] for e in response.json().get("entry", []))


def test_chains_and_has(client: TestClient) -> None:
    _load(client)
    assert _ids(client, "Immunization", **{"patient.identifier": f"{CCCD}|079226000123"}) == ["ia", "ia2"]
    assert _ids(client, "Immunization", **{"patient:Patient.name": "tran"}) == ["ib"]
    assert _ids(client, "Immunization", **{"patient.name": "nguyen", "vaccine-code": "20"}) == ["ia2"]
    assert _ids(client, "Patient", **{"_has:Immunization:patient:vaccine-code": f"{CVX}|08"}) == ["a", "b"]
    assert _ids(client, "Patient", **{"_has:Immunization:patient:vaccine-code": f"{CVX}|20"}) == ["a"]


def test_a_deleted_patient_satisfies_no_chain(client: TestClient) -> None:
    _load(client)
    assert client.delete("/fhir/Patient/b").status_code in (200, 204)
    assert _ids(client, "Immunization", **{"patient.name": "tran"}) == []


def test_unknown_inner_parameter_strict_is_400(client: TestClient) -> None:
    _load(client)
    response = client.get(
        "/fhir/Immunization", params={"patient.nope": "x"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400
