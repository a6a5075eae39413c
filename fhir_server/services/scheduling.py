"""The appointment and reminder services, built once by `app.py` (or the CLI) over the same store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta, tzinfo

from fhir_server.services.booking import BookingService
from fhir_server.services.check_in import CheckInService
from fhir_server.services.crud import ResourceService
from fhir_server.services.due_doses import RecommendationReader, VaccineGroups
from fhir_server.services.outbox import DeliveryPolicy, Dispatcher
from fhir_server.services.recall import RecallList
from fhir_server.services.reminders import QuietHours, ReminderJob
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.slot_finder import SlotFinder
from fhir_server.services.slot_generator import SlotGenerator
from fhir_server.services.sms_gateways import SmsGateway
from fhir_server.settings import MessagingSettings
from fhir_server.storage.base import Store
from fhir_server.types import Clock


@dataclass(frozen=True, slots=True)
class Scheduling:
    finder: ResourceFinder
    recommendations: RecommendationReader
    slots: SlotGenerator
    booking: BookingService
    slot_finder: SlotFinder
    check_in: CheckInService
    recall: RecallList
    zone: tzinfo
    store: Store
    resources: ResourceService
    clock: Clock

    def quiet_hours(self, messaging: MessagingSettings) -> QuietHours:
        return QuietHours(
            time.fromisoformat(messaging.quiet_start), time.fromisoformat(messaging.quiet_end), self.zone
        )

    def reminder_job(self, messaging: MessagingSettings) -> ReminderJob:
        return ReminderJob(
            self.store,
            self.resources,
            self.finder,
            clock=self.clock,
            quiet=self.quiet_hours(messaging),
            due_within_days=messaging.due_within_days,
            overdue_repeat_days=messaging.overdue_repeat_days,
        )

    def dispatcher(self, gateway: SmsGateway, messaging: MessagingSettings) -> Dispatcher:
        policy = DeliveryPolicy(
            messaging.max_attempts,
            timedelta(seconds=messaging.backoff_seconds),
            timedelta(seconds=messaging.lease_seconds),
        )
        return Dispatcher(
            self.store,
            self.resources,
            self.finder,
            gateway,
            clock=self.clock,
            quiet=self.quiet_hours(messaging),
            policy=policy,
        )


def build_scheduling(
    store: Store,
    resources: ResourceService,
    clock: Clock,
    zone: tzinfo,
    vaccine_groups: VaccineGroups | None = None,
) -> Scheduling:
    """`vaccine_groups` (ForecastService.vaccine_groups_of) lets a product code on a Slot or an
    Appointment meet the forecast's vaccine groups; without it only equal codes match."""
    finder = ResourceFinder(store, resources)
    recommendations = (
        RecommendationReader(finder)
        if vaccine_groups is None
        else RecommendationReader(finder, vaccine_groups)
    )
    booking = BookingService(store, resources, finder, recommendations)
    return Scheduling(
        finder=finder,
        recommendations=recommendations,
        slots=SlotGenerator(store, resources, zone),
        booking=booking,
        slot_finder=SlotFinder(resources, finder, recommendations),
        check_in=CheckInService(store, resources, finder, clock=clock, zone=zone),
        recall=RecallList(finder, recommendations),
        zone=zone,
        store=store,
        resources=resources,
        clock=clock,
    )
