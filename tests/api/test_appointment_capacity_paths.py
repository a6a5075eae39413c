"""A slot's capacity holds on every path that writes an Appointment, not only POST /Appointment:
transaction and batch Bundles (entries see each other's writes), conditional updates through the generic
routes, PATCH and DELETE; the Slot's status follows in the same unit of work (services/slot_capacity.py)."""

from __future__ import annotations

import json
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
    return settings.model_copy(update={"forecast_upkeep": False})


def put(client: TestClient, resource: dict[str, Any]) -> dict[str, Any]:
    url = f"/fhir/{resource['resourceType']}/{resource['id']}"
    response = client.put(url, json=resource, headers=HEADERS)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


@pytest.fixture
def session(client: TestClient) -> TestClient:
    put(client, province_area())
    put(client, location("loc-1", "Phường Ba Đình"))
    put(client, {"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Location/loc-1"}]})
    for id, start, end in (("a", "07:30", "07:45"), ("b", "07:45", "08:00")):
        put(
            client,
            {
                "resourceType": "Slot",
                "id": id,
                "meta": {"tag": [{"system": "https://example.org/tags", "code": "kept"}]},
                "extension": [{"url": CAPACITY_URL, "valuePositiveInt": 2}],
                "serviceType": [{"coding": [{"system": VACCINE_SYSTEM, "code": MR}]}],
                "schedule": {"reference": "Schedule/s1"},
                "status": "free",
                "start": f"2026-12-01T{start}:00+07:00",
                "end": f"2026-12-01T{end}:00+07:00",
            },
        )
    for n in range(1, 6):
        put(client, child(f"c{n}"))
    return client


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def post_entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"resource": resource, "request": {"method": "POST", "url": "Appointment"}}


def send(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/fhir", content=json.dumps(body), headers=HEADERS)


def holders(client: TestClient, slot: str) -> int:
    found = client.get(f"/fhir/Appointment?slot=Slot/{slot}&status=booked&_total=accurate").json()
    return int(found["total"])


def book(client: TestClient, child_id: str, slot_id: str) -> dict[str, Any]:
    response = client.post("/fhir/Appointment", json=appointment(child_id, slot_id), headers=HEADERS)
    assert response.status_code == 201, response.text
    return dict(response.json())


def slot(client: TestClient, id: str) -> dict[str, Any]:
    return dict(client.get(f"/fhir/Slot/{id}").json())


def test_a_transaction_overbooking_a_slot_fails_whole(session: TestClient) -> None:
    three = bundle("transaction", *(post_entry(appointment(f"c{n}", "a")) for n in (1, 2, 3)))
    refused = send(session, three)
    assert refused.status_code == 409, refused.text
    issue = refused.json()["issue"][0]
    assert issue["code"] == "conflict"
    assert "Slot/a" in issue["diagnostics"]
    assert holders(session, "a") == 0
    assert slot(session, "a")["status"] == "free"
    two = send(session, bundle("transaction", *(post_entry(appointment(f"c{n}", "a")) for n in (1, 2))))
    assert two.status_code == 200, two.text
    assert holders(session, "a") == 2
    after = slot(session, "a")
    assert after["status"] == "busy"
    assert after["meta"]["tag"] == [{"system": "https://example.org/tags", "code": "kept"}]


def test_a_batch_books_what_fits_and_refuses_the_rest(session: TestClient) -> None:
    three = bundle("batch", *(post_entry(appointment(f"c{n}", "a")) for n in (1, 2, 3)))
    response = send(session, three)
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"][:3] for e in response.json()["entry"]]
    assert statuses == ["201", "201", "409"]
    assert holders(session, "a") == 2


def test_a_transaction_frees_a_place_and_takes_it(session: TestClient) -> None:
    """DELETE entries run before POST entries (FHIR processing order): the freed place can be retaken."""
    ids = [send(session, bundle("batch", post_entry(appointment(f"c{n}", "a")))) for n in (1, 2)]
    first = ids[0].json()["entry"][0]["response"]["location"].split("/")[1]
    swap = bundle(
        "transaction",
        {"request": {"method": "DELETE", "url": f"Appointment/{first}"}},
        post_entry(appointment("c3", "a")),
    )
    assert send(session, swap).status_code == 200
    assert holders(session, "a") == 2
    assert slot(session, "a")["status"] == "busy"


def test_moving_and_cancelling_in_a_transaction_keep_both_slots_right(session: TestClient) -> None:
    for n in (1, 2):
        assert (
            session.post("/fhir/Appointment", json=appointment(f"c{n}", "a"), headers=HEADERS).status_code
            == 201
        )
    booked = session.get("/fhir/Appointment?slot=Slot/a").json()["entry"]
    moved = {**booked[0]["resource"], "slot": [{"reference": "Slot/b"}]}
    cancelled = {**booked[1]["resource"], "status": "cancelled"}
    entries = [
        {"resource": r, "request": {"method": "PUT", "url": f"Appointment/{r['id']}"}}
        for r in (moved, cancelled)
    ]
    assert send(session, bundle("transaction", *entries)).status_code == 200
    assert slot(session, "a")["status"] == "free"
    assert holders(session, "a") == 0 and holders(session, "b") == 1


def test_generic_writes_cannot_bypass_the_capacity(session: TestClient) -> None:
    for n in (1, 2):
        assert (
            session.post("/fhir/Appointment", json=appointment(f"c{n}", "a"), headers=HEADERS).status_code
            == 201
        )
    # a conditional update (the generic route, not the booking service)
    third = {
        **appointment("c3", "a"),
        "identifier": [{"system": "https://example.org/booking", "value": "x3"}],
    }
    conditional = session.put(
        "/fhir/Appointment?identifier=https://example.org/booking|x3", json=third, headers=HEADERS
    )
    assert conditional.status_code == 409, conditional.text
    # a PATCH moving a booking from b into the full a
    other = session.post("/fhir/Appointment", json=appointment("c4", "b"), headers=HEADERS).json()
    patch = [{"op": "replace", "path": "/slot/0/reference", "value": "Slot/a"}]
    moved = session.patch(
        f"/fhir/Appointment/{other['id']}",
        json=patch,
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert moved.status_code == 409
    assert holders(session, "a") == 2 and holders(session, "b") == 1
    # a blocked slot takes nobody, on any path
    blocked = {**slot(session, "b"), "status": "busy-unavailable"}
    blocked.pop("meta")
    put(session, blocked)
    refused = send(session, bundle("transaction", post_entry(appointment("c5", "b"))))
    assert refused.status_code == 409
    assert "not open" in refused.json()["issue"][0]["diagnostics"]
    unknown = send(session, bundle("transaction", post_entry(appointment("c5", "nowhere"))))
    assert unknown.status_code == 422
