"""A Slot's capacity, enforced on EVERY Appointment write: the write hook of the resource service.

Whatever path writes an Appointment — `POST /Appointment` through the booking service, a conditional
update, PATCH, DELETE, a batch or transaction Bundle entry, check-in — the hook runs inside the same unit
of work, after the new version is written: when the Appointment newly takes a place in a slot (it is
active and names a slot it did not hold before, or it was not active before), the appointments holding a
place in that slot are counted there, the new one included, and more than the capacity refuses the
whole write (409 with the next free slots); the unit of work serialises writers, so two writes can never
both see the last place. Then the slots it left and entered become `busy` when full, `free` otherwise.
Within one transaction, entries see each other's writes: a Bundle booking six children into a slot of
five fails as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.search.extract import Extractor
from fhir_server.services.conditions import Conditions
from fhir_server.services.scheduling_codes import (
    ACTIVE_APPOINTMENT,
    CAPACITY_URL,
    extension_value,
    reference_id,
)
from fhir_server.storage.base import StoredResource, UnitOfWork
from fhir_server.types import JsonResource

NEXT_FREE_SHOWN = 3
_ACTIVE = ",".join(ACTIVE_APPOINTMENT)
_NEXT_FREE_SCANNED = 500


def slot_capacity(slot: Mapping[str, Any]) -> int:
    value = extension_value(dict(slot), CAPACITY_URL)
    return value if isinstance(value, int) and value > 0 else 1


def slot_of(appointment: JsonResource | None) -> str | None:
    """The one Slot an appointment names (None when none, or several)."""
    if appointment is None:
        return None
    slots = [s for s in (reference_id(r, "Slot") for r in appointment.get("slot", ())) if s]
    return slots[0] if len(slots) == 1 else None


def active(appointment: JsonResource | None) -> bool:
    return appointment is not None and appointment.get("status") in ACTIVE_APPOINTMENT


def takes_new_place(before: JsonResource | None, after: JsonResource | None) -> str | None:
    """The slot `after` newly holds a place in (counted against its capacity), or None."""
    new = slot_of(after)
    if new is None or not active(after):
        return None
    return new if new != slot_of(before) or not active(before) else None


def full(slot_id: str, slot: JsonResource, free: Sequence[JsonResource]) -> FhirError:
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


def not_open(slot_id: str) -> FhirError:
    return FhirError.of(
        409,
        "conflict",
        f"Slot/{slot_id} is not open for booking",
        f"Slot/{slot_id} không nhận đặt lịch",
        "Appointment.slot",
    )


def unknown_slot(slot_id: str) -> FhirError:
    return FhirError.of(
        422, "not-found", f"Slot/{slot_id} is not known", f"Không tìm thấy Slot/{slot_id}", "Appointment.slot"
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SlotCapacity:
    """The write hook (services.write_steps.WriteHook) for Appointment."""

    resource_types = frozenset({"Appointment"})

    def __init__(self, conditions: Conditions, extractor: Extractor) -> None:
        self._conditions = conditions
        self._extractor = extractor

    def __call__(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        previous: StoredResource | None,
    ) -> None:
        before = None if previous is None else loads(previous.body)
        entered = takes_new_place(before, resource)
        if entered is not None:
            self._check_place(uow, entered)
        for slot_id in {slot_of(before), slot_of(resource)} - {None, entered}:
            assert slot_id is not None
            self.refresh(uow, slot_id)

    def _check_place(self, uow: UnitOfWork, slot_id: str) -> None:
        stored = uow.read("Slot", slot_id)
        if stored is None or stored.deleted:
            raise unknown_slot(slot_id)
        slot = loads(stored.body)
        if slot.get("status") not in ("free", "busy"):
            raise not_open(slot_id)
        capacity = slot_capacity(slot)
        taken = len(self.holders(uow, slot_id, capacity))  # the new appointment is one of them
        if taken > capacity:
            raise self.full_in(uow, slot_id, slot)
        self._set_status(uow, stored, slot, "busy" if taken >= capacity else "free")

    def refresh(self, uow: UnitOfWork, slot_id: str) -> None:
        """busy when all its places are taken, else free (a blocked slot stays as the operator set it)."""
        stored = uow.read("Slot", slot_id)
        if stored is None or stored.deleted:
            return
        slot = loads(stored.body)
        if slot.get("status") not in ("free", "busy"):
            return
        capacity = slot_capacity(slot)
        taken = len(self.holders(uow, slot_id, capacity))
        self._set_status(uow, stored, slot, "busy" if taken >= capacity else "free")

    def holders(self, uow: UnitOfWork, slot_id: str, capacity: int) -> list[str]:
        """Ids of the appointments holding a place in the slot (at most capacity + 1)."""
        request = self._conditions.from_params(
            "Appointment", [("slot", f"Slot/{slot_id}"), ("status", _ACTIVE)]
        )
        return uow.search_ids(request, capacity + 1)

    def full_in(self, uow: UnitOfWork, slot_id: str, slot: JsonResource) -> FhirError:
        schedule = (slot.get("schedule") or {}).get("reference", "")
        request = self._conditions.from_params(
            "Slot", [("schedule", schedule), ("status", "free"), ("start", f"ge{slot['start']}")]
        )
        free = []
        for found in uow.search_ids(request, _NEXT_FREE_SCANNED):
            stored = uow.read("Slot", found)
            if stored is not None and not stored.deleted:
                free.append(loads(stored.body))
        return full(slot_id, slot, free)

    def _set_status(self, uow: UnitOfWork, stored: StoredResource, slot: JsonResource, wanted: str) -> None:
        if slot.get("status") == wanted:
            return
        # meta stays (the operator's recorded-by tag says who may change the slot); the store sets its
        # versionId and lastUpdated
        changed = {**slot, "status": wanted}
        uow.write(changed, self._extractor.extract(changed), method="PUT", expected_version=stored.version)
