"""The appointment and reminder services, built once by `app.py` (or the CLI) over the same store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from fhir_server.services.booking import BookingService
from fhir_server.services.check_in import CheckInService
from fhir_server.services.crud import ResourceService
from fhir_server.services.recommendations import RecommendationReader
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.slot_finder import SlotFinder
from fhir_server.services.slot_generator import SlotGenerator
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
    zone: tzinfo


def build_scheduling(store: Store, resources: ResourceService, clock: Clock, zone: tzinfo) -> Scheduling:
    finder = ResourceFinder(store, resources)
    recommendations = RecommendationReader(finder)
    booking = BookingService(store, resources, finder, recommendations)
    return Scheduling(
        finder=finder,
        recommendations=recommendations,
        slots=SlotGenerator(store, resources, zone),
        booking=booking,
        slot_finder=SlotFinder(resources, finder, recommendations),
        check_in=CheckInService(store, resources, finder, booking, clock=clock, zone=zone),
        zone=zone,
    )
