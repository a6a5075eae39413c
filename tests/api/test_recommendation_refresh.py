"""Writing or deleting an Immunization (or the Patient) refreshes the child's stored
ImmunizationRecommendation (`rec-<id>`), alone or through a transaction Bundle (one new version per child),
and a failing forecast never fails the write."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.test_immds_forecast import dose, patient


def rec(client: TestClient, patient_id: str = "child-1") -> dict[str, Any]:
    response = client.get(f"/fhir/ImmunizationRecommendation/rec-{patient_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def supporting(recommendation: dict[str, Any]) -> set[str]:
    return {
        s["reference"] for r in recommendation["recommendation"] for s in r.get("supportingImmunization", [])
    }


def test_create_update_delete_refresh(client: TestClient) -> None:
    assert client.get("/fhir/ImmunizationRecommendation/rec-child-1").status_code == 404
    client.put("/fhir/Patient/child-1", json=patient())
    registered = rec(client)  # a newborn without doses has a recommendation at once
    assert registered["meta"]["versionId"] == "1"
    assert supporting(registered) == set()
    created = client.post("/fhir/Immunization", json=dose("VN-GENE-HBVAX", "2026-03-10"))
    assert created.status_code == 201
    imm_id = created.json()["id"]
    first = rec(client)
    assert first["meta"]["versionId"] == "2"
    assert first["patient"] == {"reference": "Patient/child-1"}
    assert supporting(first) == {f"Immunization/{imm_id}"}

    updated = client.put(f"/fhir/Immunization/{imm_id}", json=dose("VN-BCG", "2026-03-10", id=imm_id))
    assert updated.status_code == 200
    second = rec(client)
    assert second["meta"]["versionId"] == "3"
    bcg = next(r for r in second["recommendation"] if r["targetDisease"]["text"] == "BCG")
    assert bcg["supportingImmunization"] == [{"reference": f"Immunization/{imm_id}"}]

    assert client.delete(f"/fhir/Immunization/{imm_id}").status_code in (200, 204)
    third = rec(client)
    assert third["meta"]["versionId"] == "4"
    assert supporting(third) == set()

    found = client.get("/fhir/ImmunizationRecommendation?patient=Patient/child-1").json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["rec-child-1"]
    # due lists: a child born in March 2026 without doses is overdue for HepB on any later day
    overdue = client.get("/fhir/ImmunizationRecommendation?status=overdue&target-disease:text=HepB").json()
    assert [e["resource"]["id"] for e in overdue["entry"]] == ["rec-child-1"]
    assert "entry" not in client.get("/fhir/ImmunizationRecommendation?status=immune").json()

    assert client.delete("/fhir/Patient/child-1").status_code in (200, 204)
    assert client.get("/fhir/ImmunizationRecommendation/rec-child-1").status_code == 410


def test_moving_a_dose_to_another_child_refreshes_both(client: TestClient) -> None:
    client.put("/fhir/Patient/child-1", json=patient())
    client.put("/fhir/Patient/child-2", json=patient(id="child-2"))
    client.put("/fhir/Immunization/m1", json=dose("VN-BCG", "2026-03-10", id="m1"))
    moved = dose("VN-BCG", "2026-03-10", id="m1", patient={"reference": "Patient/child-2"})
    assert client.put("/fhir/Immunization/m1", json=moved).status_code == 200
    assert supporting(rec(client, "child-1")) == set()
    assert supporting(rec(client, "child-2")) == {"Immunization/m1"}


def test_transaction_refreshes_once_per_child(client: TestClient) -> None:
    client.put("/fhir/Patient/child-1", json=patient())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": dose(code, day), "request": {"method": "POST", "url": "Immunization"}}
            for code, day in [
                ("VN-GENE-HBVAX", "2026-03-10"),
                ("VN-BCG", "2026-03-11"),
                ("VN-BCG", "2026-03-12"),
            ]
        ],
    }
    response = client.post("/fhir", json=bundle)
    assert response.status_code == 200, response.text
    stored = rec(client)
    assert stored["meta"]["versionId"] == "2"  # the Patient's, then one refresh for three doses
    assert len(supporting(stored)) == 2  # HepB + the first BCG (the second is extraneous)
    history = client.get("/fhir/ImmunizationRecommendation/rec-child-1/_history").json()
    assert history["total"] == 2


def test_a_failing_forecast_never_fails_the_write(client: TestClient) -> None:
    client.put("/fhir/Patient/child-1", json=patient())
    client.put("/fhir/Immunization/a", json=dose("VN-BCG", "2026-03-10", id="a"))
    before = rec(client)
    without_birth = patient()
    del without_birth["birthDate"]
    assert client.put("/fhir/Patient/child-1", json=without_birth).status_code == 200
    response = client.put("/fhir/Immunization/b", json=dose("VN-GENE-HBVAX", "2026-03-10", id="b"))
    assert response.status_code == 201
    assert rec(client)["meta"]["versionId"] == before["meta"]["versionId"]  # the old one is kept
    orphan = dose("VN-BCG", "2026-03-10", id="c", patient={"reference": "Patient/nobody"})
    assert client.put("/fhir/Immunization/c", json=orphan).status_code == 201


def test_an_unchanged_recommendation_is_not_written_again(client: TestClient) -> None:
    client.put("/fhir/Patient/child-1", json=patient())
    client.put("/fhir/Immunization/a", json=dose("VN-BCG", "2026-03-10", id="a"))
    before = rec(client)
    renamed = patient(telecom=[{"system": "phone", "value": "0900000000"}])
    assert client.put("/fhir/Patient/child-1", json=renamed).status_code == 200
    assert rec(client)["meta"] == before["meta"]  # same content: no new version
    moved = patient(birthDate="2026-02-10")
    assert client.put("/fhir/Patient/child-1", json=moved).status_code == 200
    assert int(rec(client)["meta"]["versionId"]) == int(before["meta"]["versionId"]) + 1
