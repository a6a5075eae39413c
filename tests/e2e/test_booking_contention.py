"""Fifty parallel bookings over real HTTP (uvicorn) for the last five places of a slot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.test_appointments import slot
from tests.e2e.server import ServerProcess
from tests.scheduling_world import appointment, child, location, province_area

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Without the forecast upkeep: the children here are bare, and the test is about capacity."""
    env = {"FHIR_FORECAST_UPKEEP": "false"}
    running = ServerProcess(tmp_path_factory.mktemp("booking") / "booking.sqlite3", env=env).start()
    yield running
    running.stop()


def test_fifty_parallel_http_bookings_for_five_places(server: ServerProcess) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=30) as http:
        resources: list[dict[str, Any]] = [
            province_area(),
            location("loc-e2e", "Phường Ba Đình"),
            {"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Location/loc-e2e"}]},
            slot("e2e-a", "2026-12-01T07:30:00+07:00", "2026-12-01T07:45:00+07:00", 8),
            slot("e2e-b", "2026-12-01T07:45:00+07:00", "2026-12-01T08:00:00+07:00", 8),
            *(child(f"e2e-c{n}") for n in range(53)),
        ]
        for resource in resources:
            assert http.put(f"/{resource['resourceType']}/{resource['id']}", json=resource).status_code in (
                200,
                201,
            )
        for n in range(3):  # three of the eight places are taken already
            assert http.post("/Appointment", json=appointment(f"e2e-c{50 + n}", "e2e-a")).status_code == 201

    def book(n: int) -> httpx.Response:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            return client.post("/Appointment", json=appointment(f"e2e-c{n}", "e2e-a"))

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(book, range(50)))
    assert Counter(r.status_code for r in responses) == {201: 5, 409: 45}
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["issue"][1]["diagnostics"].startswith("Slot/e2e-b ")
    with httpx.Client(base_url=server.base) as http:
        booked = http.get("/Appointment", params={"slot": "Slot/e2e-a", "_count": 100}).json()
        assert len(booked["entry"]) == 8
        assert http.get("/Slot/e2e-a").json()["status"] == "busy"
