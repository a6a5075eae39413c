"""Booking a vaccination appointment into a Slot without ever exceeding its capacity.

The capacity itself is enforced by the Appointment write hook (services/slot_capacity.py) inside the
unit of work of every Appointment write, whatever the path (this service, generic PUT/PATCH/DELETE,
batch/transaction Bundles, check-in). This service adds what a booking is: the times and the Location
come from the slot, the vaccines must be open in the child's forecast (422 with the earliest date), and
a refusal is cheap. Fifty parallel bookings for the last five places make exactly five appointments;
the others get 409 with the next free slots of the same Schedule as `information` issues.

**Cheap refusals.** A slot whose places are all taken is `busy` (set in the same unit of work as the
write that took the last place, and back to `free` in the one that frees one). So a booking first reads
the slot from a read snapshot — WAL readers do not wait for the writer — and refuses a `busy` one at once,
before validating the body or queueing for the writer lock; the authoritative count inside the unit of
work still guards a slot that looked free.

**Access.** Entry points take the caller's `Access` (services/access.py): `book` (create: a parent's
patient/Appointment.c for their own child — the launch patient's compartment — or user/Appointment.c),
`update` and `patch` (patient|user/Appointment.u: cancel, reschedule), `delete` (patient|user/Appointment.d).
Another child's appointment is 404 (never revealed), booking for another child 403, both before anything
about that child is read. Staff-only desks (queue, check-in) stay in api/appointments.py behind
`population_only`.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from auth.scopes import Interaction
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.crud import ResourceService
from fhir_server.services.due_doses import RecommendationReader
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.scheduling_codes import reference_id
from fhir_server.services.slot_capacity import (
    NEXT_FREE_SHOWN,
    full,
    not_open,
    slot_of,
    takes_new_place,
    unknown_slot,
)
from fhir_server.services.write_steps import WriteResult
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

_APPOINTMENT = "Appointment"
NEXT_FREE_TTL = 1.0  # seconds a full slot's "next free slots" answer is reused
NEXT_FREE_KEPT = 1000  # full slots remembered at most


def _patients_of(appointment: JsonResource) -> list[str]:
    found = (reference_id(p.get("actor"), "Patient") for p in appointment.get("participant", ()))
    return [p for p in found if p]


def _requested(appointment: JsonResource) -> list[list[tuple[str, str]]]:
    return [
        [(str(c.get("system", "")), str(c.get("code", ""))) for c in concept.get("coding", ())]
        for concept in appointment.get("serviceType", ())
    ]


def _raw_slot(body: Any) -> str | None:
    """The slot an unvalidated body names (for the cheap refusal), None when unclear."""
    if not isinstance(body, dict) or not isinstance(body.get("slot"), list):
        return None
    return slot_of(body)


class BookingService:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        finder: ResourceFinder,
        recommendations: RecommendationReader,
    ) -> None:
        self._store = store
        self._resources = resources
        self._finder = finder
        self._recommendations = recommendations
        self._next_free: dict[str, tuple[float, list[JsonResource]]] = {}  # slot -> (when, next free slots)

    def book(self, body: Any, *, access: Access = OPEN_ACCESS) -> WriteResult:
        access.rule(_APPOINTMENT, Interaction.CREATE)  # 403 for a token without the scope
        quick = _raw_slot(body)
        slot = self._finder.read("Slot", quick) if quick else None
        if slot is not None and quick is not None and slot.get("status") == "busy":
            raise self.full_now(quick, slot)
        appointment = self._resources.validate(_APPOINTMENT, body)
        appointment = access.stamp({**appointment, "id": self._resources.assign_id()})
        slot_id, patient_id = self._required_parts(appointment)
        if slot_id != quick:
            slot = self._finder.read("Slot", slot_id)
        if slot is None:
            raise unknown_slot(slot_id)
        if slot.get("status") not in ("free", "busy"):
            raise not_open(slot_id)
        appointment = self._with_place(appointment, slot)
        index = self._resources.extract(appointment)
        access.check_new(appointment, index, Interaction.CREATE)  # another child: 403, nothing read
        self.check_due(appointment, patient_id, date.fromisoformat(str(slot["start"])[:10]))
        with self._store.unit_of_work() as uow:
            return self._resources.store_version(uow, appointment, "POST", index=index, access=access)

    def update(
        self, id: str, body: Any, *, if_match: int | None = None, access: Access = OPEN_ACCESS
    ) -> WriteResult:
        """PUT: cancel (status cancelled frees the place), reschedule (another slot), other changes."""
        access.rule(_APPOINTMENT, Interaction.UPDATE)
        appointment = access.stamp(self._resources.validate(_APPOINTMENT, body))
        if appointment.get("id") != id:
            raise FhirError.of(
                400,
                "invalid",
                "Resource id does not match the URL id",
                "Mã tài nguyên không khớp với URL",
                "id",
            )
        named = slot_of(appointment)
        slot = self._finder.read("Slot", named) if named else None
        with self._store.unit_of_work() as uow:
            stored = uow.read(_APPOINTMENT, id)
            current = None if stored is None or stored.deleted else stored
            if current is not None:
                access.check_change(uow, current, Interaction.UPDATE)  # another child's: 404
            entering = takes_new_place(None if current is None else loads(current.body), appointment)
            if entering is not None:
                if slot is None:
                    raise unknown_slot(entering)
                appointment = self._with_place(appointment, slot)
            index = self._resources.extract(appointment)
            access.check_new(appointment, index, Interaction.UPDATE)
            if entering is not None and slot is not None:
                patient_id = self._required_parts(appointment)[1]
                self.check_due(appointment, patient_id, date.fromisoformat(str(slot["start"])[:10]))
            return self._resources.store_version(
                uow, appointment, "PUT", index=index, if_match=if_match, access=access
            )

    def patch(
        self, id: str, operations: Any, *, if_match: int | None = None, access: Access = OPEN_ACCESS
    ) -> WriteResult:
        """JSON Patch: a patch that moves the appointment into a slot (or re-activates it) is counted
        against that slot's capacity by the write hook; both slots' statuses follow."""
        access.rule(_APPOINTMENT, Interaction.UPDATE)
        with self._store.unit_of_work() as uow:
            return self._resources.patch_in(
                uow, _APPOINTMENT, id, operations, if_match=if_match, access=access
            )

    def delete(
        self, id: str, *, if_match: int | None = None, access: Access = OPEN_ACCESS
    ) -> StoredResource | None:
        """Deleting an Appointment frees its place (the write hook sets the slot free)."""
        access.rule(_APPOINTMENT, Interaction.DELETE)
        with self._store.unit_of_work() as uow:
            return self._resources.delete_in(uow, _APPOINTMENT, id, if_match=if_match, access=access)

    def full_now(self, slot_id: str, slot: JsonResource) -> FhirError:
        """409 from the read snapshot: the next free slots of the same Schedule, earliest first. The
        list is informational, so it is kept for NEXT_FREE_TTL seconds per full slot: a burst of refusals
        (a popular session opening) costs one search, not one each."""
        now = time.monotonic()
        kept = self._next_free.get(slot_id)
        if kept is not None and now - kept[0] < NEXT_FREE_TTL:
            return full(slot_id, slot, kept[1])
        schedule = (slot.get("schedule") or {}).get("reference", "")
        params = [("schedule", schedule), ("status", "free"), ("start", f"ge{slot['start']}")]
        free = []
        for found in self._finder.iterate("Slot", [*params, ("_sort", "start")], NEXT_FREE_SHOWN + 1):
            free.append(found)
            if len(free) > NEXT_FREE_SHOWN:
                break
        if len(self._next_free) > NEXT_FREE_KEPT:
            self._next_free.clear()
        self._next_free[slot_id] = (now, free)
        return full(slot_id, slot, free)

    def check_due(self, appointment: JsonResource, patient_id: str, day: date) -> None:
        """Every vaccine asked for must be open in the child's recommendation and allowed on `day`.
        Without a stored recommendation (none computed yet) there is nothing to check against."""
        doses = self._recommendations.for_patient(patient_id)
        if doses is None:
            return
        issues = []
        for index, codings in enumerate(_requested(appointment)):
            wanted = self._recommendations.expand(codings)
            matching = [d for d in doses if d.matches(wanted) and d.open]
            where = (f"Appointment.serviceType[{index}]",)
            if not matching:
                issues.append(
                    Issue(
                        "business-rule",
                        "The child has no open recommendation for this vaccine",
                        "Trẻ không có khuyến nghị tiêm vắc xin này",
                        where,
                    )
                )
                continue
            earliest = min((d.earliest for d in matching if d.earliest is not None), default=None)
            if earliest is not None and day < earliest:
                issues.append(
                    Issue(
                        "business-rule",
                        f"This dose is not allowed before {earliest.isoformat()}",
                        f"Chưa được tiêm mũi này trước ngày {earliest.strftime('%d/%m/%Y')}",
                        where,
                    )
                )
        if issues:
            raise FhirError(422, issues)

    def _required_parts(self, appointment: JsonResource) -> tuple[str, str]:
        patients = _patients_of(appointment)
        slot_id, patient_id = slot_of(appointment), (patients[0] if len(set(patients)) == 1 else None)
        if slot_id is None:
            raise FhirError.of(
                422,
                "required",
                "An appointment names exactly one Slot",
                "Lịch hẹn cần đúng một Slot",
                "Appointment.slot",
            )
        if patient_id is None:
            raise FhirError.of(
                422,
                "required",
                "An appointment names one child as a Patient participant",
                "Lịch hẹn cần có đúng một trẻ (Patient) là người tham gia",
                "Appointment.participant",
            )
        if not appointment.get("serviceType"):
            raise FhirError.of(
                422,
                "required",
                "An appointment names the vaccines (serviceType)",
                "Lịch hẹn cần nêu vắc xin (serviceType)",
                "Appointment.serviceType",
            )
        return slot_id, patient_id

    def _with_place(self, appointment: JsonResource, slot: JsonResource) -> JsonResource:
        """Times come from the slot; the Location of its Schedule joins the participants."""
        appointment = {**appointment, "start": slot["start"], "end": slot["end"]}
        if appointment.get("status") in ("proposed", "pending", "waitlist"):
            appointment["status"] = "booked"
        schedule_id = reference_id(slot.get("schedule"), "Schedule")
        schedule = self._finder.read("Schedule", schedule_id) if schedule_id else None
        if schedule is None:
            return appointment
        locations = [a for a in schedule.get("actor", ()) if reference_id(a, "Location")]
        named = {p.get("actor", {}).get("reference") for p in appointment.get("participant", ())}
        extra = [{"actor": loc, "status": "accepted"} for loc in locations if loc["reference"] not in named]
        return {**appointment, "participant": [*appointment["participant"], *extra]}
