"""Slots from a weekly template, booking under contention on a real SQLite file, cancel and reschedule,
the forecast check, and the Slot search a parent's app uses."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fhir_server.app import build_services, scheduling_for
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.container import Services
from fhir_server.services.scheduling import Scheduling
from fhir_server.services.slot_generator import WeeklyTemplate
from fhir_server.settings import Settings
from tests.scheduling_world import (
    JE,
    PROVINCE_AREA,
    TEMPLATE,
    appointment,
    child,
    location,
    province_area,
    recommendation,
)

TUESDAY = date(2026, 12, 1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling]]:
    services = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'booking.sqlite3'}", forecast_upkeep=False)
    )
    scheduling = scheduling_for(Settings(), services)
    services.resources.update("Location", PROVINCE_AREA, province_area())
    services.resources.update("Location", "loc-1", location("loc-1", "Phường Ba Đình"))
    for n in range(60):
        services.resources.update("Patient", f"c{n}", child(f"c{n}"))
    yield services, scheduling
    services.store.close()


def _slot(services: Services, id: str) -> dict[str, Any]:
    return loads(services.resources.read("Slot", id).body)


def test_a_template_makes_slots_and_skips_tet(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    template = WeeklyTemplate.from_json(TEMPLATE)
    result = scheduling.slots.generate("loc-1", template, date(2026, 2, 10), date(2026, 2, 24))
    assert result.holidays_skipped == (date(2026, 2, 17),)  # Tết 2026 falls on a Tuesday
    assert (result.created, result.existing) == (8, 0)  # two Tuesdays of four 15-minute slots
    again = scheduling.slots.generate("loc-1", template, date(2026, 2, 10), date(2026, 2, 24))
    assert (again.created, again.existing) == (0, 8)
    slot = _slot(services, "slot-loc-1-epi-202602100730")
    assert slot["start"] == "2026-02-10T07:30:00+07:00"
    assert slot["end"] == "2026-02-10T07:45:00+07:00"
    assert slot["extension"][0]["valuePositiveInt"] == 5
    assert slot["schedule"] == {"reference": "Schedule/sched-loc-1-epi"}
    schedule = loads(services.resources.read("Schedule", "sched-loc-1-epi").body)
    assert schedule["actor"] == [{"reference": "Location/loc-1"}]
    assert [c["coding"][0]["code"] for c in schedule["serviceType"]] == ["VN-MRVAC", "VN-JEVAX"]


def test_fifty_parallel_bookings_for_five_places_make_five(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    scheduling.slots.generate("loc-1", WeeklyTemplate.from_json(TEMPLATE), TUESDAY, TUESDAY)
    slot_id = "slot-loc-1-epi-202612010730"

    def book(n: int) -> int | FhirError:
        try:
            scheduling.booking.book(appointment(f"c{n}", slot_id))
            return 201
        except FhirError as error:
            return error

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(book, range(50)))
    assert results.count(201) == 5
    refused = [r for r in results if isinstance(r, FhirError)]
    assert len(refused) == 45
    assert {r.status for r in refused} == {409}
    assert refused[0].issues[0].code == "conflict"
    # the next free slots of the same session, in order
    assert [i.en.split()[0] for i in refused[0].issues[1:]] == [
        "Slot/slot-loc-1-epi-202612010745",
        "Slot/slot-loc-1-epi-202612010800",
        "Slot/slot-loc-1-epi-202612010815",
    ]
    assert _slot(services, slot_id)["status"] == "busy"
    booked = scheduling.finder.all("Appointment", [("slot", f"Slot/{slot_id}")])
    assert len(booked) == 5
    assert all(a["start"] == "2026-12-01T07:30:00+07:00" for a in booked)
    assert all(
        {"reference": "Location/loc-1"} in [p["actor"] for p in a["participant"]] for a in booked
    )  # the point joins the participants, so `Appointment?location=` finds it


def test_cancel_and_reschedule_free_the_place(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    scheduling.slots.generate(
        "loc-1", WeeklyTemplate.from_json({**TEMPLATE, "capacity": 1}), TUESDAY, TUESDAY
    )
    first, second = "slot-loc-1-epi-202612010730", "slot-loc-1-epi-202612010745"
    booked = loads(scheduling.booking.book(appointment("c1", first)).stored.body)
    assert _slot(services, first)["status"] == "busy"
    with pytest.raises(FhirError) as refused:
        scheduling.booking.book(appointment("c2", first))
    assert refused.value.status == 409
    booked.pop("meta")
    moved = scheduling.booking.update(booked["id"], {**booked, "slot": [{"reference": f"Slot/{second}"}]})
    assert loads(moved.stored.body)["start"] == "2026-12-01T07:45:00+07:00"
    assert (_slot(services, first)["status"], _slot(services, second)["status"]) == ("free", "busy")
    other = loads(scheduling.booking.book(appointment("c2", first)).stored.body)
    other.pop("meta")
    scheduling.booking.update(other["id"], {**other, "status": "cancelled"})
    assert _slot(services, first)["status"] == "free"


def test_a_dose_not_yet_allowed_is_refused_with_its_earliest_date(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    scheduling.slots.generate("loc-1", WeeklyTemplate.from_json(TEMPLATE), TUESDAY, TUESDAY)
    services.resources.update(
        "ImmunizationRecommendation",
        "rec-c1",
        recommendation("c1", earliest=date(2026, 12, 5), status="not-due"),
    )
    with pytest.raises(FhirError) as refused:
        scheduling.booking.book(appointment("c1", "slot-loc-1-epi-202612010730"))
    assert refused.value.status == 422
    assert "2026-12-05" in refused.value.issues[0].en
    assert refused.value.issues[0].expression == ("Appointment.serviceType[0]",)
    with pytest.raises(FhirError) as not_recommended:
        scheduling.booking.book(appointment("c1", "slot-loc-1-epi-202612010730", code=JE))
    assert not_recommended.value.status == 422
    services.resources.update(
        "ImmunizationRecommendation", "rec-c1", recommendation("c1", earliest=date(2026, 11, 20))
    )
    assert scheduling.booking.book(appointment("c1", "slot-loc-1-epi-202612010730")).created


def test_parents_search_free_slots_of_a_point(world: tuple[Services, Scheduling]) -> None:
    _, scheduling = world
    scheduling.slots.generate(
        "loc-1", WeeklyTemplate.from_json({**TEMPLATE, "capacity": 1}), TUESDAY, TUESDAY
    )
    scheduling.booking.book(appointment("c1", "slot-loc-1-epi-202612010730"))
    found = scheduling.finder.all(
        "Slot",
        [("schedule.actor", "Location/loc-1"), ("start", "ge2026-12-01T07:40:00+07:00"), ("status", "free")],
    )
    assert sorted(s["id"] for s in found) == [
        "slot-loc-1-epi-202612010745",
        "slot-loc-1-epi-202612010800",
        "slot-loc-1-epi-202612010815",
    ]
    free = scheduling.finder.all("Slot", [("schedule.actor", "Location/loc-1"), ("status", "free")])
    assert len(free) == 3  # the booked one is busy
