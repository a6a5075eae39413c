"""The reminder job and the SMS dispatcher on a schedule inside the server (instead of cron).

With FHIR_SMS_DAILY_AT=06:00 the server runs `ReminderJob.run(today)` once a local day at or after that
time, and `Dispatcher.dispatch` every FHIR_SMS_DISPATCH_EVERY_SECONDS. One daemon thread per server
process; with several worker processes the day's run is claimed through a storage checkpoint written in
a unit of work (writers are serialised), so one process runs it — and a second run would write nothing
anyway (the job is idempotent). The dispatcher's claims are leased per message (services/outbox.py), so
every process may dispatch. Failures are logged (no personal data) and retried on the next tick.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, time, tzinfo
from typing import Final

from fhir_server.services.outbox import Dispatcher
from fhir_server.services.reminders import ReminderJob
from fhir_server.services.scheduling import Scheduling
from fhir_server.services.sms_gateways import gateway_for
from fhir_server.settings import MessagingSettings
from fhir_server.storage.base import Store
from fhir_server.types import Clock

log = logging.getLogger("fhir_server.reminders")
CLAIM: Final = "reminders-daily-run"  # checkpoint: the last local day whose run was claimed


@dataclass(frozen=True, slots=True)
class Tick:
    ran_reminders: bool
    dispatched: bool


class ReminderSchedule:
    def __init__(
        self,
        store: Store,
        job: ReminderJob,
        dispatcher: Dispatcher,
        *,
        clock: Clock,
        zone: tzinfo,
        daily_at: time,
        every_seconds: float,
    ) -> None:
        self._store = store
        self._job = job
        self._dispatcher = dispatcher
        self._clock = clock
        self._zone = zone
        self._daily_at = daily_at
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> Tick:
        """One round: the day's reminder run when it is due and not yet claimed, then a dispatch."""
        local = self._clock.now().astimezone(self._zone)
        ran = False
        if local.time() >= self._daily_at and self._claim(local.date()):
            try:
                report = self._job.run(local.date())
                log.info("reminder run %s: %d created", local.date().isoformat(), report.created)
                ran = True
            except Exception as exc:  # the claim stays: the run is retried tomorrow, or by hand
                log.warning("reminder run failed: %s", type(exc).__name__)
        try:
            self._dispatcher.dispatch()
        except Exception as exc:
            log.warning("SMS dispatch failed: %s", type(exc).__name__)
            return Tick(ran, False)
        return Tick(ran, True)

    def _claim(self, day: date) -> bool:
        with self._store.unit_of_work() as uow:
            last = self._store.checkpoint(CLAIM)
            if last is not None and date.fromisoformat(last.decode()) >= day:
                return False
            uow.save_checkpoint(CLAIM, day.isoformat().encode())
            return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reminder-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:  # a first tick at start-up, whatever happens next
            try:
                self.tick()
            except Exception as exc:  # e.g. the store busy while claiming: try again next tick
                log.warning("reminder schedule tick failed: %s", type(exc).__name__)
            if self._stop.wait(self._every):
                return


def reminder_schedule(scheduling: Scheduling, messaging: MessagingSettings) -> ReminderSchedule | None:
    """The in-server schedule FHIR_SMS_DAILY_AT asks for; None when it is not set (cron runs the commands)."""
    if not messaging.daily_at:
        return None
    return ReminderSchedule(
        scheduling.store,
        scheduling.reminder_job(messaging),
        scheduling.dispatcher(gateway_for(messaging), messaging),
        clock=scheduling.clock,
        zone=scheduling.zone,
        daily_at=time.fromisoformat(messaging.daily_at),
        every_seconds=messaging.dispatch_every_seconds,
    )
