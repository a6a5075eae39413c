"""The session desk: queue in arrival order; vaccinated records the Immunization with the appointment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fhir_server.app import build_services
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.check_in import Vaccination
from fhir_server.services.container import Services
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.slot_generator import WeeklyTemplate
from fhir_server.settings import Settings
from tests.scheduling_world import PROVINCE_AREA, TEMPLATE, appointment, child, location, province_area

TUESDAY = date(2026, 12, 1)


class StepClock:
    def __init__(self) -> None:
        self.minute = 0

    def now(self) -> datetime:
        self.minute += 1
        return datetime(2026, 12, 1, 0, self.minute, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling, list[str]]]:
    services = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'desk.sqlite3'}", forecast_upkeep=False)
    )
    scheduling = build_scheduling(
        services.store, services.resources, StepClock(), ZoneInfo("Asia/Ho_Chi_Minh")
    )
    services.resources.update("Location", PROVINCE_AREA, province_area())
    services.resources.update("Location", "loc-1", location("loc-1", "Phường Ba Đình"))
    scheduling.slots.generate("loc-1", WeeklyTemplate.from_json(TEMPLATE), TUESDAY, TUESDAY)
    ids = []
    for n, minute in enumerate(("0730", "0745", "0800")):
        services.resources.update("Patient", f"c{n}", child(f"c{n}"))
        stored = scheduling.booking.book(appointment(f"c{n}", f"slot-loc-1-epi-20261201{minute}")).stored
        ids.append(stored.id)
    yield services, scheduling, ids
    services.store.close()


def test_queue_puts_arrived_children_first_in_arrival_order(
    world: tuple[Services, Scheduling, list[str]],
) -> None:
    _, scheduling, ids = world
    assert [a["id"] for a in scheduling.check_in.queue("loc-1", TUESDAY)] == ids  # by booked time
    scheduling.check_in.mark(ids[2], "arrived")
    scheduling.check_in.mark(ids[0], "arrived")
    queue = scheduling.check_in.queue("loc-1", TUESDAY)
    assert [a["id"] for a in queue] == [ids[2], ids[0], ids[1]]
    assert [a["status"] for a in queue] == ["arrived", "arrived", "booked"]
    assert scheduling.check_in.queue("loc-1", date(2026, 12, 2)) == []


def test_vaccinated_records_the_immunization_and_fulfils(
    world: tuple[Services, Scheduling, list[str]],
) -> None:
    services, scheduling, ids = world
    scheduling.check_in.mark(ids[0], "arrived")
    marked = scheduling.check_in.mark(ids[0], "fulfilled", Vaccination(lot_number="MR-2026-07"))
    assert marked.immunization is not None
    record = loads(marked.immunization.body)
    assert record["patient"] == {"reference": "Patient/c0"}
    assert record["vaccineCode"]["coding"][0]["code"] == "VN-MRVAC"
    assert record["location"] == {"reference": "Location/loc-1"}
    assert record["lotNumber"] == "MR-2026-07"
    assert loads(marked.appointment.body)["status"] == "fulfilled"
    with pytest.raises(FhirError) as twice:
        scheduling.check_in.mark(ids[0], "fulfilled")
    assert twice.value.status == 409
    scheduling.check_in.mark(ids[1], "noshow")
    assert loads(services.resources.read("Appointment", ids[1]).body)["status"] == "noshow"


def test_vaccinated_is_all_or_nothing(
    world: tuple[Services, Scheduling, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, scheduling, ids = world
    real = services.resources.store_version

    def failing(uow, resource, method, **kwargs):  # type: ignore[no-untyped-def]
        if resource["resourceType"] == "Appointment":
            raise RuntimeError("disk full")
        return real(uow, resource, method, **kwargs)

    monkeypatch.setattr(services.resources, "store_version", failing)
    with pytest.raises(RuntimeError):
        scheduling.check_in.mark(ids[0], "fulfilled")
    monkeypatch.undo()
    assert scheduling.finder.all("Immunization", [("patient", "Patient/c0")]) == []
    assert loads(services.resources.read("Appointment", ids[0]).body)["status"] == "booked"
