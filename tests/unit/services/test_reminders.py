"""The reminder run over a real SQLite file: who gets what, once; quiet hours; opt-out; SMS length."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fhir_server.app import build_services
from fhir_server.services.container import Services
from fhir_server.services.reminders import QuietHours
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.slot_generator import WeeklyTemplate
from fhir_server.services.sms_text import gsm7_length
from fhir_server.settings import MessagingSettings, Settings
from tests.scheduling_world import (
    PROVINCE_AREA,
    TEMPLATE,
    appointment,
    child,
    location,
    mother,
    province_area,
    recommendation,
)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
RUN_DAY = date(2026, 11, 30)  # a Monday; the session is on Tuesday 1 December


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def populate(services: Services, scheduling: Scheduling) -> None:
    services.resources.update("Location", PROVINCE_AREA, province_area())
    services.resources.update("Location", "loc-1", location("loc-1", "Phường Ba Đình"))
    scheduling.slots.generate(
        "loc-1", WeeklyTemplate.from_json(TEMPLATE), date(2026, 12, 1), date(2026, 12, 1)
    )
    for n in range(1, 6):
        services.resources.update("Patient", f"c{n}", child(f"c{n}"))
        services.resources.update(
            "RelatedPerson", f"m{n}", mother(f"m{n}", f"c{n}", f"09000000{n:02d}", opt_out=n == 4)
        )
    scheduling.booking.book(appointment("c1", "slot-loc-1-epi-202612010730"))
    recs = {
        "c2": recommendation("c2", due=date(2026, 12, 3), earliest=date(2026, 11, 1)),
        "c3": recommendation("c3", status="overdue", due=date(2026, 9, 1), overdue=date(2026, 10, 1)),
        "c4": recommendation("c4", due=date(2026, 12, 2)),  # the mother opted out
        "c5": recommendation("c5", status="not-due", due=date(2027, 1, 15)),  # beyond 7 days
    }
    for rec in recs.values():
        services.resources.update("ImmunizationRecommendation", rec["id"], rec)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling, FixedClock]]:
    clock = FixedClock(datetime(2026, 11, 30, 9, 0, tzinfo=ZONE))
    services = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'rem.sqlite3'}", forecast_upkeep=False)
    )
    scheduling = build_scheduling(services.store, services.resources, clock, ZONE)
    populate(services, scheduling)
    yield services, scheduling, clock
    services.store.close()


def test_a_run_reminds_once_each(world: tuple[Services, Scheduling, FixedClock]) -> None:
    _, scheduling, _ = world
    job = scheduling.reminder_job(MessagingSettings())
    report = job.run(RUN_DAY)
    assert report.created == 3
    assert report.kinds == {"appointment": 1, "due": 1, "overdue": 1}
    assert report.opted_out == 1
    again = job.run(RUN_DAY)
    assert (again.created, again.already_sent) == (0, 3)
    messages = scheduling.finder.all("Communication", [("status", "preparation")])
    assert len(messages) == 3
    by_child = {m["subject"]["reference"]: m for m in messages}
    assert set(by_child) == {"Patient/c1", "Patient/c2", "Patient/c3"}
    assert all(m["recipient"][0]["reference"] == f"RelatedPerson/m{s[-1]}" for s, m in by_child.items())
    texts = {s: m["payload"][0]["contentString"] for s, m in by_child.items()}
    assert "07:30" in texts["Patient/c1"]
    assert "01/12" in texts["Patient/c1"]
    assert "03/12/2026" in texts["Patient/c2"]
    assert "01/10/2026" in texts["Patient/c3"]
    for text in texts.values():
        assert "Minh" in text or "Duc" in text  # the child's given names
        septets = gsm7_length(text)
        assert (septets is not None and septets <= 160) or len(text) <= 70
    requests = scheduling.finder.all("CommunicationRequest", [("subject", "Patient/c1")])
    assert requests[0]["about"][0]["reference"].startswith("Appointment/")
    assert messages[0]["basedOn"][0]["reference"].startswith("CommunicationRequest/rem-")


def test_reminders_made_in_quiet_hours_wait_for_the_morning(
    world: tuple[Services, Scheduling, FixedClock],
) -> None:
    _, scheduling, clock = world
    clock.at = datetime(2026, 11, 30, 22, 15, tzinfo=ZONE)
    scheduling.reminder_job(MessagingSettings()).run(RUN_DAY)
    request = scheduling.finder.all("CommunicationRequest", [("subject", "Patient/c2")])[0]
    assert request["occurrenceDateTime"] == "2026-12-01T00:00:00Z"  # 07:00 in Hanoi


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours(time(21), time(7), ZONE)
    noon = datetime(2026, 11, 30, 12, 0, tzinfo=ZONE)
    assert quiet.next_allowed(noon) == noon
    assert quiet.next_allowed(datetime(2026, 11, 30, 3, 0, tzinfo=ZONE)) == datetime(
        2026, 11, 30, 0, 0, tzinfo=UTC
    )
    assert quiet.next_allowed(datetime(2026, 11, 30, 21, 0, tzinfo=ZONE)) == datetime(
        2026, 12, 1, 0, 0, tzinfo=UTC
    )
    never = QuietHours(time(0), time(0), ZONE)
    assert never.next_allowed(noon) == noon
