"""The AuditEvent of every interaction names the patients whose data it touched (issue 5 item 4): the
patient of a resource read, of every search match and include, of what was written (refused or not), of
every transaction and batch entry; POST _search bodies are audited as the query, like a GET's."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest

import fhir_server.services.audit as audit_module
from tests.api.security_world import World, immunization, patient, world

__all__ = ["world"]  # the fixture


def _caller(world: World, scope: str = "user/*.cruds", org: str = "clinic-a") -> tuple[dict[str, str], str]:
    """A health worker with an agent reference of their own, so their events can be told apart."""
    who = f"Practitioner/pr-{secrets.token_hex(4)}"
    headers = world.token(scope, role="health_worker", organization=f"Organization/{org}", fhirUser=who)
    return headers, who


def _events(world: World, who: str) -> list[dict[str, Any]]:
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    found = world.client.get(f"/fhir/AuditEvent?agent={who}&_count=100", headers=auditor)
    assert found.status_code == 200, found.text
    return [e["resource"] for e in found.json().get("entry", [])]


def _patients(event: dict[str, Any]) -> list[str]:
    return [
        e["what"]["reference"]
        for e in event.get("entity", [])
        if e.get("type", {}).get("code") == "1" and "what" in e
    ]


def _one(world: World, who: str) -> dict[str, Any]:
    events = _events(world, who)
    assert len(events) == 1, events
    return events[0]


def test_a_read_names_the_patient_of_the_resource(world: World) -> None:
    headers, who = _caller(world)
    assert world.client.get("/fhir/Immunization/imm-2", headers=headers).status_code == 200
    assert _patients(_one(world, who)) == ["Patient/child-2"]
    headers, who = _caller(world)
    world.client.get("/fhir/Observation/obs-lab-1", headers=headers)  # subject, not patient
    assert _patients(_one(world, who)) == ["Patient/child-1"]
    headers, who = _caller(world)
    world.client.get("/fhir/Immunization/imm-1/_history/1", headers=headers)
    assert _patients(_one(world, who)) == ["Patient/child-1"]


def test_a_refused_read_names_whose_record_was_asked_for(world: World) -> None:
    headers, _ = _caller(world, scope="patient/*.rs")  # no launch patient: 403
    world.client.get("/fhir/Immunization/imm-2", headers=headers)
    parent = world.parent("child-1")
    world.client.get("/fhir/Immunization/imm-2", headers=parent)  # 404 for the parent
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    found = world.client.get("/fhir/AuditEvent?agent=RelatedPerson/rp-child-1", headers=auditor).json()
    event = found["entry"][0]["resource"]
    assert event["outcome"] == "4"
    assert set(_patients(event)) == {"Patient/child-1", "Patient/child-2"}  # the token's and the target's


def test_a_search_names_every_patient_it_returned(world: World) -> None:
    headers, who = _caller(world)
    bundle = world.client.get("/fhir/Immunization", headers=headers).json()
    assert len(bundle["entry"]) == 2
    assert set(_patients(_one(world, who))) == {"Patient/child-1", "Patient/child-2"}


def test_includes_history_and_system_search_name_their_patients(world: World) -> None:
    headers, who = _caller(world)
    world.client.get("/fhir/Patient?_id=child-1&_revinclude=Observation:subject", headers=headers)
    assert _patients(_one(world, who)) == ["Patient/child-1"]
    headers, who = _caller(world)
    world.client.get("/fhir/Observation?_id=obs-lab-2&_include=Observation:subject", headers=headers)
    assert _patients(_one(world, who)) == ["Patient/child-2"]
    headers, who = _caller(world)
    world.client.get("/fhir/Immunization/_history", headers=headers)
    assert set(_patients(_one(world, who))) == {"Patient/child-1", "Patient/child-2"}
    headers, who = _caller(world)
    world.client.get("/fhir?_type=Immunization", headers=headers)
    assert set(_patients(_one(world, who))) == {"Patient/child-1", "Patient/child-2"}


def test_a_search_names_a_bounded_number_of_patients_and_counts_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_module, "MAX_PATIENTS", 1)
    headers, who = _caller(world)
    world.client.get("/fhir/Patient", headers=headers)
    event = _one(world, who)
    assert len(_patients(event)) == 1
    counts = [
        d["valueString"] for e in event["entity"] for d in e.get("detail", []) if d["type"] == "patient-count"
    ]
    assert counts == ["2"]


def test_an_empty_search_names_nobody(world: World) -> None:
    headers, who = _caller(world)
    world.client.get("/fhir/Immunization?patient=nobody", headers=headers)
    assert _patients(_one(world, who)) == []


def test_writes_name_the_patient_written_for(world: World) -> None:
    headers, who = _caller(world)
    created = world.client.post("/fhir/Immunization", json=immunization("x", "child-2"), headers=headers)
    assert created.status_code == 201
    assert _patients(_one(world, who)) == ["Patient/child-2"]
    new_id = created.json()["id"]
    headers2, who2 = _caller(world)  # same organisation: may change it
    changed = immunization(new_id, "child-2", lotNumber="L2")
    assert world.client.put(f"/fhir/Immunization/{new_id}", json=changed, headers=headers2).status_code == 200
    assert world.client.delete(f"/fhir/Immunization/{new_id}", headers=headers2).status_code == 204
    events = _events(world, who2)
    assert sorted(e["action"] for e in events) == ["D", "U"]
    assert all(_patients(e) == ["Patient/child-2"] for e in events)


def test_a_refused_write_names_the_patient_it_tried_to_change(world: World) -> None:
    headers, who = _caller(world, org="clinic-b")
    world.put(immunization("imm-a", "child-1"), world.nurse("clinic-a"))
    refused = world.client.put(
        "/fhir/Immunization/imm-a", json=immunization("imm-a", "child-1", lotNumber="X"), headers=headers
    )
    assert refused.status_code == 403
    event = _one(world, who)
    assert event["outcome"] == "4" and _patients(event) == ["Patient/child-1"]
    headers, who = _caller(world, org="clinic-b")
    assert world.client.delete("/fhir/Immunization/imm-a", headers=headers).status_code == 403
    assert _patients(_one(world, who)) == ["Patient/child-1"]


def test_transactions_and_batches_name_every_entrys_patient(world: World) -> None:
    world.put(patient("child-3", "Lê"))
    headers, who = _caller(world)
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": immunization("t1", "child-1"), "request": {"method": "POST", "url": "Immunization"}},
            {"resource": immunization("t2", "child-3"), "request": {"method": "POST", "url": "Immunization"}},
            {"request": {"method": "GET", "url": "Observation/obs-lab-2"}},
        ],
    }
    answer = world.client.post("/fhir", json=transaction, headers=headers)
    assert answer.status_code == 200, answer.text
    assert set(_patients(_one(world, who))) == {"Patient/child-1", "Patient/child-2", "Patient/child-3"}
    world.put(immunization("imm-ta", "child-1"), world.nurse("clinic-a"))  # recorded by clinic A
    headers, who = _caller(world, org="clinic-b")
    entry = {
        "resource": immunization("imm-ta", "child-1"),
        "request": {"method": "PUT", "url": "Immunization/imm-ta"},
    }
    refused = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    assert world.client.post("/fhir", json=refused, headers=headers).status_code == 403
    assert _patients(_one(world, who)) == ["Patient/child-1"]
    headers, who = _caller(world)
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": "Patient/child-3"}},
            {"request": {"method": "GET", "url": "Immunization?patient=child-2"}},
        ],
    }
    assert world.client.post("/fhir", json=batch, headers=headers).status_code == 200
    assert set(_patients(_one(world, who))) == {"Patient/child-2", "Patient/child-3"}


def test_post_search_bodies_are_audited_as_the_query(world: World) -> None:
    headers, who = _caller(world)
    found = world.client.post(
        "/fhir/Immunization/_search?_count=5",
        data={"patient": "child-1", "vaccine-code": "08"},
        headers=headers,
    )
    assert found.status_code == 200 and len(found.json()["entry"]) == 1
    event = _one(world, who)
    queries = [base64.b64decode(e["query"]).decode() for e in event["entity"] if "query" in e]
    assert queries == ["_count=5&patient=child-1&vaccine-code=08"]
    assert _patients(event) == ["Patient/child-1"]
    headers, who = _caller(world)
    world.client.get("/fhir/Immunization?patient=child-1&vaccine-code=08", headers=headers)
    queries = [base64.b64decode(e["query"]).decode() for e in _one(world, who)["entity"] if "query" in e]
    assert queries == ["patient=child-1&vaccine-code=08"]


def test_a_bulk_export_is_audited_with_its_query(world: World) -> None:
    headers, who = _caller(world)
    kick = world.client.get(
        "/fhir/Patient/$export?_type=Immunization", headers={**headers, "Prefer": "respond-async"}
    )
    assert kick.status_code == 202, kick.text
    # The finished job gets an event of its own (tests/api/test_export_audit.py): the kick-off's is this one.
    kickoffs = [e for e in _events(world, who) if not any("name" in x for x in e.get("entity", []))]
    assert len(kickoffs) == 1
    event = kickoffs[0]
    assert event["subtype"][0]["code"] == "operation" and event["action"] == "E" and event["outcome"] == "0"
    queries = [base64.b64decode(e["query"]).decode() for e in event["entity"] if "query" in e]
    assert queries == ["_type=Immunization"]
