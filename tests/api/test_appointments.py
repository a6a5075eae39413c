"""Appointments over the HTTP API (ASGI): booking to capacity, 409 with the next free slots, the Slot
search a parent's app runs, cancel, $find-slots, $check-in and $queue."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.services.scheduling_codes import CAPACITY_URL, VACCINE_SYSTEM
from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON
from tests.scheduling_world import MR, appointment, child, location, province_area

HEADERS = {"Content-Type": FHIR_JSON}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the forecast upkeep: these children are bare and carry hand-made recommendations."""
    return settings.model_copy(update={"forecast_upkeep": False})


def put(client: TestClient, resource: dict[str, Any]) -> None:
    response = client.put(
        f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource, headers=HEADERS
    )
    assert response.status_code in (200, 201), response.text


def slot(id: str, start: str, end: str, capacity: int) -> dict[str, Any]:
    return {
        "resourceType": "Slot",
        "id": id,
        "extension": [{"url": CAPACITY_URL, "valuePositiveInt": capacity}],
        "serviceType": [{"coding": [{"system": VACCINE_SYSTEM, "code": MR}]}],
        "schedule": {"reference": "Schedule/s1"},
        "status": "free",
        "start": start,
        "end": end,
    }


def session(client: TestClient) -> None:
    put(client, province_area())
    put(client, location("loc-1", "Phường Ba Đình"))
    put(client, location("loc-2", "Phường Kim Mã"))
    put(client, {"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Location/loc-1"}]})
    put(client, slot("a", "2026-12-01T07:30:00+07:00", "2026-12-01T07:45:00+07:00", 2))
    put(client, slot("b", "2026-12-01T07:45:00+07:00", "2026-12-01T08:00:00+07:00", 2))
    for n in range(1, 5):
        put(client, child(f"c{n}"))


def test_booking_to_capacity_then_409_with_the_next_free_slot(client: TestClient) -> None:
    session(client)
    first = client.post("/fhir/Appointment", json=appointment("c1", "a"), headers=HEADERS)
    assert first.status_code == 201
    assert first.headers["Location"].startswith("http://testserver/fhir/Appointment/")
    assert first.json()["start"] == "2026-12-01T07:30:00+07:00"
    assert client.post("/fhir/Appointment", json=appointment("c2", "a"), headers=HEADERS).status_code == 201
    full = client.post("/fhir/Appointment", json=appointment("c3", "a"), headers=HEADERS)
    assert full.status_code == 409
    outcome = full.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "conflict"
    assert outcome["issue"][0]["expression"] == ["Appointment.slot"]
    assert outcome["issue"][1]["diagnostics"] == "Slot/b 2026-12-01T07:45:00+07:00"
    assert client.get("/fhir/Slot/a").json()["status"] == "busy"

    free = client.get(
        "/fhir/Slot", params={"schedule.actor": "Location/loc-1", "start": "ge2026-12-01", "status": "free"}
    ).json()
    assert [e["resource"]["id"] for e in free["entry"]] == ["b"]

    booked = first.json()
    booked.pop("meta")
    cancelled = client.put(
        f"/fhir/Appointment/{booked['id']}", json={**booked, "status": "cancelled"}, headers=HEADERS
    )
    assert cancelled.status_code == 200
    assert client.get("/fhir/Slot/a").json()["status"] == "free"


def test_find_slots_check_in_and_queue(client: TestClient) -> None:
    session(client)
    found = client.get(
        "/fhir/Appointment/$find-slots", params={"patient": "c1", "start": "2026-12-01"}
    ).json()
    assert found["resourceType"] == "Bundle"
    matches = [e["resource"]["id"] for e in found["entry"] if e["search"]["mode"] == "match"]
    assert matches == ["a", "b"]
    assert [e["resource"]["id"] for e in found["entry"] if e["search"]["mode"] == "include"] == ["loc-1"]

    ids = [
        client.post("/fhir/Appointment", json=appointment(f"c{n}", s), headers=HEADERS).json()["id"]
        for n, s in ((1, "a"), (2, "b"))
    ]
    arrived = {"resourceType": "Parameters", "parameter": [{"name": "status", "valueCode": "arrived"}]}
    assert (
        client.post(f"/fhir/Appointment/{ids[1]}/$check-in", json=arrived, headers=HEADERS).status_code == 200
    )
    queue = client.get("/fhir/Location/loc-1/$queue", params={"date": "2026-12-01"}).json()
    assert [e["resource"]["id"] for e in queue["entry"]] == [ids[1], ids[0]]

    vaccinated = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "status", "valueCode": "fulfilled"},
            {"name": "lotNumber", "valueString": "MR-7"},
        ],
    }
    done = client.post(f"/fhir/Appointment/{ids[1]}/$check-in", json=vaccinated, headers=HEADERS)
    assert done.status_code == 200, done.text
    parts = {p["name"]: p["resource"] for p in done.json()["parameter"]}
    assert parts["appointment"]["status"] == "fulfilled"
    immunization = client.get(f"/fhir/Immunization/{parts['immunization']['id']}").json()
    assert immunization["lotNumber"] == "MR-7" and immunization["patient"] == {"reference": "Patient/c2"}

    bad = client.post(
        f"/fhir/Appointment/{ids[0]}/$check-in",
        json={"resourceType": "Parameters", "parameter": [{"name": "status", "valueCode": "gone"}]},
        headers=HEADERS,
    )
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


def test_an_appointment_without_a_slot_is_refused(client: TestClient) -> None:
    session(client)
    body = appointment("c1", "a")
    body.pop("slot")
    refused = client.post("/fhir/Appointment", json=body, headers=HEADERS)
    assert refused.status_code == 422
    assert refused.json()["issue"][0]["expression"] == ["Appointment.slot"]


def test_patch_and_delete_keep_the_slot_right(client: TestClient) -> None:
    session(client)
    ids = [
        client.post("/fhir/Appointment", json=appointment(f"c{n}", s), headers=HEADERS).json()["id"]
        for n, s in ((1, "a"), (2, "a"), (3, "b"))
    ]
    assert client.get("/fhir/Slot/a").json()["status"] == "busy"
    patch_headers = {"Content-Type": "application/json-patch+json"}
    move = [{"op": "replace", "path": "/slot/0/reference", "value": "Slot/a"}]
    refused = client.patch(f"/fhir/Appointment/{ids[2]}", json=move, headers=patch_headers)
    assert refused.status_code == 409
    assert client.get(f"/fhir/Appointment/{ids[2]}").json()["slot"] == [
        {"reference": "Slot/b"}
    ]  # rolled back
    assert client.delete(f"/fhir/Appointment/{ids[0]}").status_code == 204
    assert client.get("/fhir/Slot/a").json()["status"] == "free"
    moved = client.patch(f"/fhir/Appointment/{ids[2]}", json=move, headers=patch_headers)
    assert moved.status_code == 200
    assert client.get("/fhir/Slot/a").json()["status"] == "busy"
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    assert client.patch(f"/fhir/Appointment/{ids[1]}", json=cancel, headers=patch_headers).status_code == 200
    assert client.get("/fhir/Slot/a").json()["status"] == "free"
