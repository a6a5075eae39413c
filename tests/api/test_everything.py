"""`Patient/[id]/$everything` (services.everything): the compartment as a searchset Bundle, paged, under
the caller's access — a parent gets their own child's record only, scopes leave types out, and the
AuditEvent names the patient."""

from __future__ import annotations

from typing import Any

from tests.api.security_world import World, immunization, observation, patient, world

__all__ = ["world"]  # the fixture


def _types_and_ids(bundle: dict[str, Any], mode: str = "match") -> set[tuple[str, str]]:
    """The matches (or, with mode="include", the supporting resources the page brought)."""
    entries = [e for e in bundle.get("entry", []) if e["search"]["mode"] == mode]
    return {(e["resource"]["resourceType"], e["resource"]["id"]) for e in entries}


CHILD_1 = {
    ("Patient", "child-1"),
    ("Immunization", "imm-1"),
    ("Observation", "obs-vital-1"),
    ("Observation", "obs-lab-1"),
    ("ImmunizationRecommendation", "rec-child-1"),  # the forecast the server keeps up to date
}


def test_everything_returns_the_compartment_and_nothing_else(world: World) -> None:
    found = world.client.get("/fhir/Patient/child-1/$everything", headers=world.nurse("clinic-a"))
    assert found.status_code == 200, found.text
    bundle = found.json()
    assert bundle["type"] == "searchset"
    assert _types_and_ids(bundle) == CHILD_1
    # and what the record refers to: the Organization that gave the dose (R4: "linked practitioners,
    # medications, locations, organizations")
    assert _types_and_ids(bundle, "include") == {("Organization", "clinic-a")}
    assert len(bundle["entry"]) == len(CHILD_1) + 1  # includes are not counted in a total


def test_supporting_resources_come_only_when_the_caller_may_read_them(world: World) -> None:
    parent = world.parent("child-1")  # patient/ scopes reach the shared types (Organization, ...)
    own = world.client.get("/fhir/Patient/child-1/$everything", headers=parent).json()
    assert _types_and_ids(own, "include") == {("Organization", "clinic-a")}
    narrow = world.parent("child-1", "patient/Patient.rs patient/Immunization.rs")
    found = world.client.get("/fhir/Patient/child-1/$everything", headers=narrow).json()
    assert _types_and_ids(found, "include") == set()  # Organization not granted: left out, not refused
    paged = world.client.get(
        "/fhir/Patient/child-1/$everything?_type=Observation", headers=world.nurse("clinic-a")
    )
    assert _types_and_ids(paged.json(), "include") == set()  # only what this page's matches refer to


def test_a_parent_gets_their_own_child_and_not_another(world: World) -> None:
    parent = world.parent("child-1")
    own = world.client.get("/fhir/Patient/child-1/$everything", headers=parent)
    assert own.status_code == 200 and _types_and_ids(own.json()) == CHILD_1
    other = world.client.get("/fhir/Patient/child-2/$everything", headers=parent)
    assert other.status_code == 404
    assert "Trần" not in other.text and "imm-2" not in other.text
    unknown = world.client.get("/fhir/Patient/nobody/$everything", headers=parent)
    assert unknown.status_code == 404  # the same answer: existence is not revealed


def test_scopes_leave_types_out_and_narrowing_applies(world: World) -> None:
    only_immunizations = world.parent("child-1", "patient/Patient.rs patient/Immunization.rs")
    found = world.client.get("/fhir/Patient/child-1/$everything", headers=only_immunizations).json()
    assert _types_and_ids(found) == {("Patient", "child-1"), ("Immunization", "imm-1")}
    labs = world.parent("child-1", "patient/Patient.rs patient/Observation.rs?category=laboratory")
    found = world.client.get("/fhir/Patient/child-1/$everything", headers=labs).json()
    assert _types_and_ids(found) == {("Patient", "child-1"), ("Observation", "obs-lab-1")}
    no_patient = world.parent("child-1", "patient/Immunization.rs")
    refused = world.client.get("/fhir/Patient/child-1/$everything", headers=no_patient)
    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.client.get("/fhir/Patient/child-1/$everything").status_code == 401


def test_paging_type_filter_and_since(world: World) -> None:
    nurse = world.nurse("clinic-a")
    first = world.client.get("/fhir/Patient/child-1/$everything?_count=3", headers=nurse).json()
    assert len([e for e in first["entry"] if e["search"]["mode"] == "match"]) == 3
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = world.client.get(next_url, headers=nurse).json()
    assert _types_and_ids(first) | _types_and_ids(second) == CHILD_1
    typed = world.client.get("/fhir/Patient/child-1/$everything?_type=Immunization", headers=nurse).json()
    assert _types_and_ids(typed) == {("Immunization", "imm-1")}
    outside = world.client.get("/fhir/Patient/child-1/$everything?_type=Organization", headers=nurse)
    assert outside.status_code == 400
    later = world.client.get("/fhir/Patient/child-1/$everything?_since=2999-01-01T00:00:00Z", headers=nurse)
    assert later.status_code == 200 and "entry" not in later.json()
    strict = world.client.get(
        "/fhir/Patient/child-1/$everything?status=final", headers={**nurse, "Prefer": "handling=strict"}
    )
    assert strict.status_code == 400 and strict.json()["issue"][0]["expression"] == ["status"]


def test_linked_patients_and_audit(world: World) -> None:
    world.put(
        {
            **patient("child-1b", "Nguyễn"),
            "link": [{"other": {"reference": "Patient/child-1"}, "type": "seealso"}],
        }
    )
    world.put(observation("obs-b", "child-1b", "laboratory"))
    world.put(immunization("imm-b", "child-2"))
    nurse = world.token(
        "user/*.rs",
        role="health_worker",
        organization="Organization/clinic-a",
        fhirUser="Practitioner/pr-every",
    )
    found = world.client.get("/fhir/Patient/child-1/$everything", headers=nurse).json()
    assert ("Patient", "child-1b") in _types_and_ids(found)  # a Patient linking to it is in its compartment
    assert ("Immunization", "imm-b") not in _types_and_ids(found)
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    events = world.client.get("/fhir/AuditEvent?agent=Practitioner/pr-every", headers=auditor).json()["entry"]
    event = events[0]["resource"]
    assert event["subtype"][0]["code"] == "operation"
    patients = {e["what"]["reference"] for e in event["entity"] if e["type"]["code"] == "1"}
    assert patients == {"Patient/child-1", "Patient/child-1b"}


def test_the_capability_statement_lists_it_and_its_definition_reads(world: World) -> None:
    statement = world.client.get("/fhir/metadata").json()
    patient_entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    listed = {o["name"]: o["definition"] for o in patient_entry.get("operation", [])}
    assert listed["everything"] == "https://fhir.vn/OperationDefinition/Patient-everything"
    definition = world.client.get("/fhir/OperationDefinition/Patient-everything", headers=world.admin)
    assert definition.status_code == 200 and definition.json()["code"] == "everything"
