"""A finished $export gets an AuditEvent naming each patient whose resources were written to its files
(bulk.export_service, services.audit_requester): Patient-, Group- and system-level, the kick-off's agent
and query, at most MAX_PATIENTS named and then a count, like every AuditEvent."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

import pytest

import fhir_server.services.audit as audit_module
from tests.api.security_world import World, immunization, patient, world

__all__ = ["world"]  # the fixture


def _caller(world: World) -> tuple[dict[str, str], str]:
    who = f"Practitioner/pr-{secrets.token_hex(4)}"
    headers = world.token(
        "user/*.cruds", role="health_worker", organization="Organization/clinic-a", fhirUser=who
    )
    return headers, who


def _export(world: World, path: str) -> dict[str, Any]:
    """Kick off `path`, wait for the job, and return the AuditEvent of the finished job."""
    headers, who = _caller(world)
    kick = world.client.get(path, headers={**headers, "Prefer": "respond-async"})
    assert kick.status_code == 202, kick.text
    status = kick.headers["content-location"]
    deadline = time.monotonic() + 20
    while world.client.get(status, headers=headers).status_code == 202:
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.05)
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    found = world.client.get(f"/fhir/AuditEvent?agent={who}&_count=100", headers=auditor).json()
    events = [e["resource"] for e in found.get("entry", [])]
    finished = [
        e for e in events if any(x.get("name", "").startswith("$export job") for x in e.get("entity", []))
    ]
    assert len(finished) == 1, events
    event = finished[0]
    assert event["agent"][0]["who"] == {"reference": who}
    assert event["subtype"][0]["code"] == "operation" and event["outcome"] == "0"
    return event


def _patients(event: dict[str, Any]) -> set[str]:
    return {e["what"]["reference"] for e in event["entity"] if e["type"]["code"] == "1" and "what" in e}


def _queries(event: dict[str, Any]) -> list[str]:
    return [base64.b64decode(e["query"]).decode() for e in event["entity"] if "query" in e]


@pytest.fixture
def three(world: World) -> World:
    """child-3 has no Immunization; a Group lists child-1 and child-3."""
    world.put(patient("child-3", "Lê"))
    world.put(
        {
            "resourceType": "Group",
            "id": "g1",
            "type": "person",
            "actual": True,
            "member": [
                {"entity": {"reference": "Patient/child-1"}},
                {"entity": {"reference": "Patient/child-3"}},
            ],
        }
    )
    return world


def test_a_patient_export_names_the_patients_of_its_files(three: World) -> None:
    event = _export(three, "/fhir/Patient/$export?_type=Immunization")
    assert _patients(event) == {"Patient/child-1", "Patient/child-2"}  # child-3 has nothing in the files
    assert _queries(event) == ["_type=Immunization"]
    work = next(e for e in event["entity"] if e.get("name", "").startswith("$export job"))
    assert work["description"] == "completed: 2 resources in 1 file(s); 2 patients"
    everything = _export(three, "/fhir/Patient/$export")
    assert _patients(everything) == {"Patient/child-1", "Patient/child-2", "Patient/child-3"}


def test_a_group_export_names_its_members_whose_data_were_written(three: World) -> None:
    immunizations = _export(three, "/fhir/Group/g1/$export?_type=Immunization")
    assert _patients(immunizations) == {"Patient/child-1"}
    assert any(e.get("what", {}).get("reference") == "Group/g1" for e in immunizations["entity"])
    records = _export(three, "/fhir/Group/g1/$export?_type=Patient,Immunization")
    assert _patients(records) == {"Patient/child-1", "Patient/child-3"}


def test_a_system_export_names_patients_not_organizations(three: World) -> None:
    event = _export(three, "/fhir/$export?_type=Organization,Immunization")
    assert _patients(event) == {"Patient/child-1", "Patient/child-2"}
    nobody = _export(three, "/fhir/$export?_type=Organization")
    assert _patients(nobody) == set()


def test_at_most_max_patients_are_named_then_counted(three: World, monkeypatch: pytest.MonkeyPatch) -> None:
    three.put(immunization("imm-3", "child-3"))
    monkeypatch.setattr(audit_module, "MAX_PATIENTS", 2)
    event = _export(three, "/fhir/Patient/$export?_type=Immunization")
    assert len(_patients(event)) == 2
    counts = [
        d["valueString"] for e in event["entity"] for d in e.get("detail", []) if d["type"] == "patient-count"
    ]
    assert counts == ["3"]
