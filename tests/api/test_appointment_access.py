"""A parent's `patient/` token books, reschedules and cancels appointments for the launch child only, sees
the free slots and runs `$find-slots` for that child; another child (a sibling included: a parent with
several children picks one per launch) is refused — 403 for a new booking, 404 for an existing
appointment — and nothing changes. The session desk stays for staff. Tokens are signed by the app's own
authorization server and go through the real door (api/security.Guard)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from auth.component import build_auth
from auth.settings import AuthSettings
from fhir_server.app import create_app
from fhir_server.services.scheduling_codes import CAPACITY_URL, VACCINE_SYSTEM
from fhir_server.settings import Settings
from tests.api.security_world import BASE, World, patient
from tests.scheduling_world import MR, appointment, location, province_area

PARENT_SCOPE = (
    "patient/Appointment.cruds patient/Slot.rs patient/Schedule.rs patient/Location.rs patient/Patient.r"
)


def _slot(id: str, start: str, capacity: int) -> dict[str, Any]:
    return {
        "resourceType": "Slot",
        "id": id,
        "extension": [{"url": CAPACITY_URL, "valuePositiveInt": capacity}],
        "serviceType": [{"coding": [{"system": VACCINE_SYSTEM, "code": MR}]}],
        "schedule": {"reference": "Schedule/s1"},
        "status": "free",
        "start": start,
        "end": start.replace(":30:", ":45:"),
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Children without stored recommendations (no forecast upkeep): the due check has nothing to refuse."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'booking.sqlite3'}", auth_required=True, forecast_upkeep=False
    )
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    with TestClient(create_app(settings, auth=auth), base_url=BASE) as client:
        world = World(client, auth, {})
        world.admin = world.token("user/*.cruds", role="admin", organization="Organization/registry")
        for id in ("child-1", "child-2", "child-3"):  # child-3: child-1's sibling
            world.put(patient(id, "Nguyễn"))
        world.put(province_area())
        world.put(location("loc-1", "Phường Ba Đình"))
        world.put({"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Location/loc-1"}]})
        world.put(_slot("a", "2026-12-01T07:30:00+07:00", 2))
        world.put(_slot("b", "2026-12-01T08:30:00+07:00", 2))
        yield world


def parent(world: World, child: str) -> dict[str, str]:
    return world.parent(child, PARENT_SCOPE)


def appointments_of(world: World, child: str) -> list[dict[str, Any]]:
    found = world.client.get(f"/fhir/Appointment?actor=Patient/{child}", headers=world.admin).json()
    return [e["resource"] for e in found.get("entry", ())]


def slot_status(world: World, id: str) -> str:
    return str(world.client.get(f"/fhir/Slot/{id}", headers=world.admin).json()["status"])


def test_a_parent_books_reschedules_and_cancels_for_their_child(world: World) -> None:
    mine = parent(world, "child-1")
    free = world.client.get(
        "/fhir/Slot", params={"schedule.actor": "Location/loc-1", "status": "free"}, headers=mine
    )
    assert free.status_code == 200, free.text
    assert {e["resource"]["id"] for e in free.json()["entry"]} == {"a", "b"}
    found = world.client.get("/fhir/Appointment/$find-slots?patient=child-1&start=2026-11-30", headers=mine)
    assert found.status_code == 200, found.text
    assert [e["resource"]["id"] for e in found.json()["entry"] if e["search"]["mode"] == "match"] == [
        "a",
        "b",
    ]

    booked = world.client.post("/fhir/Appointment", json=appointment("child-1", "a"), headers=mine)
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["start"] == "2026-12-01T07:30:00+07:00"
    assert world.client.get(f"/fhir/Appointment/{body['id']}", headers=mine).status_code == 200

    body.pop("meta")
    moved = world.client.put(
        f"/fhir/Appointment/{body['id']}", json={**body, "slot": [{"reference": "Slot/b"}]}, headers=mine
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == "2026-12-01T08:30:00+07:00"
    moved_body = moved.json()
    moved_body.pop("meta")
    cancelled = world.client.put(
        f"/fhir/Appointment/{body['id']}", json={**moved_body, "status": "cancelled"}, headers=mine
    )
    assert cancelled.status_code == 200, cancelled.text
    patched = world.client.patch(
        f"/fhir/Appointment/{body['id']}",
        json=[{"op": "add", "path": "/comment", "value": "bé ốm"}],
        headers={**mine, "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert world.client.delete(f"/fhir/Appointment/{body['id']}", headers=mine).status_code == 204
    assert appointments_of(world, "child-1") == []


def test_a_parent_cannot_book_for_another_child_not_even_a_sibling(world: World) -> None:
    mine = parent(world, "child-1")
    for other in ("child-2", "child-3"):
        refused = world.client.post("/fhir/Appointment", json=appointment(other, "a"), headers=mine)
        assert refused.status_code == 403, refused.text
        assert refused.json()["issue"][0]["code"] == "forbidden"
        assert appointments_of(world, other) == []
    # one appointment for two children (hers and another) is refused before access is even considered
    both = appointment("child-1", "a")
    both["participant"].append({"actor": {"reference": "Patient/child-2"}, "status": "accepted"})
    assert world.client.post("/fhir/Appointment", json=both, headers=mine).status_code == 422
    assert slot_status(world, "a") == "free"
    # the sibling's own launch works
    sibling = world.client.post(
        "/fhir/Appointment", json=appointment("child-3", "a"), headers=parent(world, "child-3")
    )
    assert sibling.status_code == 201, sibling.text


def test_another_childs_appointment_is_404_and_untouched(world: World) -> None:
    nurse = world.nurse("clinic-a")
    theirs = world.client.post("/fhir/Appointment", json=appointment("child-2", "a"), headers=nurse)
    assert theirs.status_code == 201, theirs.text
    body = theirs.json()
    id, version = body["id"], body["meta"]["versionId"]
    body.pop("meta")
    mine = parent(world, "child-1")
    attempts = [
        world.client.get(f"/fhir/Appointment/{id}", headers=mine),
        world.client.put(f"/fhir/Appointment/{id}", json={**body, "status": "cancelled"}, headers=mine),
        world.client.patch(
            f"/fhir/Appointment/{id}",
            json=[{"op": "replace", "path": "/status", "value": "cancelled"}],
            headers={**mine, "Content-Type": "application/json-patch+json"},
        ),
        world.client.delete(f"/fhir/Appointment/{id}", headers=mine),
    ]
    assert [a.status_code for a in attempts] == [404, 404, 404, 404]
    assert all("child-2" not in a.text for a in attempts)
    # moving another child's appointment onto one's own child is refused too
    taken = world.client.put(
        f"/fhir/Appointment/{id}",
        json={**body, "participant": [{"actor": {"reference": "Patient/child-1"}, "status": "accepted"}]},
        headers=mine,
    )
    assert taken.status_code == 404
    after = world.client.get(f"/fhir/Appointment/{id}", headers=world.admin).json()
    assert after["meta"]["versionId"] == version and after["status"] == "booked"
    found = world.client.get("/fhir/Appointment/$find-slots?patient=child-2", headers=mine)
    assert found.status_code == 404
    # her own appointment may not be handed to another child
    own = world.client.post("/fhir/Appointment", json=appointment("child-1", "b"), headers=mine).json()
    own.pop("meta")
    handed = {**own, "participant": [{"actor": {"reference": "Patient/child-2"}, "status": "accepted"}]}
    assert world.client.put(f"/fhir/Appointment/{own['id']}", json=handed, headers=mine).status_code == 403


def test_the_family_and_the_station_keep_an_appointment_together(world: World) -> None:
    """The station booked it, the parent cancels it; the parent booked one, the station reschedules it."""
    nurse = world.nurse("clinic-a")
    booked = world.client.post("/fhir/Appointment", json=appointment("child-1", "a"), headers=nurse).json()
    booked.pop("meta")
    cancelled = world.client.put(
        f"/fhir/Appointment/{booked['id']}",
        json={**booked, "status": "cancelled"},
        headers=parent(world, "child-1"),
    )
    assert cancelled.status_code == 200, cancelled.text
    by_parent = world.client.post(
        "/fhir/Appointment", json=appointment("child-1", "a"), headers=parent(world, "child-1")
    ).json()
    by_parent.pop("meta")
    moved = world.client.put(
        f"/fhir/Appointment/{by_parent['id']}",
        json={**by_parent, "slot": [{"reference": "Slot/b"}]},
        headers=nurse,
    )
    assert moved.status_code == 200, moved.text


def test_scopes_still_decide(world: World) -> None:
    read_only = world.parent("child-1", "patient/*.rs")
    refused = world.client.post("/fhir/Appointment", json=appointment("child-1", "a"), headers=read_only)
    assert refused.status_code == 403
    assert appointments_of(world, "child-1") == []
    # slots are shared (no personal data): a read-only parent token sees them
    assert world.client.get("/fhir/Slot/a", headers=read_only).status_code == 200


def test_the_session_desk_is_for_staff(world: World) -> None:
    booked = world.client.post(
        "/fhir/Appointment", json=appointment("child-1", "a"), headers=parent(world, "child-1")
    ).json()
    mine = parent(world, "child-1")
    assert world.client.get("/fhir/Location/loc-1/$queue?date=2026-12-01", headers=mine).status_code == 403
    arrived = {"resourceType": "Parameters", "parameter": [{"name": "status", "valueCode": "arrived"}]}
    check_in = world.client.post(f"/fhir/Appointment/{booked['id']}/$check-in", json=arrived, headers=mine)
    assert check_in.status_code == 403
    nurse = world.nurse("clinic-a")
    assert world.client.get("/fhir/Location/loc-1/$queue?date=2026-12-01", headers=nurse).status_code == 200
    done = world.client.post(f"/fhir/Appointment/{booked['id']}/$check-in", json=arrived, headers=nurse)
    assert done.status_code == 200, done.text
