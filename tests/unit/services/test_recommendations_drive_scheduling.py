"""The forecast's stored ImmunizationRecommendation (written by the refresher on Vietnam's schedule, not
made by hand) drives the due-dose reader, booking's due check, `$find-slots`, the reminders and the
recall list. Its codes are CVX and the schedule's vaccine groups (targetDisease), while Slots and
Appointments name national products (VN-MRVAC): the reader meets them through the vaccine groups a
product covers; paid (service) doses are neither reminded nor recalled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fhir_server.app import build_services
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.container import Services
from fhir_server.services.due_doses import VACCINE_GROUP_SYSTEM, read_recommendation
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.scheduling_codes import CAPACITY_URL, VACCINE_SYSTEM
from fhir_server.services.sms_text import fold
from fhir_server.settings import MessagingSettings, Settings
from tests.scheduling_world import MR, PROVINCE_AREA, appointment, child, location, mother, province_area

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 24)


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 24, 9, 0, tzinfo=ZONE)


def _slot(id: str, start: str, code: str) -> dict[str, object]:
    return {
        "resourceType": "Slot",
        "id": id,
        "extension": [{"url": CAPACITY_URL, "valuePositiveInt": 5}],
        "serviceType": [{"coding": [{"system": VACCINE_SYSTEM, "code": code}]}],
        "schedule": {"reference": "Schedule/s1"},
        "status": "free",
        "start": start,
        "end": start.replace("07:30", "07:45"),
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling]]:
    services = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'forecast.sqlite3'}", forecast_upkeep=False)
    )
    scheduling = build_scheduling(
        services.store, services.resources, FixedClock(), ZONE, services.forecasts.vaccine_groups_of
    )
    put = services.resources.update
    put("Location", PROVINCE_AREA, province_area())
    put("Location", "loc-1", location("loc-1", "Phường Ba Đình"))
    put(
        "Schedule", "s1", {"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Location/loc-1"}]}
    )
    put("Slot", "mr", _slot("mr", "2026-12-01T07:30:00+07:00", MR))
    # an 18-month-old with no dose recorded (everything overdue) and a 2-month-old (MR not allowed yet)
    put("Patient", "older", {**child("older"), "birthDate": "2025-05-20"})
    put("RelatedPerson", "m-older", mother("m-older", "older"))
    put("Patient", "baby", {**child("baby"), "birthDate": "2026-09-20"})
    put("RelatedPerson", "m-baby", mother("m-baby", "baby", phone="0987654321"))
    for patient in ("older", "baby"):
        services.recommendations.refresh(patient, TODAY)  # the forecast refresher, VN schedule
    yield services, scheduling
    services.store.close()


def _stored(services: Services, patient: str) -> dict[str, object]:
    stored = services.store.read("ImmunizationRecommendation", f"rec-{patient}")
    assert stored is not None
    return dict(loads(stored.body))


def test_the_reader_understands_what_the_forecast_stores(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    doses = scheduling.recommendations.for_patient("older")
    assert doses is not None
    assert doses == read_recommendation(_stored(services, "older"))
    measles = next(d for d in doses if (VACCINE_GROUP_SYSTEM, "Measles") in d.codes)
    assert measles.open and measles.epi and measles.overdue_on(TODAY)
    assert measles.label == "Sởi"
    assert {d.programme for d in doses} == {"epi", "service"}  # the VN schedule has both
    # a national product reaches the groups it covers
    assert (VACCINE_GROUP_SYSTEM, "Rubella") in scheduling.recommendations.expand([(VACCINE_SYSTEM, MR)])


def test_booking_and_find_slots_use_the_stored_forecast(world: tuple[Services, Scheduling]) -> None:
    _, scheduling = world
    booked = scheduling.booking.book(appointment("older", "mr"))
    assert booked.created
    choices = scheduling.slot_finder.find("older", TODAY)
    assert [c.slot["id"] for c in choices] == ["mr"]
    assert "Sởi" in choices[0].doses

    baby_doses = scheduling.recommendations.for_patient("baby") or []
    earliest = min(
        d.earliest
        for d in baby_doses
        if d.matches(scheduling.recommendations.expand([(VACCINE_SYSTEM, MR)])) and d.earliest
    )
    assert earliest > date(2026, 12, 1)
    with pytest.raises(FhirError) as refused:
        scheduling.booking.book(appointment("baby", "mr"))
    assert refused.value.status == 422
    assert refused.value.issues[0].en == f"This dose is not allowed before {earliest.isoformat()}"
    assert refused.value.issues[0].expression == ("Appointment.serviceType[0]",)


def test_reminders_and_recall_follow_the_stored_forecast(world: tuple[Services, Scheduling]) -> None:
    """On 15 May 2026 the older child's JE dose (EPI) and hepatitis A, mumps and varicella doses (paid) fall
    due within the week, and several EPI doses are overdue: only the EPI ones are reminded."""
    services, scheduling = world
    day = date(2026, 5, 15)
    doses = scheduling.recommendations.for_patient("older") or []
    overdue = [d for d in doses if d.epi and d.overdue_on(day)]
    due = [d for d in doses if d.epi and d.due_within(day, 7)]
    paid = [d for d in doses if not d.epi and d.due_within(day, 7)]
    assert overdue and due and paid
    report = scheduling.reminder_job(MessagingSettings()).run(day)
    assert report.kinds == {"overdue": len(overdue), "due": len(due)}
    request = services.resources.condition_params("Communication", [("subject", "Patient/older")])
    texts = [
        loads(s.body)["payload"][0]["contentString"]
        for s in services.store.search(request, with_total=False).resources
    ]
    assert len(texts) == len(overdue) + len(due)
    assert any(fold("Sởi") in fold(t) for t in texts)
    assert not any(fold(d.label) in fold(t) for d in paid for t in texts)
    assert scheduling.reminder_job(MessagingSettings()).run(day).created == 0  # idempotent

    rows = list(scheduling.recall.overdue("Phường Ba Đình", TODAY))
    older = next(r for r in rows if r.patient_id == "older")
    assert "Sởi" in older.overdue and "Viêm gan A" not in older.overdue
    assert older.phone == "0912345678"
