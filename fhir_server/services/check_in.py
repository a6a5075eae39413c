"""The session desk: the day's appointments of a Location in arrival order, and marking each child
arrived, vaccinated (fulfilled) or absent (noshow).

`vaccinated` records the Immunization and fulfils the Appointment in one unit of work: both or neither.
Entry points: `queue` (user/Appointment.s), `mark` (user/Appointment.u, and user/Immunization.c when
the status is fulfilled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.crud import ResourceService
from fhir_server.services.outcomes import not_found
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.scheduling_codes import ARRIVAL_URL, extension_value, reference_id, with_extension
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import Clock, JsonResource

_MARKS = {"arrived": "arrived", "fulfilled": "fulfilled", "noshow": "noshow"}
_ALLOWED_FROM = {
    "arrived": {"booked", "pending", "proposed", "checked-in"},
    "fulfilled": {"booked", "arrived", "checked-in"},
    "noshow": {"booked", "pending", "proposed"},
}


@dataclass(frozen=True, slots=True)
class Marked:
    appointment: StoredResource
    immunization: StoredResource | None


@dataclass(frozen=True, slots=True)
class Vaccination:
    """What the health worker adds when the dose is given."""

    lot_number: str | None = None
    performer: str | None = None  # Practitioner id
    occurrence: datetime | None = None  # default: now


def queue_order(appointment: JsonResource) -> tuple[int, float, str]:
    """Arrived children first, by arrival time; then the others by booked start time."""
    arrival = extension_value(appointment, ARRIVAL_URL)
    if isinstance(arrival, str):
        return (0, datetime.fromisoformat(arrival).timestamp(), appointment["id"])
    start = appointment.get("start")
    return (1, datetime.fromisoformat(start).timestamp() if start else 0.0, appointment["id"])


class CheckInService:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        finder: ResourceFinder,
        *,
        clock: Clock,
        zone: tzinfo,
    ) -> None:
        self._store = store
        self._resources = resources
        self._finder = finder
        self._clock = clock
        self._zone = zone

    def queue(self, location_id: str, day: date) -> list[JsonResource]:
        next_day = day + timedelta(days=1)
        found = self._finder.all(
            "Appointment",
            [
                ("location", f"Location/{location_id}"),
                ("date", f"ge{day.isoformat()}"),
                ("date", f"lt{next_day.isoformat()}"),
            ],
        )
        return sorted(found, key=queue_order)

    def mark(self, appointment_id: str, status: str, vaccination: Vaccination | None = None) -> Marked:
        if status not in _MARKS:
            raise FhirError.of(
                400,
                "invalid",
                "status is arrived, fulfilled or noshow",
                "status phải là arrived, fulfilled hoặc noshow",
                "Parameters.parameter.where(name='status')",
            )
        now = self._clock.now().astimezone(self._zone)
        with self._store.unit_of_work() as uow:
            stored = uow.read("Appointment", appointment_id)
            if stored is None or stored.deleted:
                raise not_found("Appointment", appointment_id)
            appointment = loads(stored.body)
            appointment.pop("meta", None)
            if appointment.get("status") not in _ALLOWED_FROM[status]:
                raise FhirError.of(
                    409,
                    "business-rule",
                    f"An appointment that is {appointment.get('status')} cannot become {status}",
                    f"Lịch hẹn ở trạng thái {appointment.get('status')} không thể chuyển sang {status}",
                    "Appointment.status",
                )
            immunization = None
            if status == "arrived":
                appointment = with_extension(
                    appointment, ARRIVAL_URL, "valueDateTime", now.isoformat(timespec="seconds")
                )
            if status == "fulfilled":
                record = self._immunization(appointment, vaccination or Vaccination(), now)
                immunization = self._resources.store_version(uow, record, "POST").stored
            appointment["status"] = status
            # the Slot's status follows in the same unit of work (services/slot_capacity.py: a no-show
            # frees the place)
            written = self._resources.store_version(uow, appointment, "PUT", if_match=stored.version).stored
            return Marked(written, immunization)

    def _immunization(self, appointment: JsonResource, given: Vaccination, now: datetime) -> JsonResource:
        """One Immunization per vaccine of the appointment would be right for combined visits; the
        appointment's first serviceType is the dose recorded here (one vaccine per appointment)."""
        participants = [p.get("actor", {}) for p in appointment.get("participant", ())]
        patient = next((a for a in participants if reference_id(a, "Patient")), None)
        location = next((a for a in participants if reference_id(a, "Location")), None)
        concepts = appointment.get("serviceType", ())
        if patient is None or not concepts:
            raise FhirError.of(
                422,
                "required",
                "The appointment names no child or no vaccine",
                "Lịch hẹn không có trẻ hoặc vắc xin",
                "Appointment.serviceType",
            )
        record: JsonResource = {
            "resourceType": "Immunization",
            "id": self._resources.assign_id(),
            "status": "completed",
            "vaccineCode": concepts[0],
            "patient": {"reference": patient["reference"]},
            "occurrenceDateTime": (given.occurrence or now).isoformat(timespec="seconds"),
            "primarySource": True,
        }
        if location is not None:
            record["location"] = {"reference": location["reference"]}
        if given.lot_number:
            record["lotNumber"] = given.lot_number
        if given.performer:
            record["performer"] = [{"actor": {"reference": f"Practitioner/{given.performer}"}}]
        return self._resources.validate("Immunization", record)
