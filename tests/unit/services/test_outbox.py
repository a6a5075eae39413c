"""Delivery through a real local HTTP gateway: success, failures with backoff and dead letter, timeouts,
slow answers, and a sender killed between sending and recording. Nothing lost, nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fhir_server.app import build_services
from fhir_server.services.container import Services
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.scheduling_codes import ATTEMPTS_URL, extension_value
from fhir_server.services.sms_gateways import HttpGateway
from fhir_server.settings import MessagingSettings, Settings
from tests.fake_sms_gateway import FakeGateway
from tests.unit.services.test_reminders import RUN_DAY, populate

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NO_QUIET = {"quiet_start": "00:00", "quiet_end": "00:00"}


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling, MovableClock, Path]]:
    database = tmp_path / "outbox.sqlite3"
    clock = MovableClock()
    services = build_services(Settings(database_url=f"sqlite:///{database}", forecast_upkeep=False))
    scheduling = build_scheduling(services.store, services.resources, clock, ZONE)
    populate(services, scheduling)
    scheduling.reminder_job(MessagingSettings(**NO_QUIET)).run(RUN_DAY)  # three messages
    yield services, scheduling, clock, database
    services.store.close()


def _statuses(scheduling: Scheduling) -> list[str]:
    return sorted(m["status"] for m in scheduling.finder.all("Communication", [("subject:missing", "false")]))


def _gateway(fake: FakeGateway, timeout: float = 5.0) -> HttpGateway:
    template = '{"to": "{phone}", "text": "{text}", "ref": "{key}"}'
    return HttpGateway(
        fake.url, template=template, auth_header="Authorization: Bearer s3cret", timeout=timeout
    )


def test_messages_reach_the_gateway_once_and_are_recorded(
    world: tuple[Services, Scheduling, MovableClock, Path],
) -> None:
    _, scheduling, _, _ = world
    with FakeGateway() as fake:
        dispatcher = scheduling.dispatcher(_gateway(fake), MessagingSettings(**NO_QUIET))
        assert dispatcher.dispatch().sent == 3
        assert dispatcher.dispatch().sent == 0  # nothing twice
    assert _statuses(scheduling) == ["completed"] * 3
    assert sum(fake.requests.values()) == 3
    body = next(iter(fake.delivered.values()))
    assert body["to"].startswith("09000000") and body["ref"].startswith("sms-") and body["text"]
    assert fake.headers[0]["Authorization"] == "Bearer s3cret"
    sent = scheduling.finder.all("Communication", [("status", "completed")])
    assert all(m["sent"] for m in sent)


def test_failures_back_off_then_dead_letter(world: tuple[Services, Scheduling, MovableClock, Path]) -> None:
    _, scheduling, clock, _ = world
    messaging = MessagingSettings(**NO_QUIET, max_attempts=3, backoff_seconds=60)
    with FakeGateway() as fake:
        fake.mode = "fail"
        dispatcher = scheduling.dispatcher(_gateway(fake), messaging)
        assert dispatcher.dispatch().retrying == 3
        assert dispatcher.dispatch().retrying == 0  # backing off: not yet
        clock.at += timedelta(seconds=61)
        assert dispatcher.dispatch().retrying == 3  # second attempt; next wait 120 s
        clock.at += timedelta(seconds=61)
        assert dispatcher.dispatch().retrying == 0
        clock.at += timedelta(seconds=60)
        report = dispatcher.dispatch()
        assert report.dead == 3
        assert _statuses(scheduling) == ["stopped"] * 3
        clock.at += timedelta(days=1)
        assert dispatcher.dispatch().sent == 0  # dead letters stay dead
    message = scheduling.finder.all("Communication", [("status", "stopped")])[0]
    assert extension_value(message, ATTEMPTS_URL) == 3
    assert fake.delivered == {}


def test_a_refusal_is_dead_at_once(world: tuple[Services, Scheduling, MovableClock, Path]) -> None:
    _, scheduling, _, _ = world
    with FakeGateway() as fake:
        fake.mode = "reject"
        assert scheduling.dispatcher(_gateway(fake), MessagingSettings(**NO_QUIET)).dispatch().dead == 3


def test_timeouts_are_retried_without_duplicates(
    world: tuple[Services, Scheduling, MovableClock, Path],
) -> None:
    _, scheduling, clock, _ = world
    with FakeGateway() as fake:
        fake.mode, fake.slow_seconds = "slow", 1.0
        dispatcher = scheduling.dispatcher(_gateway(fake, timeout=0.3), MessagingSettings(**NO_QUIET))
        assert dispatcher.dispatch(limit=1).retrying == 1  # the gateway took it, the answer came too late
        fake.mode = "ok"
        clock.at += timedelta(minutes=5)
        assert dispatcher.dispatch().sent == 3
    assert _statuses(scheduling) == ["completed"] * 3
    assert sorted(fake.requests.values()) == [1, 1, 2]  # one message sent twice, same key
    assert len(fake.delivered) == 3  # delivered once each


def test_slow_answers_within_the_timeout_are_fine(
    world: tuple[Services, Scheduling, MovableClock, Path],
) -> None:
    _, scheduling, _, _ = world
    with FakeGateway() as fake:
        fake.mode, fake.slow_seconds = "slow", 0.3
        assert (
            scheduling.dispatcher(_gateway(fake, timeout=5), MessagingSettings(**NO_QUIET)).dispatch().sent
            == 3
        )
    assert sum(fake.requests.values()) == 3


def test_quiet_hours_hold_delivery(world: tuple[Services, Scheduling, MovableClock, Path]) -> None:
    _, scheduling, clock, _ = world
    clock.at = datetime(2026, 12, 1, 23, 0, tzinfo=ZONE)
    with FakeGateway() as fake:
        report = scheduling.dispatcher(_gateway(fake), MessagingSettings()).dispatch()
    assert report.quiet and report.sent == 0 and not fake.requests


def test_a_sender_killed_between_sending_and_recording_loses_and_duplicates_nothing(
    world: tuple[Services, Scheduling, MovableClock, Path],
) -> None:
    _, scheduling, clock, database = world
    with FakeGateway() as fake:
        fake.mode = "kill"
        env = {
            **os.environ,
            "FHIR_DATABASE_URL": f"sqlite:///{database}",
            "FHIR_SMS_GATEWAY": "http",
            "FHIR_SMS_URL": fake.url,
            "FHIR_SMS_LEASE_SECONDS": "30",
            "FHIR_SMS_QUIET_START": "00:00",
            "FHIR_SMS_QUIET_END": "00:00",
            "FHIR_LOG_LEVEL": "warning",
        }
        sender = subprocess.Popen(
            [sys.executable, "-m", "fhir_server", "reminders", "send"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        fake.kill_pid = sender.pid
        assert sender.wait(timeout=60) == -9  # killed by the gateway, after it accepted the first message
        assert len(fake.delivered) == 1
        assert "in-progress" in _statuses(scheduling)  # claimed, sent, never recorded
        fake.mode = "ok"
        dispatcher = scheduling.dispatcher(_gateway(fake), MessagingSettings(**NO_QUIET, lease_seconds=30))
        clock.at = datetime.now(UTC)
        assert dispatcher.dispatch().sent == 2  # the in-progress one waits for its lease to run out
        clock.at += timedelta(seconds=31)
        assert dispatcher.dispatch().sent == 1
    assert _statuses(scheduling) == ["completed"] * 3
    assert sorted(fake.requests.values()) == [1, 1, 2]  # resent once, with the same key
    assert len(fake.delivered) == 3  # and delivered once
