"""Batch Bundles: every entry on its own, each with its own status and outcome."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import immunization, patient
from tests.api.test_transaction import CCCD, PAT_URN, child, count, entry, post, transaction


def test_entries_succeed_and_fail_independently(client: TestClient) -> None:
    client.put("/fhir/Patient/b1", json=patient("b1"))
    response = post(
        client,
        transaction(
            entry("POST", "Patient", child("079226000101")),
            entry("POST", "Immunization", immunization(status="finished")),  # invalid
            entry("GET", "Patient/b1"),
            entry("GET", "Patient/nobody"),
            entry("PUT", "Patient/b1", patient("b1", gender="male"), ifMatch='W/"9"'),  # stale
            {"request": {"method": "GET"}},  # no url
            kind="batch",
        ),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in result["entry"]]
    assert statuses == [
        "201 Created",
        "422 Unprocessable Entity",
        "200 OK",
        "404 Not Found",
        "412 Precondition Failed",
        "400 Bad Request",
    ]
    failed = result["entry"][1]["response"]["outcome"]
    assert failed["issue"][0]["expression"] == ["Bundle.entry[1].resource.status"]
    assert result["entry"][2]["resource"]["id"] == "b1"
    assert count(client, "Patient") == 2
    assert client.get("/fhir/Patient/b1").json()["gender"] == "female"


def test_batch_resolves_conditional_references_but_not_urns(client: TestClient) -> None:
    created = client.post("/fhir/Patient", json=child("079226000102")).json()
    response = post(
        client,
        transaction(
            entry(
                "POST",
                "Immunization",
                immunization(patient={"reference": f"Patient?identifier={CCCD}|079226000102"}),
            ),
            entry("POST", "Immunization", immunization(patient={"reference": PAT_URN})),
            kind="batch",
        ),
    )
    first, second = response.json()["entry"]
    assert first["response"]["status"] == "201 Created"
    assert second["response"]["status"] == "400 Bad Request"
    assert count(client, "Immunization", f"patient=Patient/{created['id']}") == 1


def test_conditional_create_in_a_batch_is_idempotent(client: TestClient) -> None:
    push = transaction(
        entry("POST", "Patient", child("079226000103"), ifNoneExist=f"identifier={CCCD}|079226000103"),
        kind="batch",
    )
    assert post(client, push).json()["entry"][0]["response"]["status"] == "201 Created"
    assert post(client, push).json()["entry"][0]["response"]["status"] == "200 OK"
    assert count(client, "Patient") == 1
