"""The reminder job and the dispatcher on a schedule inside the server (FHIR_SMS_DAILY_AT): once a local
day at or after the hour, claimed so that a second worker process does not run it again; messages sent
on every tick outside quiet hours."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from fhir_server.app import build_services, create_app
from fhir_server.services.container import Services
from fhir_server.services.reminder_schedule import ReminderSchedule
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.sms_gateways import FileGateway
from fhir_server.settings import MessagingSettings, Settings
from tests.unit.services.test_reminders import populate

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 30, 5, 0, tzinfo=ZONE)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling, MovableClock, Path]]:
    clock = MovableClock()
    services = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'daily.sqlite3'}", forecast_upkeep=False)
    )
    scheduling = build_scheduling(services.store, services.resources, clock, ZONE)
    populate(services, scheduling)
    yield services, scheduling, clock, tmp_path / "sent.jsonl"
    services.store.close()


def _schedule(scheduling: Scheduling, sent: Path) -> ReminderSchedule:
    messaging = MessagingSettings()  # quiet hours 21:00-07:00
    return ReminderSchedule(
        scheduling.store,
        scheduling.reminder_job(messaging),
        scheduling.dispatcher(FileGateway(sent), messaging),
        clock=scheduling.clock,
        zone=ZONE,
        daily_at=time(6, 0),
        every_seconds=0.05,
    )


def _lines(sent: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in sent.read_text().splitlines()] if sent.exists() else []


def test_the_day_is_run_once_then_sent_after_quiet_hours(
    world: tuple[Services, Scheduling, MovableClock, Path],
) -> None:
    _, scheduling, clock, sent = world
    schedule = _schedule(scheduling, sent)
    assert not schedule.tick().ran_reminders  # 05:00: before the hour
    clock.at = clock.at.replace(hour=6, minute=30)
    assert schedule.tick().ran_reminders
    assert _lines(sent) == []  # made at 06:30, in quiet hours: nothing sent yet
    clock.at = clock.at.replace(hour=6, minute=45)
    assert not schedule.tick().ran_reminders  # already run today
    clock.at = clock.at.replace(hour=7, minute=5)
    tick = schedule.tick()
    assert tick.dispatched and not tick.ran_reminders
    made = len(_lines(sent))
    assert made == 3  # the appointment, the due dose and the overdue dose (one mother opted out)
    other_worker = _schedule(scheduling, sent)
    assert not other_worker.tick().ran_reminders  # the day was claimed by the first process
    assert len(_lines(sent)) == made  # nothing twice
    clock.at = datetime(2026, 12, 1, 6, 1, tzinfo=ZONE)
    assert other_worker.tick().ran_reminders  # the next day, whoever comes first


def test_the_thread_starts_and_stops(world: tuple[Services, Scheduling, MovableClock, Path]) -> None:
    _, scheduling, clock, sent = world
    clock.at = clock.at.replace(hour=8)
    schedule = _schedule(scheduling, sent)
    schedule.start()
    schedule.stop()
    assert scheduling.store.checkpoint("reminders-daily-run") == b"2026-11-30"
    assert len(_lines(sent)) == 3


def test_the_server_runs_it_when_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_SMS_DAILY_AT", "00:00")
    monkeypatch.setenv("FHIR_SMS_FILE_PATH", str(tmp_path / "sent.jsonl"))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}", forecast_upkeep=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
    services = build_services(settings)
    try:
        assert services.store.checkpoint("reminders-daily-run") is not None  # the first tick ran the day
    finally:
        services.store.close()
