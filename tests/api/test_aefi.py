"""AEFI: the Flag kept for a serious AdverseEvent, the province's work list and the lot signal."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.services.aefi import FLAG_DETAIL, SERIOUSNESS
from tests.api.coverage_world import JSON, load, shot

ROOT = "/fhir"


@pytest.fixture
def world(client: TestClient) -> TestClient:
    load(client)
    # a second lot of Penta given to a and b; "DPH-2503A" went to a, b, c, d (10 doses on record)
    for patient in ("a", "b"):
        put(client, shot(f"{patient}-x", patient, "102", "2025-06-10", lot="DPH-2506B"))
    return client


def put(client: TestClient, resource: dict[str, Any]) -> dict[str, Any]:
    response = client.put(f"{ROOT}/{resource['resourceType']}/{resource['id']}", json=resource, headers=JSON)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def event(
    id: str, patient: str, immunization: str, seriousness: str = "serious", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "AdverseEvent", "id": id, "actuality": "actual",
        "subject": {"reference": f"Patient/{patient}"}, "date": "2025-03-11T10:00:00+07:00",
        "seriousness": {"coding": [{"system": SERIOUSNESS, "code": seriousness}]},
        "outcome": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                                "code": "ongoing"}]},
        "suspectEntity": [{"instance": {"reference": f"Immunization/{immunization}"}}],
        **extra,
    }  # fmt: skip


def flags_of(client: TestClient, patient: str) -> list[dict[str, Any]]:
    bundle = client.get(f"{ROOT}/Patient/{patient}/Flag").json()
    return [e["resource"] for e in bundle.get("entry", [])]


def test_serious_event_flags_the_child_and_the_flag_follows_the_event(world: TestClient) -> None:
    put(world, event("ae-1", "a", "a-0"))
    (flag,) = flags_of(world, "a")
    assert (flag["id"], flag["status"]) == ("aefi-ae-1", "active")
    assert flag["extension"] == [{"url": FLAG_DETAIL, "valueReference": {"reference": "AdverseEvent/ae-1"}}]
    assert flag["period"] == {"start": "2025-03-11T10:00:00+07:00"}
    # causality assessed later: an update; the flag stays as it was (no new version)
    causality = [{"assessment": {"text": "Consistent causal association"},
                  "productRelatedness": "WHO-AEFI A1"}]  # fmt: skip
    assessed = event("ae-1", "a", "a-0")
    assessed["suspectEntity"][0]["causality"] = causality
    put(world, assessed)
    (flag,) = flags_of(world, "a")
    assert (flag["status"], flag["meta"]["versionId"]) == ("active", "1")
    # downgraded to non-serious: the flag becomes inactive, its history keeps the active version
    put(world, event("ae-1", "a", "a-0", "non-serious"))
    (flag,) = flags_of(world, "a")
    assert (flag["status"], flag["meta"]["versionId"]) == ("inactive", "2")
    # serious again, then deleted: active, then inactive
    put(world, event("ae-1", "a", "a-0"))
    assert flags_of(world, "a")[0]["status"] == "active"
    assert world.delete(f"{ROOT}/AdverseEvent/ae-1").status_code in (200, 204)
    assert flags_of(world, "a")[0]["status"] == "inactive"


def test_non_serious_or_potential_events_raise_no_flag(world: TestClient) -> None:
    put(world, event("ae-2", "b", "b-0", "non-serious"))
    put(world, event("ae-3", "b", "b-1", actuality="potential"))
    assert flags_of(world, "b") == []


def test_flag_is_written_in_a_transaction_too(world: TestClient) -> None:
    bundle = {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [{"resource": event("ae-t", "d", "d-0"),
                   "request": {"method": "PUT", "url": "AdverseEvent/ae-t"}}],
    }  # fmt: skip
    response = world.post(ROOT, json=bundle, headers=JSON)
    assert response.status_code == 200, response.text
    assert [f["status"] for f in flags_of(world, "d")] == ["active"]


def test_serious_events_listed_for_the_province(world: TestClient) -> None:
    put(world, event("ae-1", "a", "a-0"))
    put(world, event("ae-2", "b", "b-0", "non-serious"))
    put(world, event("ae-4", "d", "d-0", "SeriousResultsInHospitalization"))
    found = world.get(f"{ROOT}/$aefi-serious", params={"area": "79"}).json()
    assert found["total"] == 2
    assert sorted(e["resource"]["id"] for e in found["entry"]) == ["ae-1", "ae-4"]
    commune = world.get(f"{ROOT}/$aefi-serious", params={"area": "79002"}).json()
    assert [e["resource"]["id"] for e in commune["entry"]] == ["ae-4"]
    later = world.get(f"{ROOT}/$aefi-serious", params={"area": "79", "since": "2025-04-01"}).json()
    assert later["total"] == 0
    assert world.get(f"{ROOT}/$aefi-serious").status_code == 400


def test_lot_signal_counts_events_per_lot_and_per_10000_doses(world: TestClient) -> None:
    put(world, event("ae-1", "a", "a-0"))  # DPH-2503A
    put(world, event("ae-2", "b", "b-0", "non-serious"))  # DPH-2503A
    put(world, event("ae-5", "a", "a-x"))  # DPH-2506B
    put(world, event("ae-6", "a", "a-x", "non-serious"))  # DPH-2506B again
    response = world.get(f"{ROOT}/$aefi-signal")
    assert response.status_code == 200, response.text
    lots = [{p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in lot["part"]}
            for lot in response.json()["parameter"]]  # fmt: skip
    keys = ("lot-number", "events", "serious", "doses", "per-10000-doses")
    found = [tuple(lot[k] for k in keys) for lot in lots]
    assert found == [("DPH-2506B", 2, 1, 2, 10000.0), ("DPH-2503A", 2, 1, 11, 1818.18)]
    assert lots[0]["vaccine"] == {"system": "http://hl7.org/fhir/sid/cvx", "code": "102"}
    rows = list(
        csv.DictReader(io.StringIO(world.get(f"{ROOT}/$aefi-signal", params={"_format": "csv"}).text))
    )
    assert [(r["lot_number"], r["per_10000_doses"]) for r in rows] == [("DPH-2506B", "10000.00"),
                                                                        ("DPH-2503A", "1818.18")]  # fmt: skip
    # everyone who received the lot, for a recall
    recall = world.get(f"{ROOT}/Immunization", params={"lot-number": "DPH-2506B", "_count": "50"}).json()
    assert sorted(e["resource"]["patient"]["reference"] for e in recall["entry"]) == [
        "Patient/a",
        "Patient/b",
    ]
