"""Booking a vaccination appointment into a Slot without ever exceeding its capacity.

Count-and-insert runs inside ONE unit of work: the unit of work serialises writers, so the number of
appointments holding a place in the slot cannot change between counting them and writing the new one.
Fifty parallel bookings for the last five places make exactly five appointments; the others get 409
with the next free slots of the same Schedule as `information` issues ("Slot/<id> <start>").

Entry points (one method each, so an access policy can wrap them): `book` (POST Appointment; scopes
patient/Appointment.c or user/Appointment.c), `update` and `patch` (PUT / PATCH Appointment/<id>: cancel,
reschedule, status changes; patient|user/Appointment.u), `delete` (patient|user/Appointment.d).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.services.crud import ResourceService, WriteResult
from fhir_server.services.due_doses import RecommendationReader
from fhir_server.services.outcomes import not_found
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.scheduling_codes import (
    ACTIVE_APPOINTMENT,
    CAPACITY_URL,
    extension_value,
    reference_id,
)
from fhir_server.storage.base import Store, StoredResource, UnitOfWork
from fhir_server.types import JsonResource

NEXT_FREE_SHOWN = 3


def slot_capacity(slot: Mapping[str, Any]) -> int:
    value = extension_value(dict(slot), CAPACITY_URL)
    return value if isinstance(value, int) and value > 0 else 1


def _slot_of(appointment: JsonResource) -> str | None:
    slots = [s for s in (reference_id(r, "Slot") for r in appointment.get("slot", ())) if s]
    return slots[0] if len(slots) == 1 else None


def _patient_of(appointment: JsonResource) -> str | None:
    for participant in appointment.get("participant", ()):
        patient = reference_id(participant.get("actor"), "Patient")
        if patient:
            return patient
    return None


def _requested(appointment: JsonResource) -> list[list[tuple[str, str]]]:
    return [
        [(str(c.get("system", "")), str(c.get("code", ""))) for c in concept.get("coding", ())]
        for concept in appointment.get("serviceType", ())
    ]


def _active(appointment: JsonResource | None) -> bool:
    return appointment is not None and appointment.get("status") in ACTIVE_APPOINTMENT


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

    def book(self, body: Any) -> WriteResult:
        appointment = self._resources.validate("Appointment", body)
        appointment = {**appointment, "id": self._resources.assign_id()}
        slot_id, patient_id = self._required_parts(appointment)
        slot = self._finder.read("Slot", slot_id)
        if slot is None:
            raise FhirError.of(
                422,
                "not-found",
                f"Slot/{slot_id} is not known",
                f"Không tìm thấy Slot/{slot_id}",
                "Appointment.slot",
            )
        if slot.get("status") == "busy":
            # Full as of the last committed write: refuse without queueing for the writer lock. A place
            # freed since is set free in the same unit of work as the cancellation, so this is at most
            # as stale as any read; the authoritative count below still guards the free case.
            schedule = (slot.get("schedule") or {}).get("reference", "")
            free = self._finder.all("Slot", [("schedule", schedule), ("status", "free")])
            raise _full(slot_id, slot, free)
        self.check_due(appointment, patient_id, date.fromisoformat(str(slot["start"])[:10]))
        with self._store.unit_of_work() as uow:
            return self._place(uow, appointment, slot_id, "POST")

    def update(self, id: str, body: Any, *, if_match: int | None = None) -> WriteResult:
        appointment = self._resources.validate("Appointment", body)
        if appointment.get("id") != id:
            raise FhirError.of(
                400,
                "invalid",
                "Resource id does not match the URL id",
                "Mã tài nguyên không khớp với URL",
                "id",
            )
        new_slot = _slot_of(appointment)
        with self._store.unit_of_work() as uow:
            stored = uow.read("Appointment", id)
            current = None if stored is None or stored.deleted else loads(stored.body)
            old_slot = None if current is None else _slot_of(current)
            takes_new_place = (
                _active(appointment) and new_slot and (new_slot != old_slot or not _active(current))
            )
            if takes_new_place and new_slot:
                patient_id = self._required_parts(appointment)[1]
                slot = uow.read("Slot", new_slot)
                if slot is not None and not slot.deleted:
                    self.check_due(
                        appointment, patient_id, date.fromisoformat(str(loads(slot.body)["start"])[:10])
                    )
                result = self._place(uow, appointment, new_slot, "PUT", if_match=if_match)
            else:
                result = self._resources.store_version(uow, appointment, "PUT", if_match=if_match)
            for slot_id in {old_slot, new_slot} - {None}:
                assert slot_id is not None
                self.refresh_slot(uow, slot_id)
            return result

    def patch(self, id: str, operations: Any, *, if_match: int | None = None) -> WriteResult:
        """JSON Patch of an Appointment: a patch that moves it into a slot (or re-activates it) is
        checked against that slot's capacity like a booking; both slots' statuses follow."""
        with self._store.unit_of_work() as uow:
            stored = uow.read("Appointment", id)
            before = None if stored is None or stored.deleted else loads(stored.body)
            result = self._resources.patch_in(uow, "Appointment", id, operations, if_match=if_match)
            after = loads(result.stored.body)
            old_slot, new_slot = (None if before is None else _slot_of(before)), _slot_of(after)
            if _active(after) and new_slot and (new_slot != old_slot or not _active(before)):
                slot_stored = uow.read("Slot", new_slot)
                if slot_stored is None or slot_stored.deleted:
                    raise not_found("Slot", new_slot)
                slot = loads(slot_stored.body)
                if len(self._holders(uow, new_slot, slot_capacity(slot))) > slot_capacity(slot):
                    raise self._full(uow, new_slot, slot)  # the unit of work rolls the patch back
            for slot_id in {old_slot, new_slot} - {None}:
                assert slot_id is not None
                self.refresh_slot(uow, slot_id)
            return result

    def delete(self, id: str, *, if_match: int | None = None) -> StoredResource | None:
        """Deleting an Appointment frees its place."""
        with self._store.unit_of_work() as uow:
            stored = uow.read("Appointment", id)
            slot_id = None if stored is None or stored.deleted else _slot_of(loads(stored.body))
            deleted = self._resources.delete_in(uow, "Appointment", id, if_match=if_match)
            if slot_id is not None:
                self.refresh_slot(uow, slot_id)
            return deleted

    # -- steps inside a unit of work (check-in uses them too) --------------------------------------

    def refresh_slot(self, uow: UnitOfWork, slot_id: str) -> None:
        """busy when all its places are taken, else free (a blocked slot stays as the operator set it)."""
        stored = uow.read("Slot", slot_id)
        if stored is None or stored.deleted:
            return
        slot = loads(stored.body)
        if slot.get("status") not in ("free", "busy"):
            return
        taken = len(self._holders(uow, slot_id, slot_capacity(slot)))
        wanted = "busy" if taken >= slot_capacity(slot) else "free"
        if slot["status"] != wanted:
            slot.pop("meta", None)
            self._resources.store_version(uow, {**slot, "status": wanted}, "PUT", if_match=stored.version)

    def check_due(self, appointment: JsonResource, patient_id: str, day: date) -> None:
        """Every vaccine asked for must be open in the child's recommendation and allowed on `day`.
        Without a stored recommendation (none computed yet) there is nothing to check against."""
        doses = self._recommendations.for_patient(patient_id)
        if doses is None:
            return
        issues = []
        for index, codings in enumerate(_requested(appointment)):
            matching = [d for d in doses if d.matches(codings) and d.open]
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
        slot_id, patient_id = _slot_of(appointment), _patient_of(appointment)
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
                "An appointment names the child as a Patient participant",
                "Lịch hẹn cần có trẻ (Patient) là người tham gia",
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

    def _holders(self, uow: UnitOfWork, slot_id: str, capacity: int) -> list[str]:
        request = self._resources.condition_params(
            "Appointment", [("slot", f"Slot/{slot_id}"), ("status", ",".join(ACTIVE_APPOINTMENT))]
        )
        return uow.search_ids(request, capacity + 1)

    def _place(
        self,
        uow: UnitOfWork,
        appointment: JsonResource,
        slot_id: str,
        method: str,
        *,
        if_match: int | None = None,
    ) -> WriteResult:
        stored_slot = uow.read("Slot", slot_id)
        if stored_slot is None or stored_slot.deleted:
            raise not_found("Slot", slot_id)
        slot = loads(stored_slot.body)
        if slot.get("status") not in ("free", "busy"):
            raise FhirError.of(
                409,
                "conflict",
                f"Slot/{slot_id} is not open for booking",
                f"Slot/{slot_id} không nhận đặt lịch",
                "Appointment.slot",
            )
        capacity = slot_capacity(slot)
        holders = [h for h in self._holders(uow, slot_id, capacity) if h != appointment["id"]]
        if len(holders) >= capacity:
            raise self._full(uow, slot_id, slot)
        appointment = self._with_place(uow, appointment, slot)
        if method == "POST":
            result = self._resources.store_version(uow, appointment, "POST")
        else:
            result = self._resources.store_version(uow, appointment, "PUT", if_match=if_match)
        self.refresh_slot(uow, slot_id)
        return result

    def _with_place(self, uow: UnitOfWork, appointment: JsonResource, slot: JsonResource) -> JsonResource:
        """Times come from the slot; the Location of its Schedule joins the participants."""
        appointment = {**appointment, "start": slot["start"], "end": slot["end"]}
        if appointment.get("status") in ("proposed", "pending", "waitlist"):
            appointment["status"] = "booked"
        schedule_id = reference_id(slot.get("schedule"), "Schedule")
        stored = uow.read("Schedule", schedule_id) if schedule_id else None
        if stored is None or stored.deleted:
            return appointment
        locations = [a for a in loads(stored.body).get("actor", ()) if reference_id(a, "Location")]
        named = {p.get("actor", {}).get("reference") for p in appointment.get("participant", ())}
        extra = [{"actor": loc, "status": "accepted"} for loc in locations if loc["reference"] not in named]
        return {**appointment, "participant": [*appointment["participant"], *extra]}

    def _full(self, uow: UnitOfWork, slot_id: str, slot: JsonResource) -> FhirError:
        schedule = (slot.get("schedule") or {}).get("reference", "")
        return _full(
            slot_id,
            slot,
            self._finder.in_unit(uow, "Slot", [("schedule", schedule), ("status", "free")], 500),
        )


def _full(slot_id: str, slot: JsonResource, free: list[JsonResource]) -> FhirError:
    """409 naming the next free slots of the same Schedule (`information` issues "Slot/<id> <start>")."""
    start = _instant(str(slot["start"]))
    later = sorted(
        (s for s in free if _instant(s["start"]) >= start and s["id"] != slot_id),
        key=lambda s: _instant(s["start"]),
    )
    issues = [
        Issue(
            "conflict", f"Slot/{slot_id} is fully booked", f"Slot/{slot_id} đã hết chỗ", ("Appointment.slot",)
        )
    ]
    issues += [
        Issue(
            "informational", f"Slot/{s['id']} {s['start']}", f"Còn chỗ: {s['start']}", severity="information"
        )
        for s in later[:NEXT_FREE_SHOWN]
    ]
    return FhirError(409, issues)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)
